//! The in-memory key ring built from the key store: who signs for each algorithm, what the
//! JWKS publishes, and which archived keys can still be looked up.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::rotation::{self, Change, Policy};
use super::{KeyStatus, SecretBox, StoredKey, key_aad};
use crate::crypto::{
    CryptoProvider, Curve, DecryptionKey, DecryptionKeyType, SigningKey, VerifyingKey,
};
use crate::ctx::{Ctx, UnixTime};
use crate::error::Error;
use crate::jose::jwe::KeyAlg;
use crate::jose::{Algorithm, Jwk, Jwks, KeyAlgorithm, jws};
use crate::repo::key::Keys;

/// `typ` values whose headers every signer keeps encoded: RFC 9068 access tokens, OIDC ID
/// tokens, RFC 9701 introspection responses.
pub const SIGNED_TYPES: [&str; 5] = [
    "at+jwt",
    "JWT",
    "token-introspection+jwt",
    "logout+jwt",
    // Transaction tokens (token exchange; draft-ietf-oauth-transaction-tokens).
    "txntoken+jwt",
];

/// An active key ready to sign.
#[derive(Debug)]
pub struct Signer {
    /// Its `kid` (RFC 7638 thumbprint).
    pub kid: String,
    /// The private key.
    pub key: Arc<dyn SigningKey>,
    /// `{alg, kid, typ}` headers, base64url-encoded once, for each of [`SIGNED_TYPES`].
    encoded_headers: [String; 5],
}

impl Signer {
    fn new(kid: String, key: Arc<dyn SigningKey>) -> Result<Self, Error> {
        let mut encoded_headers: [String; 5] = Default::default();
        for (slot, typ) in encoded_headers.iter_mut().zip(SIGNED_TYPES) {
            let mut h = jws::Header::new(key.algorithm());
            h.kid = Some(kid.clone());
            h.typ = Some(typ.to_owned());
            *slot = h.encode()?;
        }
        Ok(Signer {
            kid,
            key,
            encoded_headers,
        })
    }

    /// Sign `payload` as a compact JWS with header `{alg, kid, typ}`; `typ` must be one of
    /// `SIGNED_TYPES`.
    pub fn sign(
        &self,
        typ: &str,
        payload: &[u8],
        rng: &dyn crate::ctx::Random,
    ) -> Result<String, Error> {
        let header = SIGNED_TYPES
            .iter()
            .position(|t| *t == typ)
            .and_then(|i| self.encoded_headers.get(i))
            .ok_or_else(|| Error::Internal(format!("no encoded header for typ {typ}")))?;
        Ok(jws::sign_encoded(header, payload, self.key.as_ref(), rng)?)
    }
}

/// A snapshot of the key set. Cheap to share; replaced whole on every change.
#[derive(Debug, Default)]
pub struct KeyRing {
    signers: HashMap<Algorithm, Arc<Signer>>,
    decrypters: HashMap<String, Decrypter>,
    jwks: Jwks,
    jwks_json: Arc<serde_json::Value>,
    verifiers: HashMap<String, Arc<dyn VerifyingKey>>,
    archived: HashMap<String, Jwk>,
    keys: Vec<StoredKey>,
    certificates: Vec<(String, Arc<[u8]>)>,
}

impl KeyRing {
    /// The active signer for `alg`.
    pub fn signer(&self, alg: Algorithm) -> Option<&Arc<Signer>> {
        self.signers.get(&alg)
    }

    /// The published key set (RFC 7517 §5): next, active and retired keys.
    pub fn jwks(&self) -> &Jwks {
        &self.jwks
    }

    /// The published key set as JSON, serialized once per ring.
    pub fn jwks_json(&self) -> Arc<serde_json::Value> {
        self.jwks_json.clone()
    }

    /// A verifier for a published key.
    pub fn verifier(&self, kid: &str) -> Option<&Arc<dyn VerifyingKey>> {
        self.verifiers.get(kid)
    }

