//! The two storage primitives (DESIGN.md §4) and their backends: [`GrantStore`] for
//! short-lived grant state and [`document::DocumentStore`] for collections of documents.
//! The typed repositories over them, and the [`crate::repo::Stores`] an engine runs on,
//! are in [`crate::repo`].
//!
//! Rules every backend obeys (checked by `conformance`, feature `test-util`):
//! - single use is atomic: [`GrantStore::take`] hands a record to exactly one caller, and
//!   can leave a tombstone in the same step, so a loser learns "already used" (and a replay
//!   can revoke what the first use issued), never "never existed";
//! - counters are atomic: [`GrantStore::increment`] adds one in one step, never a
//!   read-modify-write by the caller;
//! - acknowledged means durable, grants included: what a write returned survives a crash of
//!   the process (concurrent writers share one flush or commit);
//! - expiry is data: an expired record reads as absent and [`GrantStore::sweep`] deletes it.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::ctx::UnixTime;

#[cfg(any(test, feature = "test-util"))]
pub mod conformance;
pub mod document;
pub mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sled")]
pub mod sled;

/// A storage failure. Never carries secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The record to update or delete does not exist.
    #[error("not found")]
    NotFound,
    /// A record with this key already exists.
    #[error("already exists")]
    Conflict,
    /// Another process holds the database (an embedded store is single-process).
    #[error("database is locked by another process: {0}")]
    Locked(String),
    /// The backend cannot be reached (answered 503 by hosts).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored record could not be decoded.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// Any other backend failure.
    #[error("store failure: {0}")]
    Backend(String),
}

/// Namespaces of short-lived grant state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum GrantKind {
    /// Access tokens (reference and JWT), keyed by the token's SHA-256.
    AccessToken = 1,
    /// Refresh tokens, keyed by the token's SHA-256.
    RefreshToken = 2,
    /// Authorization codes.
    AuthorizationCode = 3,
    /// Device codes (RFC 8628).
    DeviceCode = 4,
    /// Pushed authorization request URIs (RFC 9126).
    ParRequest = 5,
    /// `jti` values of client assertions already used (RFC 7523 §3 item 7).
    AssertionJti = 6,
    /// Browser sessions (keyed by the cookie value's SHA-256; family `session:{inum}`).
    Session = 7,
    /// Pending user interactions of an authorization request (login, consent).
    Interaction = 8,
    /// Remembered consent of a user for a client.
    Consent = 9,
    /// Tombstones of redeemed codes as earlier versions kept them (now
    /// [`GrantStore::take`] leaves them in place); read by nothing, swept when they expire.
    UsedCode = 10,
    /// Tombstones of rotated refresh tokens as earlier versions kept them; see `UsedCode`.
    UsedRefreshToken = 11,
    /// A user's recent password attempts (brute-force protection): a counter.
    LoginFailures = 12,
    /// Leases: one node at a time does a job (key rotation, sweeping); expiry frees the
    /// lease of a node that died holding it.
    Lease = 13,
    /// Families revoked (keyed by the family): a grant that issues into a family after
    /// taking its code or refresh token looks here, so tokens it stored after a racing
    /// replay revoked the family are revoked too.
    RevokedFamily = 14,
    /// Back-channel logout deliveries waiting to be sent (OIDC Back-Channel Logout 1.0).
    LogoutDelivery = 15,
    /// A user's last password attempt admitted once the brute-force delay applies
    /// (keyed like [`GrantKind::LoginFailures`]; it lives `delayTime` seconds).
    LoginDelay = 16,
    /// Started FIDO2 ceremonies (keyed by the challenge's SHA-256), taken by their result.
    Fido2Ceremony = 17,
    /// Usage statistics: counters of tokens issued per month and grant type, and the
    /// markers of the month's active users (`repo::stat`).
    Statistic = 18,
    /// UMA permission tickets (keyed by the ticket's SHA-256), taken by the UMA grant.
    UmaTicket = 19,
    /// UMA requesting party tokens (keyed by the token's SHA-256).
    UmaRpt = 20,
    /// UMA persisted claims tokens (keyed by the token's SHA-256).
    UmaPct = 21,
    /// UMA claims gatherings under way (keyed by the browser cookie's SHA-256), taken when
    /// the browser comes back signed in.
    UmaGathering = 22,
    /// `jti` values of DPoP proofs already used (RFC 9449 §11.1), keyed by the SHA-256 of
    /// the proof key's thumbprint and the `jti`; each lives as long as its proof could be
    /// accepted.
    DpopJti = 23,
    /// The device code a user code stands for (RFC 8628), keyed by the user code's SHA-256.
    DeviceUserCode = 24,
    /// A user's answer to a device request (RFC 8628 §3.3), keyed like the device code.
    DeviceDecision = 25,
    /// The device flow's rate limits: poll markers and slow-down counters (RFC 8628 §3.5),
    /// and wrong user codes counted per address (§5.1).
    DeviceThrottle = 26,
    /// Markers of a person's grant families (`repo::person_grants`), family `person:{inum}`.
    PersonFamily = 27,
    /// Backchannel authentication requests (OpenID CIBA Core 1.0), by the `auth_req_id`'s
    /// hash, with their index by the reference the approval page shows.
    CibaRequest = 28,
    /// The person's answers to backchannel authentication requests (once per request).
    CibaDecision = 29,
    /// Casa's signed-in browsers (keyed by the `casa_session` cookie's SHA-256; family
    /// `casa:{inum}`).
    CasaSession = 30,
    /// Casa's sign-ins under way through the auth-server (keyed by the `state`'s SHA-256),
    /// taken by the callback.
    CasaSignIn = 31,
    /// SAML sign-ons under way through the auth-server (keyed by the `state`'s SHA-256),
    /// taken by the callback.
    SamlSignIn = 32,
    /// `AuthnRequest` ids seen, per SP, until they are stale: a replay finds its id taken.
    SamlRequestId = 33,
    /// The SPs a browser session signed on to (Single Logout's participants; family
    /// `saml:{sid}`), each taken once when it is logged out.
    SamlSession = 34,
    /// SP-initiated logouts waiting for the auth-server's logout to finish (keyed by the
    /// `state`'s SHA-256).
    SamlLogout = 35,
    /// Logout requests to SPs over HTTP-POST, waiting for the logout page's frame that
    /// posts them (keyed by the frame token's SHA-256).
    SamlOutgoing = 36,
}

