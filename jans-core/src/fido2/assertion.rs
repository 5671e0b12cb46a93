//! Authentication: `start_assertion` answers `PublicKeyCredentialRequestOptionsJSON`
//! (WebAuthn Level 3 §5.5) and keeps the ceremony; `finish_assertion` takes it back by the
//! challenge and runs §7.2 "Verifying an Authentication Assertion", then records the
//! signature counter and backup state.
//!
//! Without a username the ceremony is usernameless: any discoverable credential of this
//! relying party may answer, and its `userHandle` names the user (§7.2 step 6).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::authenticator_data::AuthenticatorData;
use super::ceremony::{Ceremonies, Ceremony, Kind, UserVerification};
use super::client_data::ClientData;
use super::client_data::{self, Ceremony as ClientCeremony};
use super::credential::{self, AuthenticationResponse};
use super::options::{self, AssertionOptionsRequest, CredentialDescriptor};
use super::{Fido2Server, authenticator_data, check_client_data, check_flags, cose, fail, rp};
use crate::config::fido2::{CounterRegression, FIDO_ALGORITHMS};
use crate::crypto::CryptoProvider;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::webauthn::{Fido2Error, Fido2ErrorCode};
use crate::jose::Algorithm;
use crate::repo::fido2::Fido2Registration;
use crate::repo::user::UserStatus;
use crate::store::StoreError;

/// Most times a counter update is retried when concurrent assertions of one credential
/// race (each retry re-reads and decides again).
const UPDATE_RETRIES: usize = 8;

/// A verified assertion: who signed in, with which credential, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Asserted {
    /// The user's `inum`.
    pub user_inum: String,
    /// Their login name.
    pub username: String,
    /// The credential, as stored after this assertion.
    pub registration: Fido2Registration,
    /// UV was done (a PIN or biometric: `amr` `user` with `pin`/`fpt`).
    pub user_verified: bool,
    /// `platform` or `cross-platform`, as the client said.
    pub authenticator_attachment: Option<String>,
    /// The counter went backwards and the configuration records rather than refuses.
    pub clone_warning: bool,
}

impl Asserted {
    /// The answer of `assertion/result` (Janssen's `AttestationOrAssertionResponse`).
    pub fn to_json(&self) -> Value {
        let mut m = super::result_json(
            &self.username,
            &self.registration,
            self.user_verified,
            "authenticatedCredentials",
        );
        m.insert("cloneWarning".into(), Value::Bool(self.clone_warning));
        Value::Object(m)
    }
}

fn unknown(why: &str) -> Error {
    Fido2Error::new(Fido2ErrorCode::UnknownCredential, why.to_owned()).into()
}

/// An `assertion/result` body decoded: the credential id, clientDataJSON (raw and parsed),
/// authenticator data, signature and user handle (§7.2 steps 1–3, 8–9).
#[derive(Clone, Debug)]
pub struct AssertionInput {
    /// The credential id.
    pub id: Vec<u8>,
    /// clientDataJSON as sent (its hash is signed).
    pub client_data_json: Vec<u8>,
    /// clientDataJSON parsed.
    pub client_data: ClientData,
    /// Authenticator data as sent (signed).
    pub authenticator_data: Vec<u8>,
    /// The signature.
    pub signature: Vec<u8>,
    /// The user handle, for a discoverable credential.
    pub user_handle: Option<Vec<u8>>,
    /// Whether the client says it used the `appid` extension (a U2F credential).
    pub appid_used: bool,
    /// `platform` or `cross-platform`, as the client said.
    pub authenticator_attachment: Option<String>,
}

