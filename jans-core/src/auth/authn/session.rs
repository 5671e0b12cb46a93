//! Browser sessions of the auth-server: the cookies, creation at login, and the sliding
//! lifetime (`sessionIdUnusedLifetime` within `sessionIdLifetime`). Stored through
//! [`crate::repo::session`].

use crate::auth::AuthServer;
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
pub use crate::repo::session::Session;

pub use crate::repo::session::SESSION_COOKIE;

/// Cookie listing every session of the browser (values of past `session_id` cookies,
/// separated by `.`), for account selection; kept by the host.
pub const SESSIONS_COOKIE: &str = "jans_sessions";

/// Most sessions one browser keeps for account selection.
pub const MAX_BROWSER_SESSIONS: usize = 5;

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
        self.stores()
            .sessions
            .insert(&token_key(&cookie), &session, ctx.now, expires_at)
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
        let sessions = &self.stores().sessions;
        let Some(mut stored) = sessions.get(&key, ctx.now).await? else {
            return Ok(None);
        };
        let config = self.config();
        let extended = stored
            .created_at
            .saturating_add(config.session_id_lifetime)
            .min(ctx.now.saturating_add(config.session_id_unused_lifetime));
        if extended > stored.expires_at {
            stored.expires_at = extended;
            sessions.put(&key, &stored, ctx.now).await?;
        }
        Ok(Some((key, stored.session)))
    }

    /// The live session stored under `key`.
    pub(crate) async fn session_by_key(
        &self,
        key: &str,
        ctx: &Ctx,
    ) -> Result<Option<Session>, Error> {
        Ok(self
            .stores()
            .sessions
            .get(key, ctx.now)
            .await?
            .map(|s| s.session))
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
        let sessions = &self.stores().sessions;
        let Some(mut stored) = sessions.get(key, ctx.now).await? else {
            return Ok(());
        };
        if stored.session.clients.iter().any(|c| c == client_id) {
            return Ok(());
        }
        stored.session.clients.push(client_id.to_owned());
        sessions.put(key, &stored, ctx.now).await?;
        Ok(())
    }
}