impl GrantKind {
    /// Every kind.
    pub const ALL: [GrantKind; 36] = [
        GrantKind::AccessToken,
        GrantKind::RefreshToken,
        GrantKind::AuthorizationCode,
        GrantKind::DeviceCode,
        GrantKind::ParRequest,
        GrantKind::AssertionJti,
        GrantKind::Session,
        GrantKind::Interaction,
        GrantKind::Consent,
        GrantKind::UsedCode,
        GrantKind::UsedRefreshToken,
        GrantKind::LoginFailures,
        GrantKind::Lease,
        GrantKind::RevokedFamily,
        GrantKind::LogoutDelivery,
        GrantKind::LoginDelay,
        GrantKind::Fido2Ceremony,
        GrantKind::Statistic,
        GrantKind::UmaTicket,
        GrantKind::UmaRpt,
        GrantKind::UmaPct,
        GrantKind::UmaGathering,
        GrantKind::DpopJti,
        GrantKind::DeviceUserCode,
        GrantKind::DeviceDecision,
        GrantKind::DeviceThrottle,
        GrantKind::PersonFamily,
        GrantKind::CibaRequest,
        GrantKind::CibaDecision,
        GrantKind::CasaSession,
        GrantKind::CasaSignIn,
        GrantKind::SamlSignIn,
        GrantKind::SamlRequestId,
        GrantKind::SamlSession,
        GrantKind::SamlLogout,
        GrantKind::SamlOutgoing,
    ];

    /// Decode the tag byte.
    pub fn from_u8(b: u8) -> Option<GrantKind> {
        GrantKind::ALL.into_iter().find(|k| *k as u8 == b)
    }
}

/// One piece of grant state: a token, a code, a used assertion id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrantRecord {
    /// The grant family: everything issued from one authorization shares it, so one
    /// [`GrantStore::remove_family`] revokes them together. Empty means no family.
    pub family: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The resource owner, if any (none for client_credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Space-separated granted scopes.
    #[serde(default)]
    pub scope: String,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// When it stops being valid; reads at or after this instant see nothing.
    pub expires_at: UnixTime,
    /// Kind-specific data (token format, `jti`, audience, ...).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl GrantRecord {
    /// Whether the record is still valid at `now`.
    pub fn is_live(&self, now: UnixTime) -> bool {
        now < self.expires_at
    }

    /// A record of no family, client or subject (counters, markers, queue entries).
    pub fn bare(issued_at: UnixTime, expires_at: UnixTime) -> GrantRecord {
        GrantRecord {
            family: String::new(),
            client_id: String::new(),
            subject: None,
            scope: String::new(),
            issued_at,
            expires_at,
            data: serde_json::Map::new(),
        }
    }
}