    /// The decryption key a JWE names by `kid`: every published encryption key decrypts, so
    /// a client that encrypted to a key before it signs (`Next`) or after (`Retired`) is
    /// still understood.
    pub fn decrypter(&self, kid: &str) -> Option<&Decrypter> {
        self.decrypters.get(kid)
    }

    /// The decryption keys of `alg`, newest active first (for a JWE without `kid`).
    pub fn decrypters_for(&self, alg: KeyAlg) -> Vec<&Decrypter> {
        let mut v: Vec<&Decrypter> = self.decrypters.values().filter(|d| d.alg == alg).collect();
        v.sort_by_key(|d| (status_rank(d.status), std::cmp::Reverse(d.created_at)));
        v
    }

    /// Key management algorithms with an active encryption key (what clients may encrypt to).
    pub fn encryption_algorithms(&self) -> Vec<KeyAlg> {
        let mut v: Vec<KeyAlg> = self
            .decrypters
            .values()
            .filter(|d| d.status == KeyStatus::Active)
            .map(|d| d.alg)
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// An archived key's public JWK.
    pub fn archived(&self, kid: &str) -> Option<&Jwk> {
        self.archived.get(kid)
    }

    /// Every stored key, for listing (private halves stay sealed).
    pub fn keys(&self) -> &[StoredKey] {
        &self.keys
    }

    /// Self-signed X.509 certificates of the active and next signing keys (active first),
    /// by `kid`: how SAML metadata publishes keys (`ds:X509Certificate`), the next one
    /// before it signs.
    pub fn certificates(&self) -> Vec<(&str, &[u8])> {
        self.certificates
            .iter()
            .map(|(k, c)| (k.as_str(), c.as_ref()))
            .collect()
    }

    /// The certificate of the signing key `kid`, if it is active or next.
    pub fn certificate(&self, kid: &str) -> Option<&[u8]> {
        self.certificates
            .iter()
            .find(|(k, _)| k == kid)
            .map(|(_, c)| c.as_ref())
    }

    /// Algorithms with an active key.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        let mut v: Vec<Algorithm> = self.signers.keys().copied().collect();
        v.sort();
        v
    }
}

/// A published encryption key of ours, ready to decrypt JWEs sent to it (RFC 7516).
#[derive(Debug, Clone)]
pub struct Decrypter {
    /// Its `kid`.
    pub kid: String,
    /// The one key management algorithm it is published for.
    pub alg: KeyAlg,
    /// Its state (Next, Active or Retired).
    pub status: KeyStatus,
    /// When it was generated.
    pub created_at: crate::ctx::UnixTime,
    /// The private key.
    pub key: Arc<dyn DecryptionKey>,
}

/// The kind of key an encryption algorithm needs: RSA for RSAES-OAEP, EC (P-256 unless the
/// stored JWK names another curve) for ECDH-ES.
fn decryption_key_type(alg: KeyAlg, jwk: Option<&Jwk>) -> Result<DecryptionKeyType, Error> {
    match alg {
        KeyAlg::RsaOaep | KeyAlg::RsaOaep256 => Ok(DecryptionKeyType::Rsa),
        KeyAlg::EcdhEs | KeyAlg::EcdhEsA128Kw | KeyAlg::EcdhEsA256Kw => Ok(DecryptionKeyType::Ec(
            jwk.and_then(|j| j.crv.as_deref())
                .map_or(Some(Curve::P256), Curve::from_name)
                .ok_or_else(|| Error::Internal(format!("stored {alg} key on an unknown curve")))?,
        )),
        _ => Err(Error::Internal(format!("{alg} has no key pair"))),
    }
}

/// Years a key's certificate is valid for: longer than any key lives (rotation replaces it
/// long before); SAML metadata uses certificates only as key containers.
const CERTIFICATE_YEARS: u64 = 20;

/// Randomness fixed by a key's id, so every node makes the same certificate for a key
/// (what ECDSA draws; RSA PKCS#1 v1.5 draws nothing).
struct KidSeeded([u8; 32]);

