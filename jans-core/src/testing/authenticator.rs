//! A software WebAuthn authenticator and client, for tests and benches of the FIDO2
//! component without a browser: it answers creation and request options (the JSON
//! `attestation/options` and `assertion/options` send) with what a browser's `toJSON()`
//! would post back, with `none` or `packed` (self, or x5c with a chain made by
//! [`super::pki`]) attestation. Real browsers and
//! authenticators are tested in `jans-http/tests/interop/`; this is not a stand-in for
//! them, only a way to drive the ceremonies in-process.

use std::sync::Arc;

use coset::cbor::Value as Cbor;
use coset::iana::{self, EnumI64};
use coset::{CborSerializable, CoseKeyBuilder};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::crypto::{CryptoError, CryptoProvider, SigningKey};
use crate::ctx::Random;
use crate::jose::Algorithm;

/// Which attestation statement a registration carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attestation {
    /// `none` (§8.7).
    None,
    /// `packed` self attestation (§8.2): signed by the credential key.
    PackedSelf,
    /// `packed` basic attestation (§8.2): signed by the key of
    /// [`SoftAuthenticator::attestation_cert`], its chain as `x5c`.
    PackedX5c,
}

/// One credential of a software authenticator.
#[derive(Debug)]
pub struct SoftAuthenticator {
    key: Arc<dyn SigningKey>,
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// The AAGUID it reports.
    pub aaguid: [u8; 16],
    /// Its signature counter (incremented before each assertion unless 0 stays 0).
    pub sign_count: u32,
    /// Whether it counts (a synced passkey reports 0 always).
    pub counts: bool,
    /// The user handle it stored at registration (a discoverable credential).
    pub user_handle: Option<Vec<u8>>,
    /// Flag BE.
    pub backup_eligible: bool,
    /// Flag BS.
    pub backed_up: bool,
    /// Whether it verifies the user (flag UV).
    pub user_verifying: bool,
    /// For [`Attestation::PackedX5c`]: the attestation certificate with its key, and the
    /// rest of the chain sent (DER, leaf's issuer first).
    pub attestation_cert: Option<(super::pki::Issued, Vec<Vec<u8>>)>,
    /// The U2F AppID it was registered under through [`SoftAuthenticator::u2f_register`]:
    /// a WebAuthn assertion whose options carry it as the `appid` extension is signed
    /// under it (§10.1.1).
    pub app_id: Option<String>,
}

fn b64(b: &[u8]) -> String {
    crate::b64::encode(b)
}

fn err(what: &'static str) -> CryptoError {
    CryptoError::Failed(what)
}

use super::pki::ecdsa_der;

impl SoftAuthenticator {
    /// A new credential with a fresh `alg` key.
    pub fn new(
        provider: &dyn CryptoProvider,
        alg: Algorithm,
        rng: &dyn Random,
    ) -> Result<SoftAuthenticator, CryptoError> {
        let key = provider.generate(alg, rng)?;
        let mut credential_id = vec![0u8; 32];
        rng.fill(&mut credential_id);
        Ok(SoftAuthenticator {
            key,
            credential_id,
            aaguid: [0x5a; 16],
            sign_count: 0,
            counts: true,
            user_handle: None,
            backup_eligible: false,
            backed_up: false,
            user_verifying: true,
            attestation_cert: None,
            app_id: None,
        })
    }

