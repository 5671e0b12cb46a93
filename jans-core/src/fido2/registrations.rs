//! A user's registered credentials, managed: list, rename, remove (the Rust API behind
//! `jans fido2`, and later SCIM's `Fido2Devices` and Casa).

use super::Fido2Server;
use crate::error::Error;
use crate::error::webauthn::{Fido2Error, Fido2ErrorCode};
use crate::repo::fido2::Fido2Registration;
use crate::repo::user::User;
use crate::store::StoreError;

/// Longest nickname, in characters.
pub const MAX_NICKNAME_CHARS: usize = 64;

/// Most attempts at a rename that keeps losing a race with assertions.
const RETRIES: usize = 8;

impl Fido2Server {
    async fn owner(&self, username: &str) -> Result<User, Error> {
        self.stores().users.by_uid(username).await?.ok_or_else(|| {
            Fido2Error::new(
                Fido2ErrorCode::NotFound,
                format!(
                    "no user named {}",
                    username.chars().take(64).collect::<String>()
                ),
            )
            .into()
        })
    }

    /// The credentials `username` registered, oldest first.
    pub async fn registrations(&self, username: &str) -> Result<Vec<Fido2Registration>, Error> {
        let user = self.owner(username).await?;
        Ok(self.stores().fido2.of_user(&user.inum).await?)
    }

    /// The registration of `username` whose credential id is `credential_id` (base64url),
    /// with its revision.
    async fn registration_of(
        &self,
        username: &str,
        credential_id: &str,
    ) -> Result<Option<(u64, Fido2Registration)>, Error> {
        let user = self.owner(username).await?;
        let Ok(id) = crate::b64::decode(credential_id.trim_end_matches('=')) else {
            return Ok(None);
        };
        Ok(self
            .stores()
            .fido2
            .by_credential_id(&id)
            .await?
            .filter(|(_, r)| r.user_inum == user.inum))
    }

    /// Give a registration of `username` a nickname (`None` clears it); `false` when the
    /// user has no such credential.
    pub async fn rename_registration(
        &self,
        username: &str,
        credential_id: &str,
        nickname: Option<&str>,
    ) -> Result<bool, Error> {
        let nickname = match nickname.map(str::trim) {
            Some(n) if n.chars().count() > MAX_NICKNAME_CHARS => {
                return Err(Fido2Error::invalid_request(format!(
                    "a nickname has at most {MAX_NICKNAME_CHARS} characters"
                ))
                .into());
            }
            Some(n) if n.chars().any(char::is_control) => {
                return Err(
                    Fido2Error::invalid_request("a nickname has no control characters").into(),
                );
            }
            Some("") | None => None,
            Some(n) => Some(n.to_owned()),
        };
        for _ in 0..RETRIES {
            let Some((revision, mut reg)) = self.registration_of(username, credential_id).await?
            else {
                return Ok(false);
            };
            reg.nickname.clone_from(&nickname);
            match self.stores().fido2.update(&reg, revision).await {
                Ok(()) => return Ok(true),
                Err(StoreError::Conflict) => continue,
                Err(StoreError::NotFound) => return Ok(false),
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Unavailable("fido2 registration kept changing".into()).into())
    }

    /// Remove a registration of `username`; whether it existed.
    pub async fn remove_registration(
        &self,
        username: &str,
        credential_id: &str,
    ) -> Result<bool, Error> {
        let Some((_, reg)) = self.registration_of(username, credential_id).await? else {
            return Ok(false);
        };
        Ok(self.stores().fido2.delete(&reg.id()?).await?)
    }
}
