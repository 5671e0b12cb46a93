//! The FIDO2 component (Janssen's jans-fido2): WebAuthn registration and authentication
//! ceremonies, verified here (DESIGN.md §5: no webauthn-rs-core), at Janssen's paths
//! ([`paths`]).
//!
//! - [`registration`]: `start_registration` / `finish_registration` (WebAuthn Level 3
//!   §5.4, §7.1); [`assertion`]: `start_assertion` / `finish_assertion` (§5.5, §7.2);
//!   [`ceremony`]: the state between start and finish, taken once by its challenge;
//!   [`registrations`]: a user's credentials listed, renamed, removed;
//! - [`options`], [`credential`]: the JSON of Janssen's API and of the browser's
//!   `toJSON()`; [`configuration`]: the discovery document; [`rp`]: which relying party;
//! - the parsers every ceremony starts from, each bounded and refusing rather than
//!   guessing: [`cbor`] (RFC 8949, definite lengths only), [`authenticator_data`] (§6.1),
//!   [`client_data`] (§5.8.1), [`cose`] (credential public keys), [`signature`] (DER
//!   ECDSA), and the shared [`crate::x509`] (attestation certificates and chains);
//! - [`attestation`]: the attestation object and one verifier per statement format (§8);
//! - [`mds`]: FIDO metadata (MDS3) and the trust judgement of attestations (§7.1 steps
//!   22–24); [`metadata`]: its loading, refreshing and health report;
//! - [`u2f`]: Janssen's legacy FIDO U2F endpoints (U2F keys and Super Gluu).
//!
//! Registrations live in [`crate::repo::fido2`].

pub mod admin;
pub mod assertion;
pub mod attestation;
pub mod authenticator_data;
pub mod cbor;
pub mod ceremony;
pub mod client_data;
pub mod configuration;
pub mod cose;
pub mod credential;
pub mod mds;
pub mod metadata;
pub mod options;
pub mod paths;
pub mod registration;
pub mod registrations;
pub mod rp;
pub mod signature;
pub mod u2f;

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::webauthn::{Fido2Error, Fido2ErrorCode};
use crate::request::{Fido2Endpoint, Method, Request};
use crate::response::Response;
use crate::services::Services;
use authenticator_data::AuthenticatorData;
use ceremony::{Ceremonies, UserVerification};
use client_data::{ClientData, ClientDataError};
use registration::Registrar;

/// The cookie of an auth-server session (Janssen's `session_id`).
const SESSION_COOKIE: &str = crate::repo::session::SESSION_COOKIE;

/// The scopes that may read the FIDO2 configuration through its admin route (Janssen's
/// fido2 plugin; the config API's super scopes too).
pub const ADMIN_READ: [&str; 5] = [
    "https://jans.io/oauth/config/fido2.readonly",
    "https://jans.io/oauth/config/fido2.write",
    "https://jans.io/oauth/config/fido2.admin",
    crate::management::protection::READ_ALL,
    crate::management::protection::WRITE_ALL,
];

/// The scopes that may change it.
pub const ADMIN_WRITE: [&str; 3] = [
    "https://jans.io/oauth/config/fido2.write",
    "https://jans.io/oauth/config/fido2.admin",
    crate::management::protection::WRITE_ALL,
];

/// The FIDO2 component: the shared services plus its pending ceremonies.
pub struct Fido2Server {
    services: Arc<Services>,
    ceremonies: Ceremonies,
    metadata: std::sync::RwLock<mds::State>,
    keys: cose::KeyCache,
}

impl std::fmt::Debug for Fido2Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fido2Server").finish_non_exhaustive()
    }
}

impl std::ops::Deref for Fido2Server {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.services
    }
}

/// The auth-server's passkey and security-key sign-in runs these ceremonies.
#[async_trait::async_trait]
impl crate::services::KeyCeremonies for Fido2Server {
    async fn keys_of(
        &self,
        username: &str,
    ) -> Result<Vec<crate::repo::fido2::Fido2Registration>, Error> {
        self.registrations(username).await
    }

    async fn rename_key(
        &self,
        username: &str,
        credential_id: &str,
        nickname: Option<&str>,
    ) -> Result<bool, Error> {
        self.rename_registration(username, credential_id, nickname)
            .await
    }

    async fn remove_key(&self, username: &str, credential_id: &str) -> Result<bool, Error> {
        self.remove_registration(username, credential_id).await
    }