    /// The credential public key as a COSE_Key (§6.5.1.1).
    pub fn cose_key(&self) -> Result<Vec<u8>, CryptoError> {
        let jwk = self.key.public_jwk();
        let bytes = |m: Option<&String>| -> Result<Vec<u8>, CryptoError> {
            crate::b64::decode(m.ok_or(err("jwk member"))?).map_err(|_| err("jwk b64"))
        };
        let alg = self.key.algorithm();
        let builder = match alg {
            Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => {
                let (crv, a) = match alg {
                    Algorithm::ES256 => (iana::EllipticCurve::P_256, iana::Algorithm::ES256),
                    Algorithm::ES384 => (iana::EllipticCurve::P_384, iana::Algorithm::ES384),
                    _ => (iana::EllipticCurve::P_521, iana::Algorithm::ES512),
                };
                CoseKeyBuilder::new_ec2_pub_key(crv, bytes(jwk.x.as_ref())?, bytes(jwk.y.as_ref())?)
                    .algorithm(a)
            }
            Algorithm::EdDSA => CoseKeyBuilder::new_okp_key()
                .param(
                    iana::OkpKeyParameter::Crv.to_i64(),
                    iana::EllipticCurve::Ed25519.to_i64().into(),
                )
                .param(
                    iana::OkpKeyParameter::X.to_i64(),
                    bytes(jwk.x.as_ref())?.into(),
                )
                .algorithm(iana::Algorithm::EdDSA),
            Algorithm::RS256 | Algorithm::PS256 => CoseKeyBuilder::new()
                .key_type(iana::KeyType::RSA)
                .param(
                    iana::RsaKeyParameter::N.to_i64(),
                    bytes(jwk.n.as_ref())?.into(),
                )
                .param(
                    iana::RsaKeyParameter::E.to_i64(),
                    bytes(jwk.e.as_ref())?.into(),
                )
                .algorithm(if alg == Algorithm::RS256 {
                    iana::Algorithm::RS256
                } else {
                    iana::Algorithm::PS256
                }),
            _ => return Err(err("not a credential algorithm")),
        };
        builder.build().to_vec().map_err(|_| err("cose encoding"))
    }

    /// The COSE algorithm value of the key.
    fn cose_alg(&self) -> i64 {
        match self.key.algorithm() {
            Algorithm::ES256 => iana::Algorithm::ES256,
            Algorithm::ES384 => iana::Algorithm::ES384,
            Algorithm::ES512 => iana::Algorithm::ES512,
            Algorithm::EdDSA => iana::Algorithm::EdDSA,
            Algorithm::RS256 => iana::Algorithm::RS256,
            _ => iana::Algorithm::PS256,
        }
        .to_i64()
    }

    /// A signature as an authenticator sends it (ECDSA in DER).
    pub fn sign(&self, msg: &[u8], rng: &dyn Random) -> Result<Vec<u8>, CryptoError> {
        let sig = self.key.sign(msg, rng)?;
        Ok(match self.key.algorithm() {
            Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => ecdsa_der(&sig),
            _ => sig,
        })
    }

    fn flags(&self, attested: bool) -> u8 {
        let mut f = 0x01; // UP
        if self.user_verifying {
            f |= 0x04;
        }
        if self.backup_eligible {
            f |= 0x08;
        }
        if self.backed_up {
            f |= 0x10;
        }
        if attested {
            f |= 0x40;
        }
        f
    }

    /// Authenticator data for `rp_id` (§6.1), with the attested credential when
    /// `attested`.
    pub fn authenticator_data(&self, rp_id: &str, attested: bool) -> Result<Vec<u8>, CryptoError> {
        let mut d = Sha256::digest(rp_id.as_bytes()).to_vec();
        d.push(self.flags(attested));
        d.extend(self.sign_count.to_be_bytes());
        if attested {
            d.extend(self.aaguid);
            let len = u16::try_from(self.credential_id.len()).map_err(|_| err("credential id"))?;
            d.extend(len.to_be_bytes());
            d.extend(&self.credential_id);
            d.extend(self.cose_key()?);
        }
        Ok(d)
    }

    /// The clientDataJSON a browser at `origin` makes.
    pub fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
        format!(r#"{{"type":"{kind}","challenge":"{challenge}","origin":"{origin}","crossOrigin":false}}"#)
            .into_bytes()
    }

