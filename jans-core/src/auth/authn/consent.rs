//! Remembered consent: the scopes a person approved for a client, kept for a year so the
//! consent page is not shown again (Janssen's client authorizations; stored through
//! [`crate::repo::consent`]).

use crate::auth::AuthServer;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::repo::consent::Consent;

/// How long a consent is remembered.
const CONSENT_LIFETIME: u64 = 366 * 86_400;

impl AuthServer {
    /// Remembered consent of `user_inum` for `client_id`: the scopes approved.
    pub(crate) async fn consent(
        &self,
        user_inum: &str,
        client_id: &str,
        ctx: &Ctx,
    ) -> Result<Vec<String>, Error> {
        Ok(self
            .stores()
            .consents
            .get(user_inum, client_id, ctx.now)
            .await?
            .0)
    }

    /// Remember that `user_inum` approved `scopes` for `client_id` (for a year).
    pub(crate) async fn remember_consent(
        &self,
        user_inum: &str,
        client_id: &str,
        scopes: &[String],
        ctx: &Ctx,
    ) -> Result<(), Error> {
        let mut all = self.consent(user_inum, client_id, ctx).await?;
        for s in scopes {
            if !all.contains(s) {
                all.push(s.clone());
            }
        }
        self.stores()
            .consents
            .put(
                user_inum,
                client_id,
                &Consent(all),
                ctx.now,
                ctx.now.saturating_add(CONSENT_LIFETIME),
            )
            .await?;
        Ok(())
    }
}
