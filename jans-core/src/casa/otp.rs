//! Enrolling authenticator apps and making recovery codes (issue 17 items 2–3); the
//! auth-server checks them at sign-in (`auth::authn::otp`).
//!
//! Enrolment is two steps with nothing stored between them: [`CasaServer::start_otp`]
//! draws a 160-bit secret (RFC 4226 §4 R6 recommends 160 bits) and hands back its key URI,
//! its QR code and a `pending` token — the secret sealed under the master key with the
//! person, the kind and an expiry; [`CasaServer::confirm_totp`] takes that token and a first
//! code from the app, and only then stores the device, its secret sealed to it, with that
//! code's step spent. A TOTP app (RFC 6238) gives the code of now; an HOTP token or app
//! (RFC 4226) the code of its next counter, looked for from 0 within
//! [`HOTP_LOOK_AHEAD`].

use serde::{Deserialize, Serialize};

use crate::casa::CasaServer;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::otp::OtpAlgorithm;
use crate::otp::Totp;
use crate::repo::otp::{
    HOTP_LOOK_AHEAD, MAX_PER_PERSON, OtpDevice, OtpDevices, OtpKind, WINDOW, secret_aad,
};

/// Digits of an HOTP code (RFC 4226 §5.3: at least six).
const HOTP_DIGITS: u32 = 6;

/// Seconds a started enrolment waits for its first code.
pub const ENROLMENT_LIFETIME: u64 = 600;
/// Bytes of a new secret.
const SECRET_LEN: usize = 20;
/// Longest nickname kept, in characters.
pub const MAX_NICKNAME: usize = 64;

fn pending_aad(inum: &str) -> Vec<u8> {
    format!("jans:otp-pending:{inum}").into_bytes()
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
    /// What [`CasaServer::confirm_totp`] takes back with the first code.
    pub pending: String,
    /// Time-based (an app) or counter-based (a token).
    pub kind: OtpKind,
}

#[derive(Serialize, Deserialize)]
struct Pending {
    secret: String,
    account: String,
    expires_at: u64,
    #[serde(default = "totp_kind")]
    kind: OtpKind,
}

fn totp_kind() -> OtpKind {
    OtpKind::Totp
}

/// A nickname as kept: trimmed, without control characters, at most [`MAX_NICKNAME`]
/// characters.
pub fn nickname(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NICKNAME)
        .collect()
}

impl CasaServer {
    fn otp_devices(&self) -> OtpDevices {
        OtpDevices::new(self.services.stores().documents.clone())
    }

    /// The page's view of an enrolment of `secret` of `kind` for `account`, sealed as
    /// `pending`.
    fn enrolment(
        &self,
        secret: &[u8],
        account: &str,
        kind: OtpKind,
        pending: String,
    ) -> Result<TotpEnrolment, Error> {
        let config = self.services.config();
        // The app shows the account under this server's host name.
        let issuer = url::Url::parse(&config.issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| config.issuer.clone());
        let uri = match kind {
            OtpKind::Totp => crate::otp::totp_uri(&issuer, account, secret, &Totp::default()),
            OtpKind::Hotp => {
                crate::otp::hotp_uri(&issuer, account, secret, 0, HOTP_DIGITS, OtpAlgorithm::Sha1)
            }
        };
        let qr_svg = crate::qr::svg(&uri, "QR code of the key for your authenticator app", 220)
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(TotpEnrolment {
            uri,
            qr_svg,
            secret: crate::otp::base32_encode(secret),
            pending,
            kind,
        })
    }

    /// Start enrolling an authenticator app (TOTP) for the person `inum`, whose account is
    /// shown in the app as `account`. Nothing is stored.
    pub fn start_totp(&self, inum: &str, account: &str, ctx: &Ctx) -> Result<TotpEnrolment, Error> {
        self.start_otp(inum, account, OtpKind::Totp, ctx)
    }

