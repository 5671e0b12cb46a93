//! The person's account in Casa (issue 17 item 6): changing the password — the current one
//! asked for and counted by the auth-server's brute-force protection, the new one hashed
//! with argon2id, the person's other sessions ended on request — and the applications they
//! consented to, each withdrawn with the tokens it holds.

use serde_json::{Value, json};

use crate::casa::{CasaServer, Me, back, error_page, field};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::password::PasswordError;
use crate::request::Request;
use crate::response::Response;
use crate::services::PasswordVerdict;
use crate::store::GrantKind;

impl CasaServer {
    /// The applications the person consented to, for the dashboard: client id, name and
    /// the scopes approved.
    pub(super) async fn consents(&self, me: &Me, ctx: &Ctx) -> Result<Vec<Value>, Error> {
        let stores = self.services.stores();
        let mut out = Vec::new();
        for (client_id, consent) in stores.consents.of_user(&me.user.inum, ctx.now).await? {
            let name = stores
                .clients
                .get(&client_id)
                .await?
                .and_then(|c| c.metadata.client_name)
                .unwrap_or_else(|| client_id.clone());
            out.push(json!({"client_id": client_id, "name": name, "scopes": consent.0}));
        }
        Ok(out)
    }

    /// `POST /jans-casa/password`: `current`, `new`, `confirm`, and `sign_out_elsewhere`
    /// to end the person's other sessions (the auth-server's, and Casa's but this one).
    pub(super) async fn change_password(
        &self,
        me: &Me,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let (new, confirm) = (field(req, "new"), field(req, "confirm"));
        if new != confirm {
            return self
                .dashboard(me, ctx, None, Some("The two new passwords differ."), 400)
                .await;
        }
        match self
            .services
            .sign_in()?
            .check_password(&me.user.uid, &field(req, "current"), ctx)
            .await?
        {
            PasswordVerdict::Valid => {}
            PasswordVerdict::Invalid => {
                return self
                    .dashboard(
                        me,
                        ctx,
                        None,
                        Some("Your current password is not right."),
                        400,
                    )
                    .await;
            }
            PasswordVerdict::Wait(seconds) => {
                let msg = format!(
                    "Too many wrong passwords for this account. Try again in {seconds} second{}.",
                    if seconds == 1 { "" } else { "s" }
                );
                return self.dashboard(me, ctx, None, Some(&msg), 429).await;
            }
        }
        let hash = match self.services.hash_password(&new, ctx).await {
            Ok(h) => h,
            Err(Error::Password(e @ PasswordError::Length)) => {
                return self
                    .dashboard(
                        me,
                        ctx,
                        None,
                        Some(&format!("The new password is not accepted: {e}.")),
                        400,
                    )
                    .await;
            }
            Err(e) => return Err(e),
        };
        let stores = self.services.stores();
        let Some(mut user) = stores.users.get(&me.user.inum).await? else {
            return Ok(error_page(404, "Your account is gone."));
        };
        user.password_hash = Some(hash);
        user.updated_at = ctx.now;
        stores.users.update(&user).await?;
        let mut done = "password";
        if !field(req, "sign_out_elsewhere").is_empty() {
            stores.end_sessions(&user.inum).await?;
            let family = format!("casa:{}", user.inum);
            for (kind, key, _) in stores.grants.family(&family, ctx.now, 10_000).await? {
                if kind == GrantKind::CasaSession && key != me.key {
                    stores.grants.remove(kind, &key).await?;
                }
            }
            done = "password-everywhere";
        }
        tracing::info!(user = %user.inum, "password changed in Casa");
        Ok(back(done, &self.services.config().issuer))
    }

    /// `POST /jans-casa/consents/{client id}`: withdraw the consent (the application asks
    /// again next time) and revoke the tokens the application holds for the person.
    pub(super) async fn withdraw_consent(
        &self,
        me: &Me,
        client_id: &str,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        if field(req, "action") != "revoke" {
            return Ok(error_page(400, "Unknown action."));
        }
        let stores = self.services.stores();
        if !stores.consents.remove(&me.user.inum, client_id).await? {
            return Ok(error_page(404, "You have not authorized that application."));
        }
        let families = stores
            .revoke_client_grants(&me.user.inum, client_id, ctx.now)
            .await?;
        tracing::info!(user = %me.user.inum, client_id, families, "consent withdrawn in Casa");
        Ok(back("consent", &self.services.config().issuer))
    }
}
