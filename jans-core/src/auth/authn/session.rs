//! Browser sessions and pending interactions, kept as grant records (a session is a
//! short-lived, expiring, single-owner record like any grant; this gives every backend
//! durability, expiry and sweeping for free).
//!
//! - A session is keyed by the SHA-256 of the `session_id` cookie value, so a database read
//!   does not yield usable cookies. Its family is `session:{inum}`: one call ends every
//!   session of a user. `sid` (OIDC Front-/Back-Channel Logout) is a separate public id.
//! - An interaction is an authorization request waiting for the user (login, consent),
//!   keyed by the SHA-256 of its id, which travels in the page URL.

use serde::{Deserialize, Serialize};

use crate::auth::AuthServer;
use crate::auth::oauth::authorize::AuthorizationRequest;
use crate::auth::oauth::token_key;
use crate::ctx::{Ctx, UnixTime};
use crate::error::Error;
use crate::store::{GrantKind, GrantRecord};

/// Name of the session cookie (Janssen's).
pub const SESSION_COOKIE: &str = "session_id";

/// Cookie listing every session of the browser (values of past `session_id` cookies,
/// separated by `.`), for account selection; kept by the host.
pub const SESSIONS_COOKIE: &str = "jans_sessions";

/// Most sessions one browser keeps for account selection.
pub const MAX_BROWSER_SESSIONS: usize = 5;

/// An authenticated browser session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Public session id for tokens (`sid`).
    pub sid: String,
    /// The user's `inum`.
    pub user_inum: String,
    /// When the user authenticated (`auth_time`).
    pub auth_time: UnixTime,
    /// Authentication context class reference (`acr`).
    pub acr: String,
    /// Authentication methods (`amr`, RFC 8176).
    pub amr: Vec<String>,
    /// Browser-state value for OIDC Session Management (the `opbs` cookie).
    #[serde(default)]
    pub opbs: String,
    /// Clients that received tokens in this session (told about logout).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<String>,
}

/// What the user must do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Enter credentials.
    Login,
    /// Approve the client's scopes.
    Consent,
    /// Choose one of the browser's signed-in accounts, or another (`prompt=select_account`).
    SelectAccount,
}

/// An authorization request waiting for the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The validated authorization request.
    pub request: AuthorizationRequest,
    /// Current stage.
    pub stage: Stage,
    /// Anti-CSRF token the page must post back.
    pub csrf: String,
    /// Failed logins so far.
    pub failures: u32,
    /// The session key once the user is authenticated (consent stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_key: Option<String>,
}

fn decode<T: serde::de::DeserializeOwned>(rec: &GrantRecord, member: &str) -> Result<T, Error> {
    let v = rec
        .data
        .get(member)
        .cloned()
        .ok_or_else(|| Error::Internal(format!("{member} record without data")))?;
    serde_json::from_value(v).map_err(|e| Error::Internal(e.to_string()))
}

fn record<T: Serialize>(
    member: &str,
    value: &T,
    family: String,
    client_id: &str,
    subject: Option<&str>,
    ctx: &Ctx,
    expires_at: UnixTime,
) -> Result<GrantRecord, Error> {
    let mut data = serde_json::Map::new();
    data.insert(
        member.into(),
        serde_json::to_value(value).map_err(|e| Error::Internal(e.to_string()))?,
    );
    Ok(GrantRecord {
        family,
        client_id: client_id.to_owned(),
        subject: subject.map(str::to_owned),
        scope: String::new(),
        issued_at: ctx.now,
        expires_at,
        data,
    })
}

impl AuthServer {
    /// Start a session for `user_inum`; returns the cookie value (shown once) and the session.
    pub(crate) async fn create_session(
        &self,
        user_inum: &str,
        acr: &str,
        amr: Vec<String>,
        ctx: &Ctx,
    ) -> Result<(String, Session), Error> {
        let config = self.config();
        let cookie = ctx.random_token(32);
        let session = Session {
            sid: crate::ctx::uuid_from(&ctx.random_bytes(16)),
            user_inum: user_inum.to_owned(),
            auth_time: ctx.now,
            acr: acr.to_owned(),
            amr,
            opbs: ctx.random_token(16),
            clients: Vec::new(),
        };
        let expires_at = ctx.now.saturating_add(
            config
                .session_id_lifetime
                .min(config.session_id_unused_lifetime),
        );
        let rec = record(
            "session",
            &session,
            format!("session:{user_inum}"),
            "",
            Some(user_inum),
            ctx,
            expires_at,
        )?;
        self.stores()
            .grants
            .insert(GrantKind::Session, &token_key(&cookie), &rec, ctx.now)
            .await?;
        Ok((cookie, session))
    }

    /// The live session behind a `session_id` cookie value, with its store key. Using it
    /// extends its life by `sessionIdUnusedLifetime`, never past `sessionIdLifetime` from its
    /// creation.
    pub(crate) async fn session(
        &self,
        cookie: &str,
        ctx: &Ctx,
    ) -> Result<Option<(String, Session)>, Error> {
        let key = token_key(cookie);
        let grants = &self.stores().grants;
        let Some(mut rec) = grants.get(GrantKind::Session, &key, ctx.now).await? else {
            return Ok(None);
        };
        let session: Session = decode(&rec, "session")?;
        let config = self.config();
        let extended = rec
            .issued_at
            .saturating_add(config.session_id_lifetime)
            .min(ctx.now.saturating_add(config.session_id_unused_lifetime));
        if extended > rec.expires_at {
            rec.expires_at = extended;
            grants.remove(GrantKind::Session, &key).await?;
            grants
                .insert(GrantKind::Session, &key, &rec, ctx.now)
                .await?;
        }
        Ok(Some((key, session)))
    }