impl AssertionInput {
    /// Decode the browser's `AuthenticationResponseJSON`.
    pub fn decode(resp: AuthenticationResponse) -> Result<AssertionInput, Error> {
        let id = credential::credential_id(&resp.id, resp.raw_id.as_deref(), &resp.kind)?;
        let client_data_json = credential::b64("clientDataJSON", &resp.response.client_data_json)?;
        let authenticator_data =
            credential::b64("authenticatorData", &resp.response.authenticator_data)?;
        let signature = credential::b64("signature", &resp.response.signature)?;
        let user_handle = match resp.response.user_handle.as_deref() {
            Some(h) if !h.is_empty() => Some(credential::b64("userHandle", h)?),
            _ => None,
        };
        let client_data = client_data::parse(&client_data_json)
            .map_err(|e| fail(Fido2ErrorCode::InvalidClientData, e))?;
        Ok(AssertionInput {
            id,
            client_data_json,
            client_data,
            authenticator_data,
            signature,
            user_handle,
            appid_used: resp.client_extension_results.get("appid") == Some(&Value::Bool(true)),
            authenticator_attachment: resp
                .authenticator_attachment
                .filter(|a| matches!(a.as_str(), "platform" | "cross-platform")),
        })
    }
}

/// What a verification may accept, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'a> {
    /// `allowedTopOrigins`.
    pub allowed_top_origins: &'a [String],
    /// The credential algorithms enabled.
    pub enabled: &'a [Algorithm],
    /// Keys already read, when the caller keeps them.
    pub keys: Option<&'a cose::KeyCache>,
}

/// §7.2 steps 5–21 over what was loaded (the ceremony, the registration of the credential
/// id): no I/O. Returns the authenticator data, for the counter and flags to be recorded.
pub fn verify(
    input: &AssertionInput,
    ceremony: &Ceremony,
    reg: &Fido2Registration,
    policy: &Policy<'_>,
    provider: &dyn CryptoProvider,
) -> Result<AuthenticatorData, Error> {
    let challenge = crate::b64::decode(&ceremony.challenge)
        .map_err(|_| Error::Internal("stored challenge".into()))?;
    // Steps 10–14.
    check_client_data(
        &input.client_data,
        ClientCeremony::Get,
        &challenge,
        &ceremony.origins,
        policy.allowed_top_origins,
    )?;
    // Step 5: allowCredentials.
    if !ceremony.allow_credentials.is_empty()
        && !ceremony.allow_credentials.contains(&reg.credential_id)
    {
        return Err(unknown("the credential was not among those allowed"));
    }
    // Steps 6–7: whose credential it is.
    if reg.rp_id != ceremony.rp_id {
        return Err(unknown("the credential belongs to another relying party"));
    }
    if let Some(inum) = &ceremony.user_inum
        && *inum != reg.user_inum
    {
        return Err(unknown("the credential is not this user's"));
    }
    match &input.user_handle {
        Some(h) if *h != reg.user_inum.as_bytes() => {
            return Err(unknown("the user handle is not the credential owner's"));
        }
        None if ceremony.user_inum.is_none() => {
            return Err(unknown(
                "a usernameless sign-in needs the user handle (discoverable credential)",
            ));
        }
        _ => {}
    }
    // Steps 11, 15–18.
    let auth = authenticator_data::parse(&input.authenticator_data)
        .map_err(|e| fail(Fido2ErrorCode::InvalidAuthenticatorData, e))?;
    let app_id = ceremony.app_id.as_deref().filter(|_| input.appid_used);
    check_flags(&auth, &ceremony.rp_id, app_id, ceremony.user_verification)?;
    // §6.1.3: backup eligibility is fixed when a credential is made.
    if auth.flags.backup_eligible() != reg.backup_eligible {
        return Err(Fido2Error::new(
            Fido2ErrorCode::InvalidAuthenticatorData,
            "the backup eligibility flag changed since registration",
        )
        .into());
    }
    // Steps 19–21: the signature over authenticatorData || SHA-256(clientDataJSON).
    let public_key = crate::b64::decode(&reg.public_key)
        .map_err(|_| StoreError::Corrupt("fido2 registration: public key".into()))?;
    // RS1 keys verify here (credentials registered elsewhere); no registration makes one.
    let key = match policy.keys {
        Some(cache) => cache.credential_key(provider, &public_key, policy.enabled, true),
        None => cose::credential_key(provider, &public_key, policy.enabled, true),
    }
    .map_err(|e| fail(Fido2ErrorCode::UnsupportedAlgorithm, e))?;
    let mut signed = Vec::with_capacity(input.authenticator_data.len() + 32);
    signed.extend_from_slice(&input.authenticator_data);
    signed.extend_from_slice(&Sha256::digest(&input.client_data_json));
    key.verify(provider, &signed, &input.signature)
        .map_err(|_| {
            fail(
                Fido2ErrorCode::InvalidSignature,
                "the signature does not verify",
            )
        })?;
    Ok(auth)
}

