//! The auth-server's check of one-time passwords and recovery codes (issue 17 items 2–3;
//! the `otp` and `casa` methods' second step calls it; Casa enrols them, `crate::casa`).
//!
//! - **A check** ([`AuthServer::check_otp`]) is brute-force protected per person like
//!   passwords (`authenticationProtectionConfiguration`, counted apart from them), looks one
//!   step either side of now (RFC 6238 §5.2), and accepts a step once
//!   ([`crate::repo::otp::OtpDevices::spend`]); HOTP looks ahead a few counters.
//! - **Recovery codes**: [`AuthServer::check_recovery_code`] accepts each code once, counted
//!   with the one-time passwords.

use crate::auth::AuthServer;
use crate::auth::authn::protection::{self, Admission};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::otp::Totp;
use crate::repo::otp::{OtpDevices, OtpKind, WINDOW};

/// Whom the brute-force protection counts second-factor attempts under: the person, apart
/// from their password attempts (a uid cannot hold the `\u{1}`).
fn second_factor_key(inum: &str) -> String {
    format!("\u{1}second-factor\u{0}{inum}")
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
                .open(&d.secret_sealed, &crate::repo::otp::secret_aad(inum, &d.id))
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
                    (next..next.saturating_add(crate::repo::otp::HOTP_LOOK_AHEAD))
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
