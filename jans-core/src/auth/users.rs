//! The auth-server's typed operations on people: adding them with an argon2id password,
//! reads, password and status changes, and the password check of a sign-in.

use crate::ctx::{Ctx, uuid_from};
use crate::error::Error;
use crate::password;
use crate::repo::user::{User, UserStatus};
use crate::store::StoreError;

use super::AuthServer;

impl AuthServer {
    /// Add a person with a password (argon2id). The `inum` is assigned here; `created_at`
    /// and `updated_at` are set to now. `Store(Conflict)` if the uid is taken.
    pub async fn add_user(&self, mut user: User, password: &str, ctx: &Ctx) -> Result<User, Error> {
        user.inum = uuid_from(&ctx.random_bytes(16));
        user.created_at = ctx.now;
        user.updated_at = ctx.now;
        user.validate()?;
        user.password_hash = Some(self.hash_password(password, ctx).await?);
        self.stores().users.insert(&user).await?;
        Ok(user)
    }

    /// The person with this login name.
    pub async fn user(&self, uid: &str) -> Result<Option<User>, Error> {
        Ok(self.stores().users.by_uid(uid).await?)
    }

    /// Every person, ordered by `inum`.
    pub async fn users(&self) -> Result<Vec<User>, Error> {
        Ok(self.stores().users.list().await?)
    }

    /// Change a person's password; `Store(NotFound)` for an unknown uid.
    pub async fn set_password(&self, uid: &str, password: &str, ctx: &Ctx) -> Result<(), Error> {
        let mut user = self.user(uid).await?.ok_or(StoreError::NotFound)?;
        user.password_hash = Some(self.hash_password(password, ctx).await?);
        user.updated_at = ctx.now;
        Ok(self.stores().users.update(&user).await?)
    }

    /// Enable or disable a person; `Store(NotFound)` for an unknown uid.
    pub async fn set_user_status(
        &self,
        uid: &str,
        status: UserStatus,
        ctx: &Ctx,
    ) -> Result<(), Error> {
        let mut user = self.user(uid).await?.ok_or(StoreError::NotFound)?;
        user.status = status;
        user.updated_at = ctx.now;
        Ok(self.stores().users.update(&user).await?)
    }

    /// The names of the groups the user `inum` is a direct member of, when a release for
    /// `scopes` and the `claims` parameter text `claims` asks for the `groups` claim; else
    /// empty, without reading the groups.
    pub(crate) async fn groups_claim(
        &self,
        inum: &str,
        scopes: &[&str],
        claims: Option<&str>,
    ) -> Result<Vec<String>, Error> {
        if !crate::auth::oidc::claims::asks_for_groups(&self.scopes(), scopes, claims) {
            return Ok(Vec::new());
        }
        let groups = self.stores().groups.of_member(inum).await?;
        Ok(groups.into_iter().map(|g| g.display_name).collect())
    }

    /// The active person whose password this is, or `None` (unknown uid, inactive, wrong
    /// password). An unknown uid costs one hash too, so timing does not reveal which uids
    /// exist.
    pub async fn check_password(&self, uid: &str, password: &str) -> Result<Option<User>, Error> {
        let user = self.user(uid).await?;
        let hash = user
            .as_ref()
            .and_then(|u| u.password_hash.as_deref())
            .unwrap_or(password::DUMMY_HASH);
        let ok = self.hasher().verify(password, hash).await?;
        Ok(user.filter(|u| ok && u.status == UserStatus::Active))
    }
}