    async fn start_sign_in(
        &self,
        username: Option<&str>,
        user_verification: &str,
        ctx: &Ctx,
    ) -> Result<Option<serde_json::Value>, Error> {
        let req = options::AssertionOptionsRequest {
            username: username.map(str::to_owned),
            user_verification: Some(user_verification.to_owned()),
            ..Default::default()
        };
        match self.start_assertion(req, ctx).await {
            Ok(v) => Ok(Some(v)),
            Err(Error::Fido2(e)) if e.code == Fido2ErrorCode::KeysNotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn finish_sign_in(
        &self,
        response: &[u8],
        ctx: &Ctx,
    ) -> Result<crate::services::KeySignIn, Error> {
        let body = options::parse_body(response)?;
        let a = self.finish_assertion(body, ctx).await?;
        Ok(crate::services::KeySignIn {
            user_inum: a.user_inum,
            user_verified: a.user_verified,
            backup_eligible: a.registration.backup_eligible,
        })
    }
}

/// What a successful `attestation/result` and `assertion/result` both answer (Janssen's
/// `AttestationOrAssertionResponse`), with the credential under `legacy` too
/// (`createdCredentials` / `authenticatedCredentials`, as older Janssen answered). Both
/// ceremonies require user presence.
pub(crate) fn result_json(
    username: &str,
    reg: &crate::repo::fido2::Fido2Registration,
    user_verified: bool,
    legacy: &str,
) -> serde_json::Map<String, serde_json::Value> {
    let serde_json::Value::Object(mut m) = serde_json::json!({
        "status": "ok",
        "errorMessage": "",
        "username": username,
        "credential": options::CredentialDescriptor::of(reg),
        "userVerification": user_verified,
        "userPresence": true,
        "multiDevice": reg.backup_eligible,
        "deviceType": if reg.backup_eligible { "multiDevice" } else { "singleDevice" },
        "backedUp": reg.backed_up,
        "counterSupported": reg.sign_count > 0,
        "aaguidOrSkid": reg.aaguid,
        "origin": reg.origin,
        "rpId": reg.rp_id,
    }) else {
        return serde_json::Map::new();
    };
    m.insert(
        legacy.to_owned(),
        serde_json::json!({"type": "public-key", "id": reg.credential_id}),
    );
    m
}

/// A refusal with `code`, its message the error's own.
pub(crate) fn fail(code: Fido2ErrorCode, e: impl std::fmt::Display) -> Error {
    Fido2Error::new(code, e.to_string()).into()
}

impl Fido2Server {
    /// The component over `services`.
    pub(crate) fn new(services: Arc<Services>) -> Fido2Server {
        let ceremonies = Ceremonies::new(services.stores().grants.clone());
        Fido2Server {
            services,
            ceremonies,
            metadata: std::sync::RwLock::default(),
            keys: cose::KeyCache::default(),
        }
    }

    /// The timeout (ms) sent with options: what the caller asked, at most the ceremony's
    /// life.
    fn timeout_ms(&self, asked: Option<u64>) -> u64 {
        let max = self
            .config()
            .fido2_configuration
            .unfinished_request_expiration
            .saturating_mul(1000);
        asked.filter(|t| *t > 0).map_or(max, |t| t.min(max))
    }

    /// Serve one request to one of the FIDO2 endpoints.
    pub async fn handle(
        &self,
        endpoint: Fido2Endpoint,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        // 405 with `Allow` (RFC 9110 §15.5.6), in the FIDO envelope.
        let wrong_method = |allowed: &'static str| {
            Ok(Response::error(Fido2Error::new(
                Fido2ErrorCode::MethodNotAllowed,
                format!("use {allowed}"),
            ))
            .header("allow", allowed))
        };
        let json = Response::json;
        if matches!(
            endpoint,
            Fido2Endpoint::AdminRegistrations
                | Fido2Endpoint::AdminRegistrationsOf(_)
                | Fido2Endpoint::AdminDevice(_)
        ) {
            return self.handle_admin_registrations(&endpoint, req, ctx).await;
        }
        if endpoint == Fido2Endpoint::AdminConfig {
            // The admin route this component contributes (Janssen's fido2 plugin).
            return crate::management::config_section(
                &self.services,
                req,
                ctx,
                ("fido2Configuration", "fido2/fido2-config", "GET, PUT"),
                (&ADMIN_READ, &ADMIN_WRITE),
            )
            .await;
        }
        match endpoint {
            Fido2Endpoint::Configuration
            | Fido2Endpoint::U2fConfiguration
            | Fido2Endpoint::MdsHealth
            | Fido2Endpoint::AttestationTrustConfig
                if req.method != Method::Get =>
            {
                wrong_method("GET")
            }
            Fido2Endpoint::U2fRegistration | Fido2Endpoint::U2fAuthentication
                if !matches!(req.method, Method::Get | Method::Post) =>
            {
                wrong_method("GET, POST")
            }
            Fido2Endpoint::AdminConfig
            | Fido2Endpoint::AdminRegistrations
            | Fido2Endpoint::AdminRegistrationsOf(_)
            | Fido2Endpoint::AdminDevice(_) => Err(Error::Internal("served above".into())),
            Fido2Endpoint::U2fConfiguration => Ok(Response::public_json(
                configuration::u2f_document(&self.config()),
                3600,
            )),
            Fido2Endpoint::U2fRegistration | Fido2Endpoint::U2fAuthentication => {
                self.handle_u2f(endpoint, req, ctx).await.map(json)
            }
            Fido2Endpoint::AttestationOptions
            | Fido2Endpoint::AttestationResult
            | Fido2Endpoint::AssertionOptions
            | Fido2Endpoint::AssertionResult
                if req.method != Method::Post =>
            {
                wrong_method("POST")
            }
            Fido2Endpoint::MdsHealth => {
                let (status, body) = self.metadata_health(ctx.now);
                Ok(Response::with_body(crate::response::Body::JsonStatus(
                    status, body,
                )))
            }
            Fido2Endpoint::AttestationTrustConfig => Ok(json(self.attestation_config())),
            Fido2Endpoint::Configuration => Ok(Response::public_json(
                configuration::document(&self.config()),
                3600,
            )),
            Fido2Endpoint::AttestationOptions => {
                let body: options::AttestationOptionsRequest = options::parse_body(&req.body)?;
                let session = body
                    .session_id
                    .clone()
                    .or_else(|| req.cookie(SESSION_COOKIE).map(str::to_owned));
                let registrar = session.map_or(Registrar::Anonymous, Registrar::Session);
                Ok(json(self.start_registration(body, registrar, ctx).await?))
            }
            Fido2Endpoint::AttestationResult => {
                let body = options::parse_body(&req.body)?;
                Ok(json(self.finish_registration(body, ctx).await?))
            }
            Fido2Endpoint::AssertionOptions => {
                let body = options::parse_body(&req.body)?;
                Ok(json(self.start_assertion(body, ctx).await?))
            }
            Fido2Endpoint::AssertionResult => {
                let body = options::parse_body(&req.body)?;
                Ok(json(self.finish_assertion(body, ctx).await?.to_json()))
            }
        }
    }
}

/// §7.1 steps 7–11 / §7.2 steps 10–14, with cross-origin calls allowed only from the
/// configured `allowedTopOrigins`.
pub fn check_client_data(
    cd: &ClientData,
    kind: client_data::Ceremony,
    challenge: &[u8],
    origins: &[String],
    allowed_top_origins: &[String],
) -> Result<(), Error> {
    let cross_ok = cd
        .top_origin
        .as_ref()
        .is_some_and(|t| allowed_top_origins.iter().any(|a| a == t));
    cd.check(kind, challenge, origins, cross_ok)
        .map_err(|e| match e {
            ClientDataError::ChallengeMismatch => fail(Fido2ErrorCode::InvalidChallenge, e),
            ClientDataError::OriginNotAllowed(_) | ClientDataError::CrossOriginNotAllowed => {
                fail(Fido2ErrorCode::InvalidOrigin, e)
            }
            _ => fail(Fido2ErrorCode::InvalidClientData, e),
        })
}

/// §7.1 steps 14–17 / §7.2 steps 15–18: the RP ID hash is the RP ID's (or, for a U2F
/// credential used through `appid`, the AppID's), the user was present, and verified
/// when that was required.
pub fn check_flags(
    auth: &AuthenticatorData,
    rp_id: &str,
    app_id: Option<&str>,
    uv: UserVerification,
) -> Result<(), Error> {
    let hash = |s: &str| -> [u8; 32] { Sha256::digest(s.as_bytes()).into() };
    let rp_ok =
        auth.rp_id_hash == hash(rp_id) || app_id.is_some_and(|a| auth.rp_id_hash == hash(a));
    if !rp_ok {
        return Err(Fido2Error::new(
            Fido2ErrorCode::InvalidAuthenticatorData,
            "the RP ID hash is not this relying party's",
        )
        .into());
    }
    if !auth.flags.user_present() {
        return Err(Fido2Error::new(
            Fido2ErrorCode::InvalidAuthenticatorData,
            "the user was not present (flag UP)",
        )
        .into());
    }
    if uv == UserVerification::Required && !auth.flags.user_verified() {
        return Err(Fido2Error::new(
            Fido2ErrorCode::UserVerificationRequired,
            "user verification was required and not performed (flag UV)",
        )
        .into());
    }
    Ok(())
}