impl crate::ctx::Random for KidSeeded {
    fn fill(&self, dest: &mut [u8]) {
        use sha2::Digest as _;
        for (i, chunk) in dest.chunks_mut(32).enumerate() {
            let block = sha2::Sha256::new()
                .chain_update(self.0)
                .chain_update((i as u64).to_be_bytes())
                .finalize();
            for (d, s) in chunk.iter_mut().zip(block.iter()) {
                *d = *s;
            }
        }
    }
}

/// A self-signed certificate for the signing key `kid` generated at `created_at`
/// (`CN=jans-rs {kid}`, serial from the kid, valid from its creation), or `None` for an
/// algorithm X.509 is not made for here (EdDSA, PS*): such keys are simply not published
/// in SAML metadata.
fn make_certificate(kid: &str, created_at: UnixTime, key: &dyn SigningKey) -> Option<Vec<u8>> {
    use sha2::Digest as _;
    let seed: [u8; 32] = sha2::Sha256::digest(kid.as_bytes()).into();
    let serial = seed.get(..16)?;
    let name: String = format!("jans-rs {kid}").chars().take(64).collect();
    let until = created_at.saturating_add(CERTIFICATE_YEARS * 365 * 86_400);
    crate::x509::build::self_signed(key, &name, serial, created_at, until, &KidSeeded(seed)).ok()
}

/// Whether the certificate `der` is of the public key `jwk` (their RFC 7638 thumbprints).
fn certifies(der: &[u8], jwk: &Jwk) -> bool {
    let of_cert = crate::x509::Certificate::parse(der)
        .ok()
        .and_then(|c| c.public_jwk().ok())
        .and_then(|(j, _)| j.thumbprint().ok());
    of_cert.is_some_and(|t| jwk.thumbprint().ok() == Some(t))
}

/// The certificate published for the signing key `k`: the one stored with it when it is
/// of this key, so that every node and every rebuild publish the same bytes; else (a key
/// stored before certificates were kept) one made now.
fn certificate(k: &StoredKey, key: &dyn SigningKey) -> Option<Arc<[u8]>> {
    let stored = k
        .certificate
        .as_deref()
        .and_then(|c| crate::b64::decode_std_wrapped(c).ok())
        .filter(|der| certifies(der, &k.public_jwk));
    stored
        .or_else(|| make_certificate(&k.kid, k.created_at, key))
        .map(Arc::from)
}

/// Owns the current [`KeyRing`] and applies rotations through the [`Keys`] repository.
#[derive(Debug)]
pub struct KeyManager {
    provider: Arc<dyn CryptoProvider>,
    secret_box: SecretBox,
    ring: RwLock<Arc<KeyRing>>,
}

fn status_rank(s: KeyStatus) -> u8 {
    match s {
        KeyStatus::Active => 0,
        KeyStatus::Next => 1,
        KeyStatus::Retired => 2,
        KeyStatus::Archived => 3,
    }
}

impl KeyManager {
    /// A manager with an empty ring; call [`KeyManager::reload`] or [`KeyManager::rotate`].
    pub fn new(provider: Arc<dyn CryptoProvider>, secret_box: SecretBox) -> Self {
        KeyManager {
            provider,
            secret_box,
            ring: RwLock::new(Arc::new(KeyRing::default())),
        }
    }

