//! Remembered consent: the scopes a person approved for a client, kept for a year so the
//! consent page is not shown again (Janssen's client authorizations).

use serde::{Deserialize, Serialize};

use crate::auth::AuthServer;
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::store::{GrantData, GrantKind, GrantRecord};

/// How long a consent is remembered.
const CONSENT_LIFETIME: u64 = 366 * 86_400;

/// The scopes a person approved for one client.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Consent(pub Vec<String>);

impl GrantData for Consent {
    const MEMBER: Option<&'static str> = Some("scopes");
}

/// The store key of a person's consent for a client.
fn key(user_inum: &str, client_id: &str) -> String {
    token_key(&format!("{user_inum}\u{0}{client_id}"))
}

impl AuthServer {
    /// Remembered consent of `user_inum` for `client_id`: the scopes approved.
    pub(crate) async fn consent(
        &self,
        user_inum: &str,
        client_id: &str,
        ctx: &Ctx,
    ) -> Result<Vec<String>, Error> {
        match self
            .stores()
            .grants
            .get(GrantKind::Consent, &key(user_inum, client_id), ctx.now)
            .await?
        {
            Some(rec) => Ok(rec.read::<Consent>()?.0),
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
        let key = key(user_inum, client_id);
        let mut all = self.consent(user_inum, client_id, ctx).await?;
        for s in scopes {
            if !all.contains(s) {
                all.push(s.clone());
            }
        }
        let mut rec = GrantRecord::bare(ctx.now, ctx.now.saturating_add(CONSENT_LIFETIME))
            .with(&Consent(all))?;
        rec.family = format!("consent:{user_inum}");
        rec.client_id = client_id.to_owned();
        rec.subject = Some(user_inum.to_owned());
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
