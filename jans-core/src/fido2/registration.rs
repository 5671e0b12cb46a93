//! Registration: `start_registration` answers `PublicKeyCredentialCreationOptionsJSON`
//! (WebAuthn Level 3 §5.4) and keeps the ceremony; `finish_registration` takes it back by
//! the challenge and runs §7.1 "Registering a New Credential", then stores the credential.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::attestation::{self, AttestationError, AttestationType};
use super::ceremony::{Ceremonies, Ceremony, Kind, UserVerification};
use super::client_data::{self, Ceremony as ClientCeremony};
use super::credential::{self, RegistrationResponse};
use super::options::{self, AttestationOptionsRequest, CredentialDescriptor};
use super::{Fido2Server, check_client_data, check_flags, cose, fail, rp};
use crate::config::fido2::AttestationMode;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::webauthn::{Fido2Error, Fido2ErrorCode};
use crate::repo::fido2::{Fido2Registration, Registrations};
use crate::repo::grant::token_key;
use crate::repo::user::User;
use crate::store::StoreError;

/// Who asks for a registration: a registration binds a key to an account, so it needs the
/// account's owner (a signed-in session of that user) or the embedder itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Registrar {
    /// The embedding application, which authenticated the user itself (typed API).
    Trusted,
    /// The holder of this auth-server session (`session_id`: the cookie's value).
    Session(String),
    /// Nobody identified.
    Anonymous,
}

/// The user handle (§5.4.3 `user.id`) of the user `inum`: the inum's bytes, an opaque
/// identifier with no personal information (§14.6.1), the same for all of a user's
/// credentials so an authenticator keeps one per account.
pub fn user_handle(inum: &str) -> String {
    crate::b64::encode(inum.as_bytes())
}

/// Attestation conveyance (§5.4.7) as sent back: `enterprise` is not offered (no
/// enterprise attestation is configured), so it becomes `direct`; unknown values `none`.
fn conveyance(v: Option<&str>) -> &'static str {
    match v {
        Some("direct" | "enterprise") => "direct",
        Some("indirect") => "indirect",
        _ => "none",
    }
}

impl Fido2Server {
    /// The user a registrar may register for, after checking it may.
    pub(crate) async fn registering_user(
        &self,
        username: &str,
        registrar: &Registrar,
        ctx: &Ctx,
    ) -> Result<User, Error> {
        let forbidden = || {
            Fido2Error::new(
                Fido2ErrorCode::Forbidden,
                "a registration needs the user's signed-in session (session_id)",
            )
        };
        let session_user = match registrar {
            Registrar::Trusted => None,
            Registrar::Anonymous => return Err(forbidden().into()),
            Registrar::Session(s) => {
                let stored = self
                    .stores()
                    .sessions
                    .get(&token_key(s), ctx.now)
                    .await?
                    .ok_or_else(forbidden)?;
                Some(stored.session.user_inum)
            }
        };
        let user = self.stores().users.by_uid(username).await?;
        match (user, session_user) {
            (Some(u), None) => Ok(u),
            (Some(u), Some(inum)) if u.inum == inum => Ok(u),
            // Someone else's session, or no such user: the same answer.
            _ => Err(forbidden().into()),
        }
    }

    /// §5.4: options for `navigator.credentials.create()`, and the ceremony kept until
    /// [`Fido2Server::finish_registration`].
    pub async fn start_registration(
        &self,
        req: AttestationOptionsRequest,
        registrar: Registrar,
        ctx: &Ctx,
    ) -> Result<Value, Error> {
        let config = self.config();
        let fido = &config.fido2_configuration;
        let username = options::bounded("username", req.username.trim())?;
        if username.is_empty() {
            return Err(Fido2Error::invalid_request("username is required").into());
        }
        if let Some(s) = &req.session_id {
            options::bounded("session_id", s)?;
        }
        let rp = rp::resolve(&config, req.document_domain.as_deref())?;
        let user = self.registering_user(username, &registrar, ctx).await?;
        let display_name = match req.display_name.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => options::bounded("displayName", d)?.to_owned(),
            _ => user.name.clone().unwrap_or_else(|| user.uid.clone()),
        };
        let selection = req.authenticator_selection.clone().unwrap_or_default();
        let resident_key = if selection.require_resident_key {
            "required"
        } else {
            match selection.resident_key.as_deref() {
                Some("required") => "required",
                Some("discouraged") => "discouraged",
                _ => "preferred",
            }
        };
        let uv = UserVerification::parse(selection.user_verification.as_deref());
        let attachment = selection
            .authenticator_attachment
            .as_deref()
            .filter(|a| matches!(*a, "platform" | "cross-platform"));
        // Enforced trust needs an attestation to judge, whatever the caller asked.
        let attestation = if fido.attestation_mode == AttestationMode::Enforced {
            "direct"
        } else {
            conveyance(req.attestation.as_deref())
        };
        let algorithms: Vec<i64> = fido
            .enabled_fido_algorithms
            .iter()
            .filter_map(|a| cose::cose_alg(*a))
            .collect();
        let mut extensions = options::extensions(req.extensions.as_ref())?;
        // §10.1.3: learn whether the credential is discoverable.
        extensions.insert("credProps".into(), Value::Bool(true));
        let existing = self.stores().fido2.of_user(&user.inum).await?;
        if existing.len() >= crate::repo::fido2::MAX_PER_USER {
            return Err(Fido2Error::invalid_request(format!(
                "a user has at most {} credentials: remove one first",
                crate::repo::fido2::MAX_PER_USER
            ))
            .into());
        }
        let exclude: Vec<CredentialDescriptor> = existing
            .iter()
            .filter(|r| r.rp_id == rp.id)
            .map(CredentialDescriptor::of)
            .collect();