    /// The current ring.
    pub fn ring(&self) -> Arc<KeyRing> {
        self.ring
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    fn build(&self, mut keys: Vec<StoredKey>) -> Result<KeyRing, Error> {
        keys.sort_by(|a, b| {
            (
                status_rank(a.status),
                a.alg,
                std::cmp::Reverse(a.created_at),
            )
                .cmp(&(
                    status_rank(b.status),
                    b.alg,
                    std::cmp::Reverse(b.created_at),
                ))
        });
        let mut ring = KeyRing::default();
        for k in &keys {
            let alg = match k.alg {
                KeyAlgorithm::Sig(alg) => alg,
                KeyAlgorithm::Enc(alg) => {
                    self.add_decrypter(&mut ring, k, alg)?;
                    continue;
                }
            };
            if k.status.is_published() {
                ring.jwks.keys.push(k.public_jwk.clone());
                let v = self.provider.verifying_key(alg, &k.public_jwk)?;
                ring.verifiers.insert(k.kid.clone(), v);
            } else {
                ring.archived.insert(k.kid.clone(), k.public_jwk.clone());
            }
            let signs = k.status == KeyStatus::Active && !ring.signers.contains_key(&alg);
            if signs || k.status == KeyStatus::Next {
                let sealed = k.sealed_private.as_deref().ok_or_else(|| {
                    Error::Internal(format!("signing key {} has no private half", k.kid))
                })?;
                let der = zeroizing(self.secret_box.open(sealed, &key_aad(&k.kid))?);
                let key = self.provider.signing_key_from_pkcs8(alg, &der.0)?;
                if let Some(cert) = certificate(k, key.as_ref()) {
                    ring.certificates.push((k.kid.clone(), cert));
                }
                if signs {
                    ring.signers
                        .insert(alg, Arc::new(Signer::new(k.kid.clone(), key)?));
                }
            }
        }
        ring.jwks_json =
            Arc::new(serde_json::to_value(&ring.jwks).map_err(|e| Error::Internal(e.to_string()))?);
        ring.keys = keys;
        Ok(ring)
    }

    /// A published encryption key goes into the JWKS (`use: enc`) and, with its private
    /// half, among the decrypters; an archived one is only remembered.
    fn add_decrypter(&self, ring: &mut KeyRing, k: &StoredKey, alg: KeyAlg) -> Result<(), Error> {
        if !k.status.is_published() {
            ring.archived.insert(k.kid.clone(), k.public_jwk.clone());
            return Ok(());
        }
        ring.jwks.keys.push(k.public_jwk.clone());
        if let Some(sealed) = k.sealed_private.as_deref() {
            let der = zeroizing(self.secret_box.open(sealed, &key_aad(&k.kid))?);
            let key_type = decryption_key_type(alg, Some(&k.public_jwk))?;
            let key = self.provider.decryption_key_from_pkcs8(key_type, &der.0)?;
            ring.decrypters.insert(
                k.kid.clone(),
                Decrypter {
                    kid: k.kid.clone(),
                    alg,
                    status: k.status,
                    created_at: k.created_at,
                    key,
                },
            );
        }
        Ok(())
    }

    /// Rebuild the ring from the store when it holds other keys or states than the ring
    /// (e.g. after another process rotated); unchanged keys are not opened again.
    pub async fn reload(&self, store: &Keys) -> Result<(), Error> {
        self.install_if_changed(store.list().await?)
    }

    fn install_if_changed(&self, keys: Vec<StoredKey>) -> Result<(), Error> {
        if !same_keys(self.ring().keys(), &keys) {
            self.install(self.build(keys)?);
        }
        Ok(())
    }

    fn install(&self, ring: KeyRing) {
        let ring = Arc::new(ring);
        match self.ring.write() {
            Ok(mut g) => *g = ring,
            Err(p) => *p.into_inner() = ring,
        }
    }

    fn generate(
        &self,
        alg: KeyAlgorithm,
        status: KeyStatus,
        ctx: &Ctx,
    ) -> Result<StoredKey, Error> {
        let (mut jwk, der, signing) = match alg {
            KeyAlgorithm::Sig(a) => {
                let key = self.provider.generate(a, ctx.rng.as_ref())?;
                (key.public_jwk(), zeroizing(key.to_pkcs8_der()?), Some(key))
            }
            KeyAlgorithm::Enc(a) => {
                let key = self
                    .provider
                    .generate_decryption_key(decryption_key_type(a, None)?, ctx.rng.as_ref())?;
                (key.public_jwk(), zeroizing(key.to_pkcs8_der()?), None)
            }
        };
        let kid = jwk.thumbprint()?;
        let certificate = signing
            .and_then(|key| make_certificate(&kid, ctx.now, key.as_ref()))
            .map(|der| crate::b64::encode_std(&der));
        jwk.kid = Some(kid.clone());
        jwk.alg = Some(alg.as_str().to_owned());
        jwk.use_ = Some(alg.key_use().to_owned());
        let sealed = self
            .secret_box
            .seal(&der.0, &key_aad(&kid), ctx.rng.as_ref())?;
        Ok(StoredKey {
            kid,
            alg,
            status,
            created_at: ctx.now,
            activated_at: (status == KeyStatus::Active).then_some(ctx.now),
            retired_at: None,
            publish_until: None,
            sealed_private: Some(sealed),
            public_jwk: jwk,
            certificate,
        })
    }

    /// Bring the key set up to date at `ctx.now` (or rotate every algorithm now, with
    /// `force`), persist the changes and install the new ring. Returns what changed.
    ///
    /// `retention` is asked only when a key retires, for the longest lifetime of anything
    /// signed (it may have to look at every client); `policy.retention` is ignored then.
    pub async fn rotate(
        &self,
        store: &Keys,
        policy: &Policy,
        retention: impl AsyncFnOnce() -> Result<u64, Error>,
        ctx: &Ctx,
        force: bool,
    ) -> Result<Vec<Change>, Error> {
        let mut keys = store.list().await?;
        let mut changes = rotation::plan(&keys, policy, ctx.now, force);
        if changes.iter().any(|c| matches!(c, Change::Retire(..))) {
            let policy = Policy {
                retention: retention().await?,
                ..policy.clone()
            };
            changes = rotation::plan(&keys, &policy, ctx.now, force);
        }
        if changes.is_empty() {
            // Nothing to do here, but another node may have rotated: serve what is stored.
            self.install_if_changed(keys)?;
            return Ok(changes);
        }
        // New keys are written first, then promotions, so a crash in between never leaves
        // an algorithm without a published successor.
        for c in &changes {
            if let Change::Generate(alg, status) = c {
                let k = self.generate(*alg, *status, ctx)?;
                store.put(&k).await?;
                keys.push(k);
            }
        }
        for c in &changes {
            let kid = match c {
                Change::Generate(..) => continue,
                Change::Promote(kid) | Change::Retire(kid, _) | Change::Archive(kid) => kid,
            };
            if let Some(k) = keys.iter_mut().find(|k| &k.kid == kid) {
                apply(k, c, ctx.now);
                store.put(k).await?;
            }
        }
        self.install(self.build(keys)?);
        Ok(changes)
    }
}

/// Whether two key sets hold the same keys in the same states (in any order).
fn same_keys(a: &[StoredKey], b: &[StoredKey]) -> bool {
    a.len() == b.len() && a.iter().all(|k| b.contains(k))
}

/// Apply a promotion, retirement or archival to a stored key.
fn apply(k: &mut StoredKey, change: &Change, now: crate::ctx::UnixTime) {
    match change {
        Change::Generate(..) => {}
        Change::Promote(_) => {
            k.status = KeyStatus::Active;
            k.activated_at = Some(now);
        }
        Change::Retire(_, until) => {
            k.status = KeyStatus::Retired;
            k.retired_at = Some(now);
            k.publish_until = Some(*until);
        }
        Change::Archive(_) => {
            k.status = KeyStatus::Archived;
            k.sealed_private = None;
        }
    }
}

/// Private key bytes that are wiped when dropped.
struct Wiped(Vec<u8>);

impl Drop for Wiped {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // Volatile-free best effort; the allocation is dropped right after.
            *b = 0;
        }
        std::hint::black_box(&self.0);
    }
}

fn zeroizing(v: Vec<u8>) -> Wiped {
    Wiped(v)
}
