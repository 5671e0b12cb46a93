//! Janssen's legacy FIDO U2F API, for U2F security keys and Super Gluu, at
//! `/jans-fido2/restv1/fido/u2f/registration` and `/fido/u2f/authentication` (GET starts,
//! POST finishes with the form members `username` and `tokenResponse`), and its discovery
//! document `/fido-configuration` (also `/.well-known/fido-configuration`).
//!
//! A U2F credential is a registration like any other, with the `app_id` it was made under:
//! the WebAuthn ceremonies offer the `appid` extension for it (WebAuthn Level 3 §10.1.1),
//! so keys enrolled through U2F sign in through WebAuthn too. Its attestation is judged as a
//! `fido-u2f` statement ([`crate::fido2::mds`]).
//!
//! - [`message`]: the raw messages and client data, bounded parsers and signature checks.

pub mod message;

use serde::Deserialize;
use serde_json::{Value, json};

use super::attestation::{AttestationType, Verified, fido_u2f};
use super::ceremony::{Ceremonies, Ceremony, Kind, UserVerification};
use super::registration::Registrar;
use super::{Fido2Server, fail};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::webauthn::{Fido2Error, Fido2ErrorCode};
use crate::repo::fido2::{Fido2Registration, MAX_PER_USER, Registrations};
use crate::repo::user::UserStatus;
use crate::request::{Fido2Endpoint, Method, Request};
use crate::store::StoreError;
use message::{TYP_AUTHENTICATION, TYP_REGISTRATION, U2fError};

/// The protocol version every request names.
pub const VERSION: &str = "U2F_V2";

/// Longest `tokenResponse` accepted.
const MAX_TOKEN_RESPONSE: usize = 32 * 1024;

/// The relying party of an AppID, and the facets (client data origins) accepted for it.
struct App {
    app_id: String,
    rp_id: String,
    facets: Vec<String>,
}

/// `registerResponse` of the U2F JavaScript API (§6.2), as Janssen reads `tokenResponse`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterResponse {
    registration_data: String,
    client_data: String,
}

/// `signResponse` (§6.3).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignResponse {
    signature_data: String,
    client_data: String,
    key_handle: String,
}

fn u2f_fail(e: U2fError) -> Error {
    fail(Fido2ErrorCode::InvalidRequest, e)
}

fn b64(what: &str, v: &str) -> Result<Vec<u8>, Error> {
    // Websafe base64, padded or not (U2F clients send both).
    crate::b64::decode(v.trim_end_matches('='))
        .map_err(|_| Fido2Error::invalid_request(format!("{what} is not base64url")).into())
}

fn parse_token_response<T: for<'de> Deserialize<'de>>(raw: &str) -> Result<T, Error> {
    if raw.len() > MAX_TOKEN_RESPONSE {
        return Err(Fido2Error::invalid_request("tokenResponse is larger than accepted").into());
    }
    serde_json::from_str(raw)
        .map_err(|e| Fido2Error::invalid_request(format!("tokenResponse: {e}")).into())
}

fn expired() -> Error {
    Fido2Error::new(
        Fido2ErrorCode::SessionExpired,
        "the request is unknown, expired or already used",
    )
    .into()
}

