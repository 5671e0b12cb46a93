//! The engine side of one-time passwords (issue 17 item 2; the `otp` method's check and
//! Casa's enrolment will both call it): enrolling an authenticator app and checking a
//! person's code.
//!
//! - **Enrolment** is two steps with nothing stored between them: [`AuthServer::start_totp`]
//!   draws a 160-bit secret (RFC 4226 §4 R6 recommends 160 bits) and hands back its key URI,
//!   its QR code and a `pending` token — the secret sealed under the master key with the
//!   person and an expiry; [`AuthServer::confirm_totp`] takes that token and a first code
//!   from the app, and only then stores the device, its secret sealed to it, with that code's
//!   step spent.
//! - **A check** ([`AuthServer::check_otp`]) is brute-force protected per person like
//!   passwords (`authenticationProtectionConfiguration`, counted apart from them), looks one
//!   step either side of now (RFC 6238 §5.2), and accepts a step once
//!   ([`crate::repo::otp::OtpDevices::spend`]).
//! - **Recovery codes** (issue 17 item 3): [`AuthServer::new_recovery_codes`] makes a set
//!   (the old one ends), [`AuthServer::check_recovery_code`] accepts each code once, counted
//!   with the one-time passwords.

use serde::{Deserialize, Serialize};

use crate::auth::AuthServer;
use crate::auth::authn::protection::{self, Admission};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::otp::Totp;
use crate::repo::otp::{MAX_PER_PERSON, OtpDevice, OtpDevices, OtpKind};

/// Seconds a started enrolment waits for its first code.
pub const ENROLMENT_LIFETIME: u64 = 600;
/// Bytes of a new secret.
const SECRET_LEN: usize = 20;
/// Time steps accepted either side of now.
const WINDOW: u64 = 1;
/// Longest nickname kept.
const MAX_NICKNAME: usize = 64;

/// Whom the brute-force protection counts second-factor attempts under: the person, apart
/// from their password attempts (a uid cannot hold the `\u{1}`).
fn second_factor_key(inum: &str) -> String {
    format!("\u{1}second-factor\u{0}{inum}")
}

fn pending_aad(inum: &str) -> Vec<u8> {
    format!("jans:otp-pending:{inum}").into_bytes()
}

fn secret_aad(inum: &str, id: &str) -> Vec<u8> {
    format!("jans:otp-secret:{inum}:{id}").into_bytes()
}

/// A started enrolment, for the page that shows it.
#[derive(Clone, Debug)]
pub struct TotpEnrolment {
    /// The `otpauth://` URI the app reads.
    pub uri: String,
    /// The same as a QR code (inline SVG).
    pub qr_svg: String,
    /// The secret in base32, for typing into an app by hand.
    pub secret: String,
    /// What [`AuthServer::confirm_totp`] takes back with the first code.
    pub pending: String,
}

#[derive(Serialize, Deserialize)]
struct Pending {
    secret: String,
    nickname: String,
    expires_at: u64,
}

/// What a recovery code's [`OtpCheck::Valid`] names.
pub const RECOVERY_CODE: &str = "recovery-code";

/// How a check of a code ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OtpCheck {
    /// A code of this device (its id), for a step not used before; or an unused recovery
    /// code ([`RECOVERY_CODE`]).
    Valid(String),
    /// Wrong, replayed, or no device.
    Invalid,
    /// Too many attempts for this person: refused unchecked for this many seconds.
    Wait(u64),
}

impl AuthServer {
    fn otp_devices(&self) -> OtpDevices {
        OtpDevices::new(self.stores().documents.clone())
    }

    /// Start enrolling an authenticator app called `nickname` for the person `inum`, whose
    /// account is shown in the app as `account`.
    pub fn start_totp(
        &self,
        inum: &str,
        account: &str,
        nickname: &str,
        ctx: &Ctx,
    ) -> Result<TotpEnrolment, Error> {
        let secret = ctx.random_bytes(SECRET_LEN);
        // The app shows the account under this server's host name.
        let config = self.config();
        let issuer = url::Url::parse(&config.issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| config.issuer.clone());
        let uri = crate::otp::totp_uri(&issuer, account, &secret, &Totp::default());
        let qr_svg = crate::qr::svg(&uri, "QR code of the key for your authenticator app", 220)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let pending = serde_json::to_vec(&Pending {
            secret: crate::b64::encode(&secret),
            nickname: nickname.chars().take(MAX_NICKNAME).collect(),
            expires_at: ctx.now.saturating_add(ENROLMENT_LIFETIME),
        })
        .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(TotpEnrolment {
            uri,
            qr_svg,
            secret: crate::otp::base32_encode(&secret),
            pending: self
                .secret_box()
                .seal(&pending, &pending_aad(inum), ctx.rng.as_ref())?,
        })
    }

