//! Typed repositories over the two storage primitives (DESIGN.md §4): what every component
//! reads and writes. Clients, users, scopes, signing keys and the shared configuration are
//! collections of the [`DocumentStore`]; sessions, consents and the other short-lived
//! state are kinds of the [`GrantStore`] ([`grant::GrantRecords`]). A new aggregate is a
//! new [`collection::Collection`] here and needs no backend code.

pub mod attribute;
pub mod client;
pub mod collection;
#[cfg(any(test, feature = "test-util"))]
pub mod conformance;
pub mod consent;
pub mod fido2;
pub mod grant;
pub mod group;
pub mod key;
pub mod otp;
pub mod person_grants;
pub mod recovery_codes;
pub mod saml;
pub mod scope;
pub mod session;
pub mod shared_config;
pub mod ssa;
pub mod stat;
pub mod trusted_device;
pub mod two_factor;
pub mod uma_approval;
pub mod uma_resource;
pub mod uma_ticket;
pub mod uma_token;
pub mod user;

use std::sync::Arc;

use crate::store::document::DocumentStore;
use crate::store::{Backend, GrantStore};

/// How long a revoked family's marker stays: far longer than any request that took a code
/// or refresh token of the family can take to store what it issues.
const REVOKED_MARKER_LIFETIME: u64 = 600;

/// The stores an engine runs on: the two primitives of one backend, and the repositories
/// over them.
#[derive(Clone)]
pub struct Stores {
    /// Clients.
    pub clients: client::Clients,
    /// Grants and tokens.
    pub grants: Arc<dyn GrantStore>,
    /// Browser sessions.
    pub sessions: session::Sessions,
    /// Remembered consents.
    pub consents: consent::Consents,
    /// Signing keys.
    pub keys: key::Keys,
    /// People.
    pub users: user::Users,
    /// The shared configuration.
    pub config: shared_config::SharedConfig,
    /// Scopes.
    pub scopes: scope::Scopes,
    /// The person attributes defined (Janssen's `jansAttr`).
    pub attributes: attribute::Attributes,
    /// FIDO2 registrations.
    pub fido2: fido2::Registrations,
    /// Groups.
    pub groups: group::Groups,
    /// Usage statistics (tokens issued, active users) by month.
    pub stats: stat::Stats,
    /// Resources registered by UMA resource servers.
    pub uma_resources: uma_resource::UmaResources,
    /// UMA permission requests waiting for their resource owner.
    pub uma_approvals: uma_approval::Approvals,
    /// UMA permission tickets.
    pub uma_tickets: uma_ticket::Tickets,
    /// UMA claims gatherings under way.
    pub uma_gatherings: uma_ticket::Gatherings,
    /// UMA requesting party tokens and persisted claims tokens.
    pub uma_tokens: uma_token::UmaTokens,
    /// The grant families of each person (for global token revocation).
    pub person_grants: person_grants::PersonGrants,
    /// Collections of documents: the primitive every repository above sits on, for the
    /// aggregates of components.
    pub documents: Arc<dyn DocumentStore>,
    /// Whether other processes share these stores (PostgreSQL): then keys are published
    /// for a while before they sign, so every node has loaded them (`keys::rotation`).
    pub shared: bool,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stores")
    }
}

impl Stores {
    /// The repositories over `backend`.
    pub fn new(backend: Backend) -> Stores {
        let Backend {
            grants,
            documents,
            shared,
        } = backend;
        Stores {
            clients: client::Clients::new(documents.clone()),
            sessions: session::Sessions::new(grants.clone()),
            consents: consent::Consents::new(grants.clone()),
            stats: stat::Stats::new(grants.clone()),
            uma_tickets: uma_ticket::Tickets::new(grants.clone()),
            uma_gatherings: uma_ticket::Gatherings::new(grants.clone()),
            uma_tokens: uma_token::UmaTokens::new(grants.clone()),
            person_grants: person_grants::PersonGrants::new(grants.clone()),
            grants,
            keys: key::Keys::new(documents.clone()),
            users: user::Users::new(documents.clone()),
            config: shared_config::SharedConfig::new(documents.clone()),
            scopes: scope::Scopes::new(documents.clone()),
            attributes: attribute::Attributes::new(documents.clone()),
            fido2: fido2::Registrations::new(documents.clone()),
            groups: group::Groups::new(documents.clone()),
            uma_resources: uma_resource::UmaResources::new(documents.clone()),
            uma_approvals: uma_approval::Approvals::new(documents.clone()),
            documents,
            shared,
        }
    }