impl dyn GrantStore {
    /// The live record `kind`/`key` read as a `T` ([`GrantRecord::read`]).
    pub async fn read<T: GrantData>(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<T>, StoreError> {
        self.get_shared(kind, key, now)
            .await?
            .map(|r| r.read())
            .transpose()
    }
}

/// The typed contents of one kind of grant record (a code's grant, a session, a pending
/// interaction, a logout delivery, ..): what its `data` holds, read and written whole, so
/// no code reads grant data by member name.
pub trait GrantData: serde::Serialize + serde::de::DeserializeOwned {
    /// The member of `data` that holds the value, or `None` when the value's own members
    /// are `data`'s (each kind keeps the layout it has always been stored in).
    const MEMBER: Option<&'static str>;
}

impl GrantRecord {
    /// `data` as a `T`; `Corrupt` when it holds none.
    pub fn read<T: GrantData>(&self) -> Result<T, StoreError> {
        let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("grant data: {e}"));
        match T::MEMBER {
            Some(member) => match self.data.get(member) {
                Some(v) => T::deserialize(v).map_err(corrupt),
                None => Err(StoreError::Corrupt(format!("grant data without {member}"))),
            },
            None => T::deserialize(&self.data).map_err(corrupt),
        }
    }

    /// This record holding `value` as its `data`.
    pub fn with<T: GrantData>(mut self, value: &T) -> Result<GrantRecord, StoreError> {
        let v = serde_json::to_value(value)
            .map_err(|e| StoreError::Corrupt(format!("grant data: {e}")))?;
        match (T::MEMBER, v) {
            (Some(member), v) => {
                self.data.insert(member.to_owned(), v);
            }
            (None, serde_json::Value::Object(m)) => self.data = m,
            (None, _) => {
                return Err(StoreError::Corrupt(
                    "grant data must be an object".to_owned(),
                ));
            }
        }
        Ok(self)
    }
}

/// What [`GrantStore::take`] found.
#[derive(Clone, Debug, PartialEq)]
pub enum Taken {
    /// This caller took the live record (and no other caller ever will).
    Record(GrantRecord),
    /// The record was taken before and left a tombstone: here it is, as it was when taken.
    /// A single-use credential presented again (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
    AlreadyUsed(GrantRecord),
    /// No such live record: never stored, expired, removed, or taken without a tombstone.
    Absent,
}

impl Taken {
    /// The record, when this caller took it.
    pub fn record(self) -> Option<GrantRecord> {
        match self {
            Taken::Record(r) => Some(r),
            Taken::AlreadyUsed(_) | Taken::Absent => None,
        }
    }
}