    /// Finish the enrolment `pending` of the person `inum` with the app's first `code`: the
    /// device stored (its first code spent), or `None` for a wrong code, an expired or
    /// foreign enrolment, or a person who has [`MAX_PER_PERSON`] devices already.
    pub async fn confirm_totp(
        &self,
        inum: &str,
        pending: &str,
        code: &str,
        ctx: &Ctx,
    ) -> Result<Option<OtpDevice>, Error> {
        let Ok(raw) = self.secret_box().open(pending, &pending_aad(inum)) else {
            return Ok(None);
        };
        let Ok(p) = serde_json::from_slice::<Pending>(&raw) else {
            return Ok(None);
        };
        let Ok(secret) = crate::b64::decode(&p.secret) else {
            return Ok(None);
        };
        let totp = Totp::default();
        let Some(step) = totp.verify(&secret, code, ctx.now, WINDOW) else {
            return Ok(None);
        };
        let devices = self.otp_devices();
        if ctx.now > p.expires_at || devices.of_user(inum).await?.len() >= MAX_PER_PERSON {
            return Ok(None);
        }
        let id = ctx.random_token(12);
        let device = OtpDevice {
            secret_sealed: self.secret_box().seal(
                &secret,
                &secret_aad(inum, &id),
                ctx.rng.as_ref(),
            )?,
            id,
            user: inum.to_owned(),
            nickname: p.nickname,
            kind: OtpKind::Totp,
            alg: totp.alg,
            digits: totp.digits,
            period: totp.period,
            last_step: Some(step),
            added_on: ctx.now,
            last_used: None,
        };
        devices.insert(&device).await?;
        Ok(Some(device))
    }

    /// A new set of recovery codes for the person `inum` (issue 17 item 3), replacing any
    /// set before: the ten codes, to show once.
    pub async fn new_recovery_codes(&self, inum: &str, ctx: &Ctx) -> Result<Vec<String>, Error> {
        let (shown, set) = crate::repo::recovery_codes::generate(inum, ctx.now, ctx.rng.as_ref());
        crate::repo::recovery_codes::RecoveryCodes::new(self.stores().documents.clone())
            .put(&set)
            .await?;
        Ok(shown)
    }

    /// Check the recovery code `code` of the person `inum`: valid once; wrong ones delayed
    /// as wrong one-time passwords are (they share the count: both are second factors).
    pub async fn check_recovery_code(
        &self,
        inum: &str,
        code: &str,
        ctx: &Ctx,
    ) -> Result<OtpCheck, Error> {
        let who = second_factor_key(inum);
        if let Admission::Wait(seconds) = protection::admit(self, &who, ctx).await? {
            return Ok(OtpCheck::Wait(seconds));
        }
        let codes =
            crate::repo::recovery_codes::RecoveryCodes::new(self.stores().documents.clone());
        if codes.spend(inum, code, ctx.now).await? {
            protection::succeeded(self, &who).await?;
            return Ok(OtpCheck::Valid(RECOVERY_CODE.to_owned()));
        }
        Ok(OtpCheck::Invalid)
    }

    /// Check `code` against the person `inum`'s devices at `ctx.now`.
    pub async fn check_otp(&self, inum: &str, code: &str, ctx: &Ctx) -> Result<OtpCheck, Error> {
        let who = second_factor_key(inum);
        if let Admission::Wait(seconds) = protection::admit(self, &who, ctx).await? {
            return Ok(OtpCheck::Wait(seconds));
        }
        let devices = self.otp_devices();
        for d in devices.of_user(inum).await? {
            let Ok(secret) = self
                .secret_box()
                .open(&d.secret_sealed, &secret_aad(inum, &d.id))
            else {
                tracing::warn!(device = %d.id, "an OTP device's secret does not open");
                continue;
            };
            let step = match d.kind {
                OtpKind::Totp => Totp {
                    alg: d.alg,
                    digits: d.digits,
                    period: d.period,
                }
                .verify(&secret, code, ctx.now, WINDOW),
                // RFC 4226 §7.4: a look-ahead of a few counters past the last one used.
                OtpKind::Hotp => {
                    let next = d.last_step.map_or(0, |s| s.saturating_add(1));
                    (next..next.saturating_add(10))
                        .find(|c| crate::otp::hotp_matches(&secret, *c, code, d.digits, d.alg))
                }
            };
            if let Some(step) = step
                && devices.spend(inum, &d.id, step, ctx.now).await?
            {
                protection::succeeded(self, &who).await?;
                return Ok(OtpCheck::Valid(d.id));
            }
        }
        Ok(OtpCheck::Invalid)
    }
}