impl Fido2Server {
    /// Serve `/fido/u2f/registration` or `/fido/u2f/authentication`: GET with the query
    /// (`username`, `application`, `session_id`, `keyhandle`), POST with the form
    /// (`username`, `tokenResponse`).
    pub(crate) async fn handle_u2f(
        &self,
        endpoint: Fido2Endpoint,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Value, Error> {
        let p = req.params();
        let get = |name: &str| {
            p.get(name)
                .map_err(|e| Error::from(Fido2Error::invalid_request(e.to_string())))
        };
        let registration = endpoint == Fido2Endpoint::U2fRegistration;
        if req.method == Method::Post {
            let token = get("tokenResponse")?
                .ok_or_else(|| Fido2Error::invalid_request("tokenResponse is required"))?;
            return if registration {
                self.finish_u2f_registration(token, ctx).await
            } else {
                self.finish_u2f_authentication(token, ctx).await
            };
        }
        let (username, app_id) = (get("username")?, get("application")?);
        if registration {
            let session = get("session_id")?
                .map(str::to_owned)
                .or_else(|| req.cookie(super::SESSION_COOKIE).map(str::to_owned));
            if let Some(s) = &session {
                super::options::bounded("session_id", s)?;
            }
            let registrar = session.map_or(Registrar::Anonymous, Registrar::Session);
            self.start_u2f_registration(username, app_id, registrar, ctx)
                .await
        } else {
            self.start_u2f_authentication(username, get("keyhandle")?, app_id, ctx)
                .await
        }
    }

    /// Keep `ceremony` until its response, for `unfinishedRequestExpiration`.
    async fn keep(&self, ceremony: &Ceremony, ctx: &Ctx) -> Result<(), Error> {
        let lifetime = self
            .config()
            .fido2_configuration
            .unfinished_request_expiration;
        self.ceremonies.insert(ceremony, lifetime, ctx).await
    }

    /// The client data of a U2F response and the ceremony it answers, taken whatever
    /// follows (a challenge is used once), checked for its `typ` and facet.
    async fn take_u2f(
        &self,
        client_data_b64: &str,
        kind: Kind,
        typ: &str,
        ctx: &Ctx,
    ) -> Result<(Vec<u8>, message::ClientData, Ceremony), Error> {
        let client_data = b64("clientData", client_data_b64)?;
        let cd = message::parse_client_data(&client_data).map_err(u2f_fail)?;
        let ceremony = self
            .ceremonies
            .take(&cd.challenge, ctx.now)
            .await?
            .filter(|c| c.kind == kind)
            .ok_or_else(expired)?;
        if cd.typ != typ {
            return Err(fail(
                Fido2ErrorCode::InvalidClientData,
                format!("client data typ must be {typ}"),
            ));
        }
        if !ceremony.origins.contains(&cd.origin) {
            return Err(fail(
                Fido2ErrorCode::InvalidOrigin,
                "the client data origin is not a facet of the AppID",
            ));
        }
        Ok((client_data, cd, ceremony))
    }

    /// The RP an AppID belongs to: its origin must be one of an RP's origins. The facets
    /// accepted are that origin and the AppID itself (Super Gluu names the AppID).
    fn app(&self, app_id: Option<&str>) -> Result<App, Error> {
        let app_id = app_id
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| Fido2Error::invalid_request("application (the AppID) is required"))?;
        let app_id = super::options::bounded("application", app_id)?.to_owned();
        let origin = url::Url::parse(&app_id)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .map(|u| u.origin().ascii_serialization());
        let config = self.config();
        let rp = origin.as_ref().and_then(|o| {
            config
                .fido2_configuration
                .relying_parties(&config.issuer)
                .into_iter()
                .find(|rp| rp.origins.contains(o))
        });
        let (Some(origin), Some(rp)) = (origin, rp) else {
            return Err(Fido2Error::new(
                Fido2ErrorCode::InvalidOrigin,
                "the AppID is not a URL on an origin of a relying party",
            )
            .into());
        };
        Ok(App {
            facets: vec![origin, app_id.clone()],
            app_id,
            rp_id: rp.id,
        })
    }

    /// The user's U2F registrations for `app_id`.
    async fn u2f_registrations(
        &self,
        inum: &str,
        app_id: &str,
    ) -> Result<Vec<Fido2Registration>, Error> {
        Ok(self
            .stores()
            .fido2
            .of_user(inum)
            .await?
            .into_iter()
            .filter(|r| r.app_id.as_deref() == Some(app_id))
            .collect())
    }

