//! FIDO2 registrations (Janssen's `jansFido2RegistrationEntry`): the credentials people
//! registered, a collection of the document store (DESIGN.md §4).
//!
//! A registration's id is `{user inum}/{credential key}`, so one user's credentials are one
//! range of ids (listed without a scan of everyone's); the credential key, the base64url
//! SHA-256 of the credential id, is also a unique key of the collection, so a credential id
//! is registered once across all users (WebAuthn Level 3 §7.1 step 26) and a usernameless
//! assertion finds its credential in one lookup.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ctx::UnixTime;
use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::{DocumentStore, Key};

/// One registered credential.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fido2Registration {
    /// The owner's `inum`.
    pub user_inum: String,
    /// The owner's login name when it registered (for listings; the inum is what binds).
    pub username: String,
    /// The credential id (base64url), as the authenticator made it.
    pub credential_id: String,
    /// The credential public key: the COSE_Key (base64url) from the attested credential
    /// data (§6.5.1.1).
    pub public_key: String,
    /// Its COSE algorithm (`-7` ES256, `-257` RS256, ..).
    pub algorithm: i64,
    /// The last signature counter seen (§6.1.1).
    pub sign_count: u32,
    /// The authenticator model (AAGUID, as a UUID; all zeros when not told).
    pub aaguid: String,
    /// How the client can reach the authenticator (`usb`, `nfc`, `ble`, `internal`,
    /// `hybrid`), as the browser reported at registration.
    #[serde(default)]
    pub transports: Vec<String>,
    /// BE: the credential may be backed up (a synced passkey).
    pub backup_eligible: bool,
    /// BS: the credential is backed up, as of the last ceremony.
    pub backed_up: bool,
    /// The attestation statement format (`none`, `packed`, `fido-u2f`, ..).
    pub attestation_format: String,
    /// The attestation type verified (§6.5.3: `none`, `self`, `basic`, `attca`, `anonca`).
    pub attestation_type: String,
    /// Whether the attestation chained to a trusted root (metadata or configured roots).
    #[serde(default)]
    pub attestation_trusted: bool,
    /// Why the attestation is not trusted, when it was judged and found wanting (in
    /// `attestationMode` `monitor`): a Janssen `JFS_*` code and a sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_problem: Option<String>,
    /// The authenticator model's name in the FIDO metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_name: Option<String>,
    /// The RP ID the credential is scoped to.
    pub rp_id: String,
    /// The origin it was registered from.
    pub origin: String,
    /// Whether the authenticator said it is discoverable (`credProps.rk`), when it said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    /// The U2F AppID it was registered under (legacy U2F credentials used through the
    /// `appid` extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// A name the user gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// When it was registered.
    pub created_at: UnixTime,
    /// When it last signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<UnixTime>,
    /// Set when the signature counter went backwards (§6.1.1: a sign of a cloned
    /// authenticator) and the configuration records rather than refuses.
    #[serde(default)]
    pub clone_warning: bool,
}

impl Fido2Registration {
    /// The credential id's bytes.
    pub fn credential_id_bytes(&self) -> Result<Vec<u8>, StoreError> {
        crate::b64::decode(&self.credential_id)
            .map_err(|_| StoreError::Corrupt("fido2 registration: credential id".into()))
    }

    /// The id of this registration in its collection.
    pub fn id(&self) -> Result<String, StoreError> {
        Ok(Registrations::id(
            &self.user_inum,
            &self.credential_id_bytes()?,
        ))
    }
}

/// The collection `fido2_registrations`.
#[derive(Clone, Debug)]
pub struct Registrations(Collection<Fido2Registration>);

/// Most registrations one user may hold (listing reads them all).
pub const MAX_PER_USER: usize = 100;

impl Registrations {
    /// The collection's name.
    pub const COLLECTION: &'static str = "fido2_registrations";
    /// The unique key: the credential key ([`Registrations::credential_key`]).
    pub const CREDENTIAL: &'static str = "credentialId";

    /// The registrations kept in `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> Registrations {
        Registrations(Collection::new(store, Self::COLLECTION))
    }

    /// The key of a credential id: base64url SHA-256, short whatever the id's length.
    pub fn credential_key(credential_id: &[u8]) -> String {
        crate::b64::encode(&Sha256::digest(credential_id))
    }

    /// The id of the registration of `credential_id` by the user `inum`.
    pub fn id(inum: &str, credential_id: &[u8]) -> String {
        format!("{inum}/{}", Self::credential_key(credential_id))
    }

    fn keys(credential_id: &[u8]) -> [Key; 1] {
        [Key::unique(
            Self::CREDENTIAL,
            Self::credential_key(credential_id),
        )]
    }

    /// Store a new registration; `Conflict` when the credential id is registered already
    /// (to anyone). Durable when it returns.
    pub async fn insert(&self, reg: &Fido2Registration) -> Result<(), StoreError> {
        let cred = reg.credential_id_bytes()?;
        self.0
            .insert(&Self::id(&reg.user_inum, &cred), reg, &Self::keys(&cred))
            .await
            .map(drop)
    }

    /// The registration of `credential_id`, with its revision.
    pub async fn by_credential_id(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<(u64, Fido2Registration)>, StoreError> {
        self.0
            .find_revision(Self::CREDENTIAL, &Self::credential_key(credential_id))
            .await
    }

    /// The registration whose credential key ([`Registrations::credential_key`]) is `key`,
    /// with its revision.
    pub async fn by_credential_key(
        &self,
        key: &str,
    ) -> Result<Option<(u64, Fido2Registration)>, StoreError> {
        self.0.find_revision(Self::CREDENTIAL, key).await
    }

    /// The registration `id` of the user `inum` (`id` as [`Registrations::id`] makes it),
    /// with its revision.
    pub async fn get(&self, id: &str) -> Result<Option<(u64, Fido2Registration)>, StoreError> {
        self.0.get_revision(id).await
    }

    /// The registrations of the user `inum`, oldest first (at most [`MAX_PER_USER`]).
    pub async fn of_user(&self, inum: &str) -> Result<Vec<Fido2Registration>, StoreError> {
        let prefix = format!("{inum}/");
        let mut out = self.0.range(&prefix, MAX_PER_USER).await?;
        out.sort_by(|a, b| (a.created_at, &a.credential_id).cmp(&(b.created_at, &b.credential_id)));
        Ok(out)
    }

    /// Write `reg` back if it is still at `revision` (`Conflict` when another write came
    /// first: the caller reads again and decides again).
    pub async fn update(&self, reg: &Fido2Registration, revision: u64) -> Result<(), StoreError> {
        let cred = reg.credential_id_bytes()?;
        self.0
            .replace(
                &Self::id(&reg.user_inum, &cred),
                reg,
                &Self::keys(&cred),
                Some(revision),
            )
            .await
            .map(drop)
    }

    /// Delete the registration `id`; whether it existed.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.0.delete(id).await
    }

    /// Every registration, in id order.
    pub async fn all(&self) -> Result<Vec<Fido2Registration>, StoreError> {
        self.0.all().await
    }
}
