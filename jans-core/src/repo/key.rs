//! Signing keys as stored (Janssen's auth-key-rotation): the public JWK in clear, the
//! private half sealed, and where each key is in its life. The ring that uses them is
//! [`crate::keys`].

use serde::{Deserialize, Serialize};

use crate::ctx::UnixTime;
use crate::jose::{Algorithm, Jwk};

/// Where a key is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Published in the JWKS, not yet signing: relying parties learn it before it is used.
    Next,
    /// Published and signing.
    Active,
    /// Published, no longer signing, until everything it signed has expired.
    Retired,
    /// No longer in the JWKS; served at `/jwks/archived/{kid}`. Its private half is erased.
    Archived,
}

impl KeyStatus {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Next => "next",
            KeyStatus::Active => "active",
            KeyStatus::Retired => "retired",
            KeyStatus::Archived => "archived",
        }
    }

    /// Whether the key appears in the published JWKS.
    pub fn is_published(self) -> bool {
        matches!(
            self,
            KeyStatus::Next | KeyStatus::Active | KeyStatus::Retired
        )
    }
}

/// A signing key as stored: public JWK in clear, private half sealed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredKey {
    /// RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// The one algorithm it signs with.
    pub alg: Algorithm,
    /// Life-cycle state.
    pub status: KeyStatus,
    /// When it was generated (and first published).
    pub created_at: UnixTime,
    /// When it started signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<UnixTime>,
    /// When it stopped signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<UnixTime>,
    /// A retired key stays in the JWKS until this instant, then is archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_until: Option<UnixTime>,
    /// PKCS#8 DER sealed with the [`crate::keys::SecretBox`]; erased when archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_private: Option<String>,
    /// The public key with `kid`, `alg`, `use`.
    pub public_jwk: Jwk,
}