        let challenge = Ceremonies::challenge(ctx);
        let ceremony = Ceremony {
            kind: Kind::Registration,
            challenge: challenge.clone(),
            rp_id: rp.id.clone(),
            origins: rp.origins.clone(),
            user_inum: Some(user.inum.clone()),
            username: Some(user.uid.clone()),
            user_verification: uv,
            attestation: Some(attestation.to_owned()),
            algorithms: algorithms.clone(),
            resident_key_required: resident_key == "required",
            allow_credentials: Vec::new(),
            app_id: None,
        };
        self.ceremonies
            .insert(&ceremony, fido.unfinished_request_expiration, ctx)
            .await?;

        let mut selection_json = json!({
            "residentKey": resident_key,
            "requireResidentKey": resident_key == "required",
            "userVerification": uv.as_str(),
        });
        if let (Some(a), Some(o)) = (attachment, selection_json.as_object_mut()) {
            o.insert("authenticatorAttachment".into(), a.into());
        }
        Ok(json!({
            "rp": {"id": rp.id, "name": rp.name},
            "user": {
                "id": user_handle(&user.inum),
                "name": user.uid,
                "displayName": display_name,
            },
            "challenge": challenge,
            "pubKeyCredParams": algorithms
                .iter()
                .map(|a| json!({"type": "public-key", "alg": a}))
                .collect::<Vec<_>>(),
            "timeout": self.timeout_ms(req.timeout),
            "excludeCredentials": exclude,
            "authenticatorSelection": selection_json,
            "attestation": attestation,
            "extensions": extensions,
            "hints": req.hints.clone().unwrap_or_else(|| fido.hints.clone()),
            "username": user.uid,
            "displayName": display_name,
            "status": "ok",
            "errorMessage": "",
        }))
    }

    /// §7.1: verify a registration response, then store the credential.
    pub async fn finish_registration(
        &self,
        resp: RegistrationResponse,
        ctx: &Ctx,
    ) -> Result<Value, Error> {
        let id = credential::credential_id(&resp.id, resp.raw_id.as_deref(), &resp.kind)?;
        // Steps 5–6: clientDataJSON.
        let cd_bytes = credential::b64("clientDataJSON", &resp.response.client_data_json)?;
        let cd = client_data::parse(&cd_bytes)
            .map_err(|e| fail(Fido2ErrorCode::InvalidClientData, e))?;
        // The ceremony, taken whatever follows: a challenge is used once.
        let ceremony = self
            .ceremonies
            .take(&cd.challenge, ctx.now)
            .await?
            .filter(|c| c.kind == Kind::Registration)
            .ok_or_else(|| {
                Fido2Error::new(
                    Fido2ErrorCode::InvalidChallenge,
                    "the challenge is unknown, expired or already used",
                )
            })?;
        let challenge = crate::b64::decode(&ceremony.challenge)
            .map_err(|_| Error::Internal("stored challenge".into()))?;
        // Steps 7–11.
        let config = self.config();
        check_client_data(
            &cd,
            ClientCeremony::Create,
            &challenge,
            &ceremony.origins,
            &config.fido2_configuration.allowed_top_origins,
        )?;
        // Step 12.
        let client_data_hash: [u8; 32] = Sha256::digest(&cd_bytes).into();
        // Step 13.
        let ao_bytes = credential::b64("attestationObject", &resp.response.attestation_object)?;
        let ao = attestation::parse(&ao_bytes).map_err(|e| match e {
            AttestationError::AuthData(_) => fail(Fido2ErrorCode::InvalidAuthenticatorData, e),
            _ => fail(Fido2ErrorCode::InvalidAttestation, e),
        })?;
        let auth = &ao.auth_data;
        // Steps 14–17.
        check_flags(auth, &ceremony.rp_id, None, ceremony.user_verification)?;
        let attested = auth
            .attested
            .as_ref()
            .ok_or_else(|| Error::Internal("attested credential".into()))?;
        if attested.credential_id != id {
            return Err(Fido2Error::invalid_request(
                "the credential id differs from the authenticator data's",
            )
            .into());
        }
        // Step 19: the algorithm was offered (and is enabled).
        let offered: Vec<_> = ceremony
            .algorithms
            .iter()
            .filter_map(|a| cose::algorithm(*a))
            .collect();
        let (alg, key) =
            cose::verifying_key(self.provider().as_ref(), &attested.public_key, &offered)
                .map_err(|e| fail(Fido2ErrorCode::UnsupportedAlgorithm, e))?;
        let cose_alg = cose::cose_alg(alg).ok_or_else(|| Error::Internal("cose alg".into()))?;
        // Steps 20–21: the statement, by its format. A relying party that asked for no
        // attestation (`none`) keeps none; a format this server does not know is then
        // accepted as no attestation (§5.4.7: the client may pass one through anyway).
        let input = attestation::Input {
            att_stmt: &ao.att_stmt,
            auth_data_raw: &ao.auth_data_raw,
            auth_data: auth,
            client_data_hash: &client_data_hash,
            credential_alg: alg,
            credential_key: &key,
            provider: self.provider().as_ref(),
            now: ctx.now,
        };
        let asked_none = ceremony.attestation.as_deref() == Some("none");
        let verified = match attestation::verify(&ao.fmt, &input) {
            Ok(v) => v,
            Err(AttestationError::UnsupportedFormat(_)) if asked_none => attestation::Verified {
                kind: AttestationType::None,
                trust_path: Vec::new(),
            },
            Err(e @ AttestationError::UnsupportedFormat(_)) => {
                return Err(fail(Fido2ErrorCode::UnsupportedAttestationFormat, e));
            }
            Err(e) => return Err(fail(Fido2ErrorCode::InvalidAttestation, e)),
        };
        let kind = if asked_none {
            AttestationType::None
        } else {
            verified.kind
        };
        // Steps 22–24: trust, judged against the metadata unless the relying party asked
        // for no attestation; refused only in `enforced` mode (recorded otherwise).
        let aaguid = uuid(&attested.aaguid);
        let verdict = if asked_none {
            super::metadata::Verdict::default()
        } else {
            self.attestation_verdict(&ao.fmt, &verified, &aaguid, ctx.now)?
        };
        let discoverable = resp
            .client_extension_results
            .get("credProps")
            .and_then(|p| p.get("rk"))
            .and_then(Value::as_bool);
        let transports: Vec<String> = resp
            .response
            .transports
            .iter()
            .filter(|t| t.len() <= 32)
            .take(8)
            .cloned()
            .collect();
        let (Some(inum), Some(username)) = (ceremony.user_inum.clone(), ceremony.username.clone())
        else {
            return Err(Error::Internal(
                "registration ceremony without a user".into(),
            ));
        };
        let reg = Fido2Registration {
            user_inum: inum,
            username,
            credential_id: crate::b64::encode(&id),
            public_key: crate::b64::encode(&attested.public_key),
            algorithm: cose_alg,
            sign_count: auth.sign_count,
            aaguid,
            transports,
            backup_eligible: auth.flags.backup_eligible(),
            backed_up: auth.flags.backed_up(),
            attestation_format: ao.fmt.chars().take(32).collect(),
            attestation_type: kind.as_str().to_owned(),
            attestation_trusted: verdict.trusted,
            attestation_problem: verdict.problem,
            authenticator_name: verdict.authenticator_name,
            rp_id: ceremony.rp_id.clone(),
            origin: cd.origin.clone(),
            discoverable,
            app_id: None,
            nickname: None,
            created_at: ctx.now,
            last_used_at: None,
            clone_warning: false,
        };
        // Step 26: a credential id is registered once.
        match self.stores().fido2.insert(&reg).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(Fido2Error::new(
                    Fido2ErrorCode::CredentialExists,
                    "this credential is registered already",
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        }
        let mut m = super::result_json(
            &reg.username,
            &reg,
            auth.flags.user_verified(),
            "createdCredentials",
        );
        for (k, v) in [
            ("attestationFormat", json!(reg.attestation_format)),
            ("attestationType", json!(reg.attestation_type)),
            ("attestationTrusted", json!(reg.attestation_trusted)),
            (
                "registrationId",
                json!(Registrations::id(&reg.user_inum, &id)),
            ),
        ] {
            m.insert(k.into(), v);
        }
        Ok(Value::Object(m))
    }
}

/// An AAGUID as a UUID string (how metadata names it).
pub fn uuid(aaguid: &[u8; 16]) -> String {
    let h: String = aaguid.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h.get(0..8).unwrap_or_default(),
        h.get(8..12).unwrap_or_default(),
        h.get(12..16).unwrap_or_default(),
        h.get(16..20).unwrap_or_default(),
        h.get(20..32).unwrap_or_default()
    )
}