    /// `GET /fido/u2f/registration`: a `RegisterRequestMessage` (`registerRequests`, and
    /// `authenticateRequests` for the keys registered already, which a U2F client uses to
    /// refuse a second registration of the same key). Like WebAuthn registrations, it needs
    /// the user's own session.
    pub async fn start_u2f_registration(
        &self,
        username: Option<&str>,
        app_id: Option<&str>,
        registrar: Registrar,
        ctx: &Ctx,
    ) -> Result<Value, Error> {
        let username = username
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| Fido2Error::invalid_request("username is required"))?;
        let app = self.app(app_id)?;
        let user = self
            .registering_user(
                super::options::bounded("username", username)?,
                &registrar,
                ctx,
            )
            .await?;
        let existing = self.stores().fido2.of_user(&user.inum).await?;
        if existing.len() >= MAX_PER_USER {
            return Err(Fido2Error::invalid_request(format!(
                "a user has at most {MAX_PER_USER} credentials: remove one first"
            ))
            .into());
        }
        let challenge = Ceremonies::challenge(ctx);
        let registered: Vec<String> = existing
            .iter()
            .filter(|r| r.app_id.as_deref() == Some(&app.app_id))
            .map(|r| r.credential_id.clone())
            .collect();
        let ceremony = Ceremony {
            kind: Kind::U2fRegistration,
            challenge: challenge.clone(),
            rp_id: app.rp_id,
            origins: app.facets,
            user_inum: Some(user.inum.clone()),
            username: Some(user.uid.clone()),
            user_verification: UserVerification::Discouraged,
            attestation: Some("direct".to_owned()),
            algorithms: vec![-7],
            resident_key_required: false,
            allow_credentials: registered.clone(),
            app_id: Some(app.app_id.clone()),
        };
        self.keep(&ceremony, ctx).await?;
        Ok(json!({
            "authenticateRequests": registered.iter().map(|kh| json!({
                "challenge": challenge,
                "appId": app.app_id,
                "keyHandle": kh,
                "version": VERSION,
            })).collect::<Vec<_>>(),
            "registerRequests": [{
                "challenge": challenge,
                "appId": app.app_id,
                "version": VERSION,
            }],
        }))
    }

    /// `POST /fido/u2f/registration`: verify the registration response (§4.3) against the
    /// request it answers, judge its attestation, store the key.
    pub async fn finish_u2f_registration(
        &self,
        token_response: &str,
        ctx: &Ctx,
    ) -> Result<Value, Error> {
        let resp: RegisterResponse = parse_token_response(token_response)?;
        let (client_data, cd, ceremony) = self
            .take_u2f(
                &resp.client_data,
                Kind::U2fRegistration,
                TYP_REGISTRATION,
                ctx,
            )
            .await?;
        let (Some(app_id), Some(inum), Some(username)) = (
            ceremony.app_id.clone(),
            ceremony.user_inum.clone(),
            ceremony.username.clone(),
        ) else {
            return Err(Error::Internal("U2F registration ceremony".into()));
        };
        let raw = b64("registrationData", &resp.registration_data)?;
        let reg = message::parse_registration(&raw).map_err(u2f_fail)?;
        fido_u2f::verify_registration_signature(
            &reg.certificate,
            &message::sha256(app_id.as_bytes()),
            &message::sha256(&client_data),
            &reg.key_handle,
            &reg.public_key,
            &reg.signature,
            self.provider().as_ref(),
        )
        .map_err(|e| fail(Fido2ErrorCode::InvalidAttestation, e))?;
        let public_key = message::cose_key(&reg.public_key).map_err(u2f_fail)?;
        // Steps 22–24 of WebAuthn §7.1, as for a `fido-u2f` statement.
        let verified = Verified {
            kind: AttestationType::Basic,
            trust_path: vec![reg.certificate.der().to_vec()],
        };
        let aaguid = super::registration::uuid(&[0; 16]);
        let verdict = self.attestation_verdict("fido-u2f", &verified, &aaguid, ctx.now)?;
        let record = Fido2Registration {
            user_inum: inum,
            username,
            credential_id: crate::b64::encode(&reg.key_handle),
            public_key: crate::b64::encode(&public_key),
            algorithm: -7,
            sign_count: 0,
            aaguid,
            transports: Vec::new(),
            backup_eligible: false,
            backed_up: false,
            attestation_format: "fido-u2f".to_owned(),
            attestation_type: AttestationType::Basic.as_str().to_owned(),
            attestation_trusted: verdict.trusted,
            attestation_problem: verdict.problem,
            authenticator_name: verdict.authenticator_name,
            rp_id: ceremony.rp_id.clone(),
            origin: cd.origin,
            discoverable: Some(false),
            app_id: Some(app_id),
            nickname: None,
            created_at: ctx.now,
            last_used_at: None,
            clone_warning: false,
        };
        match self.stores().fido2.insert(&record).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(Fido2Error::new(
                    Fido2ErrorCode::CredentialExists,
                    "this key is registered already",
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        }
        Ok(json!({
            "status": "success",
            "challenge": ceremony.challenge,
            "registrationId": Registrations::id(&record.user_inum, &reg.key_handle),
            "attestationTrusted": record.attestation_trusted,
        }))
    }

    /// `GET /fido/u2f/authentication`: an `AuthenticateRequestMessage` for the user's keys
    /// registered under the AppID (two-step: `username`), or for one key (one-step:
    /// `keyhandle`, Super Gluu).
    pub async fn start_u2f_authentication(
        &self,
        username: Option<&str>,
        key_handle: Option<&str>,
        app_id: Option<&str>,
        ctx: &Ctx,
    ) -> Result<Value, Error> {
        let app = self.app(app_id)?;
        let no_devices = || {
            Error::from(Fido2Error::new(
                Fido2ErrorCode::NoEligibleDevices,
                "no key is registered for this user and application",
            ))
        };
        let (inum, uid, keys) = match (
            username.map(str::trim).filter(|u| !u.is_empty()),
            key_handle.map(str::trim).filter(|k| !k.is_empty()),
        ) {
            (Some(u), _) => {
                let user = self
                    .stores()
                    .users
                    .by_uid(super::options::bounded("username", u)?)
                    .await?
                    .filter(|u| u.status == UserStatus::Active)
                    .ok_or_else(no_devices)?;
                let keys = self.u2f_registrations(&user.inum, &app.app_id).await?;
                (Some(user.inum), Some(user.uid), keys)
            }
            (None, Some(kh)) => {
                let id = b64("keyhandle", kh)?;
                let found = self
                    .stores()
                    .fido2
                    .by_credential_id(&id)
                    .await?
                    .map(|(_, r)| r)
                    .filter(|r| r.app_id.as_deref() == Some(&app.app_id))
                    .ok_or_else(no_devices)?;
                (
                    Some(found.user_inum.clone()),
                    Some(found.username.clone()),
                    vec![found],
                )
            }
            (None, None) => {
                return Err(
                    Fido2Error::invalid_request("the request needs username or keyhandle").into(),
                );
            }
        };
        if keys.is_empty() {
            return Err(no_devices());
        }
        let challenge = Ceremonies::challenge(ctx);
        let ceremony = Ceremony {
            kind: Kind::U2fAuthentication,
            challenge: challenge.clone(),
            rp_id: app.rp_id,
            origins: app.facets,
            user_inum: inum,
            username: uid,
            user_verification: UserVerification::Discouraged,
            attestation: None,
            algorithms: Vec::new(),
            resident_key_required: false,
            allow_credentials: keys.iter().map(|r| r.credential_id.clone()).collect(),
            app_id: Some(app.app_id.clone()),
        };
        self.keep(&ceremony, ctx).await?;
        Ok(json!({
            "authenticateRequests": keys.iter().map(|r| json!({
                "challenge": challenge,
                "appId": app.app_id,
                "keyHandle": r.credential_id,
                "version": VERSION,
            })).collect::<Vec<_>>(),
        }))
    }

    /// `POST /fido/u2f/authentication`: verify the authentication response (§5.4) and
    /// record the counter (a counter that did not increase is refused or recorded, as
    /// `counterRegression` says, like a WebAuthn assertion's).
    pub async fn finish_u2f_authentication(
        &self,
        token_response: &str,
        ctx: &Ctx,
    ) -> Result<Value, Error> {
        let resp: SignResponse = parse_token_response(token_response)?;
        let (client_data, _, ceremony) = self
            .take_u2f(
                &resp.client_data,
                Kind::U2fAuthentication,
                TYP_AUTHENTICATION,
                ctx,
            )
            .await?;
        let key_handle = b64("keyHandle", &resp.key_handle)?;
        let unknown = || {
            Error::from(Fido2Error::new(
                Fido2ErrorCode::UnknownCredential,
                "the key is not one this request was for",
            ))
        };
        if !ceremony
            .allow_credentials
            .contains(&crate::b64::encode(&key_handle))
        {
            return Err(unknown());
        }
        let (revision, reg) = self
            .stores()
            .fido2
            .by_credential_id(&key_handle)
            .await?
            .filter(|(_, r)| Some(&r.user_inum) == ceremony.user_inum.as_ref())
            .ok_or_else(unknown)?;
        let app_id = ceremony.app_id.clone().unwrap_or_default();
        let data = message::parse_signature(&b64("signatureData", &resp.signature_data)?)
            .map_err(u2f_fail)?;
        if !data.user_present() {
            return Err(Fido2Error::new(
                Fido2ErrorCode::InvalidAuthenticatorData,
                "the user was not present",
            )
            .into());
        }
        // The stored key is the COSE form of the U2F point.
        let cose = crate::b64::decode(&reg.public_key)
            .map_err(|_| StoreError::Corrupt("fido2 registration: public key".into()))?;
        let (_, key) = super::cose::verifying_key(
            self.provider().as_ref(),
            &cose,
            &[crate::jose::Algorithm::ES256],
        )
        .map_err(|e| fail(Fido2ErrorCode::UnsupportedAlgorithm, e))?;
        message::verify_signature(key.as_ref(), &app_id, &data, &client_data)
            .map_err(|e| fail(Fido2ErrorCode::InvalidSignature, e))?;
        let regression = self.config().fido2_configuration.counter_regression;
        let reg = self
            .record_use(
                &key_handle,
                (revision, reg),
                (data.counter, false),
                regression,
                ctx,
            )
            .await?;
        Ok(json!({
            "status": "success",
            "challenge": ceremony.challenge,
            "username": reg.username,
            "counter": reg.sign_count,
            "cloneWarning": reg.clone_warning,
        }))
    }
}