    /// Answer creation options (`PublicKeyCredentialCreationOptionsJSON`) from `origin`:
    /// the `RegistrationResponseJSON` to post to `attestation/result`.
    pub fn register(
        &mut self,
        options: &Value,
        origin: &str,
        attestation: Attestation,
        rng: &dyn Random,
    ) -> Result<Value, CryptoError> {
        let rp_id = options
            .get("rp")
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .ok_or(err("rp.id"))?;
        let challenge = options
            .get("challenge")
            .and_then(Value::as_str)
            .ok_or(err("challenge"))?;
        self.user_handle = options
            .get("user")
            .and_then(|u| u.get("id"))
            .and_then(Value::as_str)
            .and_then(|u| crate::b64::decode(u).ok());
        let cd = Self::client_data("webauthn.create", challenge, origin);
        let auth_data = self.authenticator_data(rp_id, true)?;
        let att_stmt = match attestation {
            Attestation::None => Cbor::Map(Vec::new()),
            Attestation::PackedSelf => {
                let mut msg = auth_data.clone();
                msg.extend(Sha256::digest(&cd));
                Cbor::Map(vec![
                    (
                        Cbor::Text("alg".into()),
                        Cbor::Integer(self.cose_alg().into()),
                    ),
                    (Cbor::Text("sig".into()), Cbor::Bytes(self.sign(&msg, rng)?)),
                ])
            }
            Attestation::PackedX5c => {
                let (cert, rest) = self
                    .attestation_cert
                    .as_ref()
                    .ok_or(err("no attestation certificate"))?;
                let mut msg = auth_data.clone();
                msg.extend(Sha256::digest(&cd));
                let sig = ecdsa_der(&cert.key.sign(&msg, rng)?);
                let x5c = std::iter::once(cert.der.clone())
                    .chain(rest.iter().cloned())
                    .map(Cbor::Bytes)
                    .collect();
                Cbor::Map(vec![
                    (
                        Cbor::Text("alg".into()),
                        Cbor::Integer(iana::Algorithm::ES256.to_i64().into()),
                    ),
                    (Cbor::Text("sig".into()), Cbor::Bytes(sig)),
                    (Cbor::Text("x5c".into()), Cbor::Array(x5c)),
                ])
            }
        };
        let fmt = match attestation {
            Attestation::None => "none",
            Attestation::PackedSelf | Attestation::PackedX5c => "packed",
        };
        let object = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text(fmt.into())),
            (Cbor::Text("attStmt".into()), att_stmt),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]);
        let mut ao = Vec::new();
        coset::cbor::ser::into_writer(&object, &mut ao).map_err(|_| err("cbor"))?;
        let id = b64(&self.credential_id);
        Ok(json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&cd),
                "attestationObject": b64(&ao),
                "transports": ["internal"],
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {"credProps": {"rk": self.user_handle.is_some()}},
        }))
    }

    /// Answer request options (`PublicKeyCredentialRequestOptionsJSON`) from `origin`:
    /// the `AuthenticationResponseJSON` to post to `assertion/result`.
    pub fn assert(
        &mut self,
        options: &Value,
        origin: &str,
        rng: &dyn Random,
    ) -> Result<Value, CryptoError> {
        let rp_id = options
            .get("rpId")
            .and_then(Value::as_str)
            .ok_or(err("rpId"))?;
        let challenge = options
            .get("challenge")
            .and_then(Value::as_str)
            .ok_or(err("challenge"))?;
        if self.counts {
            self.sign_count += 1;
        }
        let cd = Self::client_data("webauthn.get", challenge, origin);
        // A U2F credential answers under its AppID when the options offer it.
        let app_id = options
            .get("extensions")
            .and_then(|e| e.get("appid"))
            .and_then(Value::as_str)
            .filter(|a| self.app_id.as_deref() == Some(*a))
            .map(str::to_owned);
        let auth_data = self.authenticator_data(app_id.as_deref().unwrap_or(rp_id), false)?;
        let mut msg = auth_data.clone();
        msg.extend(Sha256::digest(&cd));
        let sig = self.sign(&msg, rng)?;
        let id = b64(&self.credential_id);
        let extension_results = match app_id {
            Some(_) => json!({"appid": true}),
            None => json!({}),
        };
        Ok(json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&cd),
                "authenticatorData": b64(&auth_data),
                "signature": b64(&sig),
                "userHandle": self.user_handle.as_deref().map(b64),
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": extension_results,
        }))
    }

    /// The raw P-256 point of the credential key (`0x04 || x || y`).
    fn u2f_point(&self) -> Result<Vec<u8>, CryptoError> {
        let jwk = self.key.public_jwk();
        let c = |m: Option<&String>| -> Result<Vec<u8>, CryptoError> {
            crate::b64::decode(m.ok_or(err("jwk member"))?).map_err(|_| err("jwk b64"))
        };
        Ok([vec![0x04], c(jwk.x.as_ref())?, c(jwk.y.as_ref())?].concat())
    }

    /// Answer a U2F `RegisterRequestMessage` (Janssen's GET `/fido/u2f/registration`) as
    /// a U2F key at `origin` (FIDO U2F Raw Message Formats v1.2 §4.3, signed by the
    /// [`SoftAuthenticator::attestation_cert`]): the `tokenResponse` to post back.
    pub fn u2f_register(
        &mut self,
        request: &Value,
        origin: &str,
        rng: &dyn Random,
    ) -> Result<Value, CryptoError> {
        let rr = request
            .get("registerRequests")
            .and_then(|r| r.get(0))
            .ok_or(err("registerRequests"))?;
        let text = |k: &str| {
            rr.get(k)
                .and_then(Value::as_str)
                .ok_or(err("register request"))
        };
        let (challenge, app_id) = (text("challenge")?, text("appId")?);
        let cd = format!(
            r#"{{"typ":"navigator.id.finishEnrollment","challenge":"{challenge}","origin":"{origin}"}}"#
        );
        let (cert, _) = self
            .attestation_cert
            .as_ref()
            .ok_or(err("no attestation certificate"))?;
        let point = self.u2f_point()?;
        let kh_len = u8::try_from(self.credential_id.len()).map_err(|_| err("key handle"))?;
        let mut signed = vec![0x00];
        signed.extend(Sha256::digest(app_id.as_bytes()));
        signed.extend(Sha256::digest(cd.as_bytes()));
        signed.extend(&self.credential_id);
        signed.extend(&point);
        let sig = ecdsa_der(&cert.key.sign(&signed, rng)?);
        let mut data = vec![0x05];
        data.extend(&point);
        data.push(kh_len);
        data.extend(&self.credential_id);
        data.extend(&cert.der);
        data.extend(sig);
        self.app_id = Some(app_id.to_owned());
        Ok(json!({
            "registrationData": b64(&data),
            "clientData": b64(cd.as_bytes()),
        }))
    }

    /// Answer a U2F `AuthenticateRequestMessage` (GET `/fido/u2f/authentication`) for this
    /// key at `origin` (§5.4): the `tokenResponse` to post back.
    pub fn u2f_sign(
        &mut self,
        request: &Value,
        origin: &str,
        rng: &dyn Random,
    ) -> Result<Value, CryptoError> {
        let kh = b64(&self.credential_id);
        let ar = request
            .get("authenticateRequests")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|r| r.get("keyHandle") == Some(&json!(kh))))
            .ok_or(err("no request for this key"))?;
        let text = |k: &str| {
            ar.get(k)
                .and_then(Value::as_str)
                .ok_or(err("authenticate request"))
        };
        let (challenge, app_id) = (text("challenge")?, text("appId")?);
        if self.counts {
            self.sign_count += 1;
        }
        let cd = format!(
            r#"{{"typ":"navigator.id.getAssertion","challenge":"{challenge}","origin":"{origin}"}}"#
        );
        let mut signed = Sha256::digest(app_id.as_bytes()).to_vec();
        signed.push(0x01);
        signed.extend(self.sign_count.to_be_bytes());
        signed.extend(Sha256::digest(cd.as_bytes()));
        let sig = self.sign(&signed, rng)?;
        let mut data = vec![0x01];
        data.extend(self.sign_count.to_be_bytes());
        data.extend(sig);
        Ok(json!({
            "signatureData": b64(&data),
            "clientData": b64(cd.as_bytes()),
            "keyHandle": kh,
        }))
    }
}