    /// Give the documents stored before their repository's keys last changed the keys it
    /// now computes (engine start; a no-op once done): the users, groups and scopes. How many were
    /// rewritten.
    pub async fn reindex(&self) -> Result<usize, crate::store::StoreError> {
        Ok(self.users.reindex().await?
            + self.groups.reindex().await?
            + self.scopes.reindex().await?)
    }

    /// All stores in memory (tests, embedders that persist elsewhere).
    pub fn memory() -> Stores {
        Stores::new(Backend::memory())
    }

    /// All stores in one PostgreSQL database (scale-out: many processes, one database).
    #[cfg(feature = "postgres")]
    pub fn postgres(store: crate::store::postgres::PgStore) -> Stores {
        Stores::new(Backend::postgres(store))
    }

    /// All stores in one sled database at `path` (the embedded default).
    #[cfg(feature = "sled")]
    pub fn sled(path: &std::path::Path) -> Result<Stores, crate::store::StoreError> {
        Ok(Stores::new(Backend::sled(path)?))
    }

    /// Revoke every record of the grant `family` (RFC 7009 §2.1, RFC 6749 §4.1.2): first a
    /// marker, then the records, so a grant still storing into the family finds the marker
    /// and deletes what it stored (`auth::oauth::family::settle`). Returns how many records
    /// were deleted. Shared by the auth-server and the config API's token revocation.
    pub async fn revoke_family(
        &self,
        family: &str,
        now: crate::ctx::UnixTime,
    ) -> Result<usize, crate::store::StoreError> {
        if family.is_empty() {
            return Ok(0);
        }
        let marker =
            crate::store::GrantRecord::bare(now, now.saturating_add(REVOKED_MARKER_LIFETIME));
        match self
            .grants
            .insert(crate::store::GrantKind::RevokedFamily, family, &marker, now)
            .await
        {
            // Conflict: revoked already; delete again all the same.
            Ok(()) | Err(crate::store::StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
        self.grants.remove_family(family).await
    }

    /// Revoke every grant family of the person `inum` that holds a token of `client_id`
    /// (a consent withdrawn: what the client was given goes with it); how many families.
    pub async fn revoke_client_grants(
        &self,
        inum: &str,
        client_id: &str,
        now: crate::ctx::UnixTime,
    ) -> Result<usize, crate::store::StoreError> {
        let mut revoked = 0;
        for family in self.person_grants.families(inum, now).await? {
            let records = self.grants.family(&family, now, 1_000).await?;
            if records.iter().any(|(_, _, r)| r.client_id == client_id) {
                self.revoke_family(&family, now).await?;
                revoked += 1;
            }
        }
        Ok(revoked)
    }

    /// End every browser session of the user `inum` (the session family: what was issued
    /// within those sessions goes with them).
    pub async fn end_sessions(&self, inum: &str) -> Result<(), crate::store::StoreError> {
        self.grants
            .remove_family(&session::Sessions::family_of(inum))
            .await?;
        Ok(())
    }

    /// The one-time-password devices, recovery codes, two-factor settings and trusted
    /// devices of the person `inum`, who is gone.
    async fn forget_second_factors(&self, inum: &str) -> Result<(), crate::store::StoreError> {
        let devices = otp::OtpDevices::new(self.documents.clone());
        for d in devices.of_user(inum).await? {
            devices.delete(inum, &d.id).await?;
        }
        recovery_codes::RecoveryCodes::new(self.documents.clone())
            .remove(inum)
            .await?;
        two_factor::TwoFactorSettings::new(self.documents.clone())
            .remove(inum)
            .await?;
        trusted_device::TrustedDevices::new(self.documents.clone())
            .delete_all(inum)
            .await?;
        Ok(())
    }

    /// What refers to the user or group `inum`, which is gone: its memberships of groups,
    /// and for a user its FIDO2 registrations, one-time-password devices, recovery codes,
    /// two-factor settings, trusted devices and sessions. Shared by every component that deletes people
    /// (SCIM, the config API).
    pub async fn forget(&self, inum: &str, user: bool) -> Result<(), crate::store::StoreError> {
        for g in self.groups.of_member(inum).await? {
            self.groups.drop_member(&g.inum, inum).await?;
        }
        if user {
            for reg in self.fido2.of_user(inum).await? {
                self.fido2.delete(&reg.id()?).await?;
            }
            self.forget_second_factors(inum).await?;
            self.end_sessions(inum).await?;
        }
        Ok(())
    }
}