/// Short-lived grant state: tokens, codes, one-time identifiers.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Store a record; `Conflict` if a live record (or a live tombstone) has this key.
    /// Durable when it returns.
    async fn insert(
        &self,
        kind: GrantKind,
        key: &str,
        record: &GrantRecord,
        now: UnixTime,
    ) -> Result<(), StoreError>;
    /// [`GrantStore::insert`] of a record its caller is done with: a backend that keeps
    /// records in memory keeps this one instead of a copy.
    async fn insert_owned(
        &self,
        kind: GrantKind,
        key: &str,
        record: GrantRecord,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        self.insert(kind, key, &record, now).await
    }
    /// Read a live record (a tombstone left by [`GrantStore::take`] reads as absent).
    async fn get(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<GrantRecord>, StoreError>;
    /// [`GrantStore::get`], shared: a backend that keeps records in memory hands out its
    /// own instead of a copy (a reader that only decodes the data need not copy it).
    async fn get_shared(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<Arc<GrantRecord>>, StoreError> {
        Ok(self.get(kind, key, now).await?.map(Arc::new))
    }
    /// Atomically take a live record: of many concurrent callers (on any number of nodes),
    /// exactly one gets [`Taken::Record`]. With `tombstone_until`, the record stays in place
    /// marked used until then, in the same atomic step: every later caller gets
    /// [`Taken::AlreadyUsed`] with it, and [`GrantStore::get`] and
    /// [`GrantStore::insert`] treat it as a live record nobody may read or replace. Without,
    /// the record is deleted and later callers get [`Taken::Absent`].
    async fn take(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
        tombstone_until: Option<UnixTime>,
    ) -> Result<Taken, StoreError>;
    /// Atomically add one to the counter at `key` and return its new value: 1 when there
    /// was no live counter. The counter then expires at `expires_at`. Concurrent increments
    /// are never lost. A counter is read only through this, [`GrantStore::add`] and
    /// [`GrantStore::counter`] (its record's `data` is not).
    async fn increment(
        &self,
        kind: GrantKind,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        self.add(kind, key, 1, expires_at, now).await
    }
    /// [`GrantStore::increment`] by `by` in one atomic step (a batch of counts gathered in
    /// memory): the new value, `by` when there was no live counter.
    async fn add(
        &self,
        kind: GrantKind,
        key: &str,
        by: u64,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<u64, StoreError>;
    /// The value of the live counter at `key`; 0 when there is none (never counted, expired
    /// or removed). Reads only.
    async fn counter(&self, kind: GrantKind, key: &str, now: UnixTime) -> Result<u64, StoreError>;
    /// Up to `limit` live, untaken records of `kind` with their keys, in no particular order
    /// (work queues: the back-channel logout deliveries).
    async fn scan(
        &self,
        kind: GrantKind,
        now: UnixTime,
        limit: usize,
    ) -> Result<Vec<(String, GrantRecord)>, StoreError>;
    /// Up to `limit` live, untaken records of the family `family`, of any kind, with their
    /// kinds and keys, in no particular order (a person's consents, sessions: what an
    /// administrator lists). Read through the family index every backend keeps for
    /// [`GrantStore::remove_family`].
    async fn family(
        &self,
        family: &str,
        now: UnixTime,
        limit: usize,
    ) -> Result<Vec<(GrantKind, String, GrantRecord)>, StoreError>;
    /// Remove a record; `true` if it existed (live or not).
    async fn remove(&self, kind: GrantKind, key: &str) -> Result<bool, StoreError>;
    /// Remove a record only if its `client_id` is `owner`, in one atomic step; `true` if it
    /// was removed. Leases: only their holder frees them.
    async fn remove_owned(
        &self,
        kind: GrantKind,
        key: &str,
        owner: &str,
    ) -> Result<bool, StoreError>;
    /// Remove every record of a family; returns how many. The empty family names nothing.
    async fn remove_family(&self, family: &str) -> Result<usize, StoreError>;
    /// Delete up to `limit` records expired at `now`; returns how many.
    async fn sweep(&self, now: UnixTime, limit: usize) -> Result<usize, StoreError>;
}

/// The two primitives of one backend: what repositories are built on
/// ([`crate::repo::Stores::new`]) and what the conformance suite checks.
#[derive(Clone)]
pub struct Backend {
    /// Short-lived grant state.
    pub grants: Arc<dyn GrantStore>,
    /// Collections of documents.
    pub documents: Arc<dyn document::DocumentStore>,
    /// Whether other processes share this backend (PostgreSQL): then keys are published
    /// for a while before they sign, so every node has loaded them (`keys::rotation`).
    pub shared: bool,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

impl Backend {
    /// Both primitives served by one backend value.
    fn of<T>(backend: Arc<T>, shared: bool) -> Backend
    where
        T: GrantStore + document::DocumentStore + 'static,
    {
        Backend {
            grants: backend.clone(),
            documents: backend,
            shared,
        }
    }

    /// Everything in memory (tests, embedders that persist elsewhere).
    pub fn memory() -> Backend {
        Backend::of(Arc::new(memory::MemoryStore::default()), false)
    }

    /// One PostgreSQL database (scale-out: many processes, one database).
    #[cfg(feature = "postgres")]
    pub fn postgres(store: postgres::PgStore) -> Backend {
        Backend::of(Arc::new(store), true)
    }

    /// One sled database at `path` (the embedded default).
    #[cfg(feature = "sled")]
    pub fn sled(path: &std::path::Path) -> Result<Backend, StoreError> {
        Ok(Backend::of(
            Arc::new(self::sled::SledStore::open(path)?),
            false,
        ))
    }
}