impl Fido2Server {
    /// §5.5: options for `navigator.credentials.get()`, and the ceremony kept until
    /// [`Fido2Server::finish_assertion`]. Without `username`, a usernameless ceremony.
    pub async fn start_assertion(
        &self,
        req: AssertionOptionsRequest,
        ctx: &Ctx,
    ) -> Result<Value, Error> {
        let config = self.config();
        let fido = &config.fido2_configuration;
        let rp = rp::resolve(&config, req.document_domain.as_deref())?;
        if let Some(s) = &req.session_id {
            options::bounded("session_id", s)?;
        }
        let username = match req.username.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => Some(options::bounded("username", u)?),
            _ => None,
        };
        let (user, registrations) = match username {
            None => (None, Vec::new()),
            Some(u) => {
                let keys_not_found = || {
                    Fido2Error::new(
                        Fido2ErrorCode::KeysNotFound,
                        "no credential is registered for this user",
                    )
                };
                let user = self
                    .stores()
                    .users
                    .by_uid(u)
                    .await?
                    .filter(|u| u.status == UserStatus::Active)
                    .ok_or_else(keys_not_found)?;
                let regs: Vec<Fido2Registration> = self
                    .stores()
                    .fido2
                    .of_user(&user.inum)
                    .await?
                    .into_iter()
                    .filter(|r| r.rp_id == rp.id)
                    .collect();
                if regs.is_empty() {
                    return Err(keys_not_found().into());
                }
                (Some(user), regs)
            }
        };
        let uv = UserVerification::parse(req.user_verification.as_deref());
        let mut extensions = options::extensions(req.extensions.as_ref())?;
        // §10.1.1: a U2F credential is asked for under its AppID.
        let app_id = registrations.iter().find_map(|r| r.app_id.clone());
        match &app_id {
            Some(a) => {
                extensions.insert("appid".into(), Value::String(a.clone()));
            }
            None => {
                extensions.remove("appid");
            }
        }
        let allow: Vec<CredentialDescriptor> =
            registrations.iter().map(CredentialDescriptor::of).collect();
        let challenge = Ceremonies::challenge(ctx);
        let ceremony = Ceremony {
            kind: Kind::Assertion,
            challenge: challenge.clone(),
            rp_id: rp.id.clone(),
            origins: rp.origins.clone(),
            user_inum: user.as_ref().map(|u| u.inum.clone()),
            username: user.as_ref().map(|u| u.uid.clone()),
            user_verification: uv,
            attestation: None,
            algorithms: Vec::new(),
            resident_key_required: false,
            allow_credentials: allow.iter().map(|d| d.id.clone()).collect(),
            app_id,
        };
        self.ceremonies
            .insert(&ceremony, fido.unfinished_request_expiration, ctx)
            .await?;
        let mut out = json!({
            "challenge": challenge,
            "rpId": rp.id,
            "allowCredentials": allow,
            "userVerification": uv.as_str(),
            "timeout": self.timeout_ms(req.timeout),
            "extensions": extensions,
            "hints": req.hints.clone().unwrap_or_else(|| fido.hints.clone()),
            "status": "ok",
            "errorMessage": "",
        });
        if let (Some(u), Some(o)) = (&user, out.as_object_mut()) {
            o.insert("user".into(), Value::String(u.uid.clone()));
        }
        Ok(out)
    }

    /// §7.2: verify an assertion against the stored credential; on success the counter,
    /// backup state and last use are written. Load (the ceremony, taken by its challenge;
    /// the registration; its user), decide ([`verify`], no I/O), commit (the counter).
    pub async fn finish_assertion(
        &self,
        resp: AuthenticationResponse,
        ctx: &Ctx,
    ) -> Result<Asserted, Error> {
        let input = AssertionInput::decode(resp)?;
        // The ceremony, taken whatever follows: a challenge is used once.
        let ceremony = self
            .ceremonies
            .take(&input.client_data.challenge, ctx.now)
            .await?
            .filter(|c| c.kind == Kind::Assertion)
            .ok_or_else(|| {
                Fido2Error::new(
                    Fido2ErrorCode::InvalidChallenge,
                    "the challenge is unknown, expired or already used",
                )
            })?;
        let Some((revision, reg)) = self.stores().fido2.by_credential_id(&input.id).await? else {
            return Err(unknown("the credential is not registered"));
        };
        let config = self.config();
        let fido = &config.fido2_configuration;
        let enabled: Vec<Algorithm> = FIDO_ALGORITHMS
            .into_iter()
            .filter(|a| fido.enabled_fido_algorithms.contains(a))
            .collect();
        let policy = Policy {
            allowed_top_origins: &fido.allowed_top_origins,
            enabled: &enabled,
            keys: Some(&self.keys),
        };
        let auth = verify(&input, &ceremony, &reg, &policy, self.provider().as_ref())?;
        let user = self
            .stores()
            .users
            .get(&reg.user_inum)
            .await?
            .filter(|u| u.status == UserStatus::Active)
            .ok_or_else(|| unknown("the credential's user is not active"))?;
        // Step 22 and the write (compare-and-set on the registration).
        let registration = self
            .record_use(
                &input.id,
                (revision, reg),
                (auth.sign_count, auth.flags.backed_up()),
                fido.counter_regression,
                ctx,
            )
            .await?;
        Ok(Asserted {
            user_inum: user.inum,
            username: user.uid,
            clone_warning: registration.clone_warning,
            registration,
            user_verified: auth.flags.user_verified(),
            authenticator_attachment: input.authenticator_attachment,
        })
    }

    /// §7.2 step 22 and the write of what the assertion changed (`used`: its signature
    /// counter and backup state), starting from the registration as loaded (`loaded`:
    /// revision and value) and retried on a lost race: each retry re-reads the
    /// registration and judges the counter against what is stored then, so of two racing
    /// assertions with the same counter one is refused.
    pub(crate) async fn record_use(
        &self,
        id: &[u8],
        loaded: (u64, Fido2Registration),
        used: (u32, bool),
        regression: CounterRegression,
        ctx: &Ctx,
    ) -> Result<Fido2Registration, Error> {
        let mut current = Some(loaded);
        for _ in 0..UPDATE_RETRIES {
            let found = match current.take() {
                Some(c) => Some(c),
                None => self.stores().fido2.by_credential_id(id).await?,
            };
            let Some((revision, mut reg)) = found else {
                return Err(Fido2Error::new(
                    Fido2ErrorCode::UnknownCredential,
                    "the credential was removed",
                )
                .into());
            };
            let stored = reg.clone();
            let (sign_count, backed_up) = used;
            let counts = sign_count != 0 || reg.sign_count != 0;
            if counts && sign_count <= reg.sign_count {
                match regression {
                    CounterRegression::Reject => {
                        return Err(Fido2Error::new(
                            Fido2ErrorCode::CounterRegression,
                            "the signature counter did not increase: the authenticator may be cloned",
                        )
                        .into());
                    }
                    CounterRegression::Record => reg.clone_warning = true,
                }
            } else {
                reg.sign_count = sign_count;
            }
            reg.backed_up = backed_up;
            reg.last_used_at = Some(ctx.now);
            // Nothing to record (a credential that does not count, used again within the
            // same second): no write, so concurrent sign-ins with one synced passkey do not
            // contend for it.
            if reg == stored {
                return Ok(reg);
            }
            // Only the time of use to record: a concurrent sign-in that changed the
            // registration first recorded a use just now too, so a lost race needs no retry.
            let only_use_time = Fido2Registration {
                last_used_at: stored.last_used_at,
                ..reg.clone()
            } == stored;
            match self.stores().fido2.update(&reg, revision).await {
                Ok(()) => return Ok(reg),
                Err(StoreError::Conflict) if only_use_time => return Ok(reg),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Unavailable("fido2 registration kept changing".into()).into())
    }
}