    pub(crate) async fn session_by_key(
        &self,
        key: &str,
        ctx: &Ctx,
    ) -> Result<Option<Session>, Error> {
        match self
            .stores()
            .grants
            .get(GrantKind::Session, key, ctx.now)
            .await?
        {
            Some(rec) => Ok(Some(decode(&rec, "session")?)),
            None => Ok(None),
        }
    }

    /// The live session behind a cookie value, without extending it (for listing).
    pub(crate) async fn session_by_cookie_peek(
        &self,
        cookie: &str,
        ctx: &Ctx,
    ) -> Result<Option<(String, Session)>, Error> {
        let key = token_key(cookie);
        Ok(self.session_by_key(&key, ctx).await?.map(|s| (key, s)))
    }

    /// Remember that `client_id` received tokens in the session stored under `key`, so
    /// logout can tell it (OIDC Back-Channel Logout 1.0).
    pub(crate) async fn add_session_client(
        &self,
        key: &str,
        client_id: &str,
        ctx: &Ctx,
    ) -> Result<(), Error> {
        let grants = &self.stores().grants;
        let Some(mut rec) = grants.get(GrantKind::Session, key, ctx.now).await? else {
            return Ok(());
        };
        let mut session: Session = decode(&rec, "session")?;
        if session.clients.iter().any(|c| c == client_id) {
            return Ok(());
        }
        session.clients.push(client_id.to_owned());
        rec.data.insert(
            "session".into(),
            serde_json::to_value(&session).map_err(|e| Error::Internal(e.to_string()))?,
        );
        grants.remove(GrantKind::Session, key).await?;
        grants
            .insert(GrantKind::Session, key, &rec, ctx.now)
            .await?;
        Ok(())
    }

    /// Store an interaction under a fresh id; returns the id.
    pub(crate) async fn put_interaction(
        &self,
        interaction: &Interaction,
        id: Option<&str>,
        ctx: &Ctx,
    ) -> Result<String, Error> {
        let id = id
            .map(str::to_owned)
            .unwrap_or_else(|| ctx.random_token(32));
        let rec = record(
            "interaction",
            interaction,
            String::new(),
            &interaction.request.client_id,
            None,
            ctx,
            ctx.now.saturating_add(self.config().interaction_lifetime),
        )?;
        let key = token_key(&id);
        // Replacing an interaction (a failed login, a stage change) is remove + insert.
        self.stores()
            .grants
            .remove(GrantKind::Interaction, &key)
            .await?;
        self.stores()
            .grants
            .insert(GrantKind::Interaction, &key, &rec, ctx.now)
            .await?;
        Ok(id)
    }

    pub(crate) async fn get_interaction(
        &self,
        id: &str,
        ctx: &Ctx,
    ) -> Result<Option<Interaction>, Error> {
        let rec = self
            .stores()
            .grants
            .get(GrantKind::Interaction, &token_key(id), ctx.now)
            .await?;
        rec.map(|r| decode(&r, "interaction")).transpose()
    }

    /// Atomically consume an interaction: a form posted twice completes once.
    pub(crate) async fn take_interaction(
        &self,
        id: &str,
        ctx: &Ctx,
    ) -> Result<Option<Interaction>, Error> {
        let rec = self
            .stores()
            .grants
            .take(GrantKind::Interaction, &token_key(id), ctx.now, None)
            .await?
            .record();
        rec.map(|r| decode(&r, "interaction")).transpose()
    }

    /// Remembered consent of `user_inum` for `client_id`: the scopes approved.
    pub(crate) async fn consent(
        &self,
        user_inum: &str,
        client_id: &str,
        ctx: &Ctx,
    ) -> Result<Vec<String>, Error> {
        let key = token_key(&format!("{user_inum}\u{0}{client_id}"));
        match self
            .stores()
            .grants
            .get(GrantKind::Consent, &key, ctx.now)
            .await?
        {
            Some(rec) => decode(&rec, "scopes"),
            None => Ok(Vec::new()),
        }
    }

    /// Remember that `user_inum` approved `scopes` for `client_id` (for a year).
    pub(crate) async fn remember_consent(
        &self,
        user_inum: &str,
        client_id: &str,
        scopes: &[String],
        ctx: &Ctx,
    ) -> Result<(), Error> {
        let key = token_key(&format!("{user_inum}\u{0}{client_id}"));
        let mut all = self.consent(user_inum, client_id, ctx).await?;
        for s in scopes {
            if !all.contains(s) {
                all.push(s.clone());
            }
        }
        let rec = record(
            "scopes",
            &all,
            format!("consent:{user_inum}"),
            client_id,
            Some(user_inum),
            ctx,
            ctx.now.saturating_add(366 * 86_400),
        )?;
        self.stores()
            .grants
            .remove(GrantKind::Consent, &key)
            .await?;
        self.stores()
            .grants
            .insert(GrantKind::Consent, &key, &rec, ctx.now)
            .await?;
        Ok(())
    }
}
