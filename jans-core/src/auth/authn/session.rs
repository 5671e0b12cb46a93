//! Browser sessions, kept as grant records (a session is a short-lived, expiring,
//! single-owner record like any grant; this gives every backend durability, expiry and
//! sweeping for free).
//!
//! A session is keyed by the SHA-256 of the `session_id` cookie value, so a database read
//! does not yield usable cookies. Its family is `session:{inum}`: one call ends every
//! session of a user. `sid` (OIDC Front-/Back-Channel Logout) is a separate public id.

use serde::{Deserialize, Serialize};

use crate::auth::AuthServer;
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::ctx::UnixTime;
use crate::error::Error;
use crate::store::{GrantData, GrantKind, GrantRecord};

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

impl GrantData for Session {
    const MEMBER: Option<&'static str> = Some("session");
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
        let mut rec = GrantRecord::bare(ctx.now, expires_at).with(&session)?;
        rec.family = format!("session:{user_inum}");
        rec.subject = Some(user_inum.to_owned());
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
        let session: Session = rec.read()?;
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

    /// The live session stored under `key`.
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
            Some(rec) => Ok(Some(rec.read()?)),
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
        let Some(rec) = grants.get(GrantKind::Session, key, ctx.now).await? else {
            return Ok(());
        };
        let mut session: Session = rec.read()?;
        if session.clients.iter().any(|c| c == client_id) {
            return Ok(());
        }
        session.clients.push(client_id.to_owned());
        let rec = rec.with(&session)?;
        grants.remove(GrantKind::Session, key).await?;
        grants
            .insert(GrantKind::Session, key, &rec, ctx.now)
            .await?;
        Ok(())
    }
}