    /// Start enrolling a one-time-password device of `kind` for the person `inum`.
    /// Nothing is stored.
    pub fn start_otp(
        &self,
        inum: &str,
        account: &str,
        kind: OtpKind,
        ctx: &Ctx,
    ) -> Result<TotpEnrolment, Error> {
        let secret = ctx.random_bytes(SECRET_LEN);
        let pending = serde_json::to_vec(&Pending {
            secret: crate::b64::encode(&secret),
            account: account.to_owned(),
            expires_at: ctx.now.saturating_add(ENROLMENT_LIFETIME),
            kind,
        })
        .map_err(|e| Error::Internal(e.to_string()))?;
        let pending =
            self.services
                .secret_box()
                .seal(&pending, &pending_aad(inum), ctx.rng.as_ref())?;
        self.enrolment(&secret, account, kind, pending)
    }

    fn open_pending(&self, inum: &str, pending: &str) -> Option<(Vec<u8>, Pending)> {
        let raw = self
            .services
            .secret_box()
            .open(pending, &pending_aad(inum))
            .ok()?;
        let p = serde_json::from_slice::<Pending>(&raw).ok()?;
        let secret = crate::b64::decode(&p.secret).ok()?;
        Some((secret, p))
    }

    /// The enrolment `pending` of `inum` again (the page shown once more after a wrong
    /// code); `None` when it is not theirs, or expired.
    pub fn resume_totp(
        &self,
        inum: &str,
        pending: &str,
        ctx: &Ctx,
    ) -> Result<Option<TotpEnrolment>, Error> {
        match self.open_pending(inum, pending) {
            Some((secret, p)) if ctx.now <= p.expires_at => self
                .enrolment(&secret, &p.account, p.kind, pending.to_owned())
                .map(Some),
            _ => Ok(None),
        }
    }

    /// Finish the enrolment `pending` of the person `inum` with the app's first `code`,
    /// calling the device `nickname`: the device stored (its first code spent), or `None`
    /// for a wrong code, an expired or foreign enrolment, or a person who has
    /// [`MAX_PER_PERSON`] devices already.
    pub async fn confirm_totp(
        &self,
        inum: &str,
        pending: &str,
        nickname: &str,
        code: &str,
        ctx: &Ctx,
    ) -> Result<Option<OtpDevice>, Error> {
        let Some((secret, p)) = self.open_pending(inum, pending) else {
            return Ok(None);
        };
        let totp = Totp::default();
        let (alg, digits, period) = match p.kind {
            OtpKind::Totp => (totp.alg, totp.digits, totp.period),
            OtpKind::Hotp => (OtpAlgorithm::Sha1, HOTP_DIGITS, 0),
        };
        let step = match p.kind {
            OtpKind::Totp => totp.verify(&secret, code.trim(), ctx.now, WINDOW),
            OtpKind::Hotp => (0..HOTP_LOOK_AHEAD)
                .find(|c| crate::otp::hotp_matches(&secret, *c, code.trim(), digits, alg)),
        };
        let Some(step) = step else {
            return Ok(None);
        };
        let devices = self.otp_devices();
        if ctx.now > p.expires_at || devices.of_user(inum).await?.len() >= MAX_PER_PERSON {
            return Ok(None);
        }
        let id = ctx.random_token(12);
        let name = self::nickname(nickname);
        let device = OtpDevice {
            secret_sealed: self.services.secret_box().seal(
                &secret,
                &secret_aad(inum, &id),
                ctx.rng.as_ref(),
            )?,
            id,
            user: inum.to_owned(),
            nickname: match (name.is_empty(), p.kind) {
                (false, _) => name,
                (true, OtpKind::Totp) => "Authenticator app".to_owned(),
                (true, OtpKind::Hotp) => "Hardware token".to_owned(),
            },
            kind: p.kind,
            alg,
            digits,
            period,
            last_step: Some(step),
            added_on: ctx.now,
            last_used: None,
        };
        devices.insert(&device).await?;
        Ok(Some(device))
    }

    /// A new set of recovery codes for the person `inum`, replacing any set before: the
    /// ten codes, to show once.
    pub async fn new_recovery_codes(&self, inum: &str, ctx: &Ctx) -> Result<Vec<String>, Error> {
        let (shown, set) = crate::repo::recovery_codes::generate(inum, ctx.now, ctx.rng.as_ref());
        crate::repo::recovery_codes::RecoveryCodes::new(self.services.stores().documents.clone())
            .put(&set)
            .await?;
        Ok(shown)
    }
}
