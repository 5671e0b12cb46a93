//! Browser sessions, kept as grant records (a session is a short-lived, expiring,
//! single-owner record like any grant; every backend gives it durability, expiry and
//! sweeping). The auth-server creates and extends them (`auth::authn::session`); the other
//! components that sign users in (SAML, Casa) share them.
//!
//! A session is keyed by the SHA-256 of the `session_id` cookie value ([`token_key`]), so
//! a database read does not yield usable cookies. Its family is `session:{inum}`: one call
//! ends every session of a user. `sid` (OIDC Front-/Back-Channel Logout) is a separate
//! public id.
//!
//! [`token_key`]: crate::repo::grant::token_key

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ctx::UnixTime;
use crate::repo::grant::GrantRecords;
use crate::store::{GrantData, GrantKind, GrantRecord, GrantStore, StoreError};

/// Name of the session cookie (Janssen's `session_id`); its value is the session's key
/// before hashing.
pub const SESSION_COOKIE: &str = "session_id";

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

/// A stored session with its lifetime.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSession {
    /// The session.
    pub session: Session,
    /// When it was created.
    pub created_at: UnixTime,
    /// When it ends unless used again.
    pub expires_at: UnixTime,
}

/// The sessions, by the SHA-256 of their cookie value.
#[derive(Clone, Debug)]
pub struct Sessions(GrantRecords<Session>);

impl Sessions {
    /// The sessions kept in `grants`.
    pub fn new(grants: Arc<dyn GrantStore>) -> Sessions {
        Sessions(GrantRecords::new(grants, GrantKind::Session))
    }

    /// The family of every session of the user `inum`.
    pub fn family_of(inum: &str) -> String {
        format!("session:{inum}")
    }

    fn stamp(s: &Session, created_at: UnixTime, expires_at: UnixTime) -> GrantRecord {
        let mut rec = GrantRecord::bare(created_at, expires_at);
        rec.family = Self::family_of(&s.user_inum);
        rec.subject = Some(s.user_inum.clone());
        rec
    }

    /// Store a new session under `key`, live until `expires_at`.
    pub async fn insert(
        &self,
        key: &str,
        session: &Session,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        self.0
            .insert(key, Self::stamp(session, now, expires_at), session, now)
            .await
    }

    /// The live session under `key`.
    pub async fn get(&self, key: &str, now: UnixTime) -> Result<Option<StoredSession>, StoreError> {
        Ok(self
            .0
            .get(key, now)
            .await?
            .map(|(rec, session)| StoredSession {
                session,
                created_at: rec.issued_at,
                expires_at: rec.expires_at,
            }))
    }

    /// Write `stored` back under `key` (a longer life, another client told about logout).
    pub async fn put(
        &self,
        key: &str,
        stored: &StoredSession,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let stamp = Self::stamp(&stored.session, stored.created_at, stored.expires_at);
        self.0.replace(key, stamp, &stored.session, now).await
    }

    /// End the session under `key`; whether it existed.
    pub async fn remove(&self, key: &str) -> Result<bool, StoreError> {
        self.0.remove(key).await
    }

    /// Up to `limit` live sessions with their store keys: every person's (`user: None`, a
    /// scan of the sessions) or one person's (their family).
    pub async fn list(
        &self,
        user: Option<&str>,
        now: UnixTime,
        limit: usize,
    ) -> Result<Vec<(String, StoredSession)>, StoreError> {
        let store = self.0.store();
        let found: Vec<(String, GrantRecord)> = match user {
            None => store.scan(GrantKind::Session, now, limit).await?,
            Some(inum) => store
                .family(&Self::family_of(inum), now, limit)
                .await?
                .into_iter()
                .filter(|(kind, _, _)| *kind == GrantKind::Session)
                .map(|(_, key, rec)| (key, rec))
                .collect(),
        };
        Ok(found
            .into_iter()
            .filter_map(|(key, rec)| {
                let session = rec.read::<Session>().ok()?;
                Some((
                    key,
                    StoredSession {
                        session,
                        created_at: rec.issued_at,
                        expires_at: rec.expires_at,
                    },
                ))
            })
            .collect())
    }
}
