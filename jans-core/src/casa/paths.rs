//! Casa's path table: `/jans-casa/...` (DESIGN.md §3) to [`CasaEndpoint`]s and back.

use crate::request::CasaEndpoint;

/// Where Casa is served.
pub const ROOT: &str = "/jans-casa";
/// The dashboard.
pub const DASHBOARD: &str = "/jans-casa/";
/// Where the auth-server sends the browser back with a code.
pub const CALLBACK: &str = "/jans-casa/callback";
/// Sign out.
pub const LOGOUT: &str = "/jans-casa/logout";
/// Enrol an authenticator app.
pub const OTP: &str = "/jans-casa/otp";
/// A passkey or security key (`{PASSKEYS}/{credential id}`).
pub const PASSKEYS: &str = "/jans-casa/passkeys";
/// A new set of recovery codes.
pub const RECOVERY_CODES: &str = "/jans-casa/recovery-codes";
/// Two-factor settings.
pub const TWO_FACTOR: &str = "/jans-casa/2fa";
/// The password.
pub const PASSWORD: &str = "/jans-casa/password";
/// An application's consent (`{CONSENTS}/{client id}`).
pub const CONSENTS: &str = "/jans-casa/consents";
/// The admin console.
pub const ADMIN: &str = "/jans-casa/admin";
/// A trusted device (`{DEVICES}/{id}`).
pub const DEVICES: &str = "/jans-casa/devices";

/// Every path without an id, and its endpoint (the first path of an endpoint is its own).
pub const EXACT: [(&str, CasaEndpoint); 9] = [
    (DASHBOARD, CasaEndpoint::Dashboard),
    (ROOT, CasaEndpoint::Dashboard),
    (CALLBACK, CasaEndpoint::Callback),
    (LOGOUT, CasaEndpoint::Logout),
    (OTP, CasaEndpoint::Otp),
    (RECOVERY_CODES, CasaEndpoint::RecoveryCodes),
    (TWO_FACTOR, CasaEndpoint::TwoFactor),
    (PASSWORD, CasaEndpoint::Password),
    (ADMIN, CasaEndpoint::Admin),
];

/// The paths with an id after them (`{prefix}/{id}`), as a host routes them.
pub const WITH_ID: [&str; 4] = [OTP, PASSKEYS, CONSENTS, DEVICES];

/// The endpoint served at `path`.
pub fn from_path(path: &str) -> Option<CasaEndpoint> {
    if let Some((_, e)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some(e.clone());
    }
    let one = |prefix: &str| {
        let id = path.strip_prefix(prefix)?.strip_prefix('/')?;
        (!id.is_empty() && id.len() <= 1024 && !id.contains('/')).then(|| id.to_owned())
    };
    one(OTP)
        .map(CasaEndpoint::OtpDevice)
        .or_else(|| one(PASSKEYS).map(CasaEndpoint::Passkey))
        .or_else(|| one(CONSENTS).map(CasaEndpoint::Consent))
        .or_else(|| one(DEVICES).map(CasaEndpoint::TrustedDevice))
}

/// The path `endpoint` is served at (relative to the issuer).
pub fn path(endpoint: &CasaEndpoint) -> String {
    match endpoint {
        CasaEndpoint::OtpDevice(id) => format!("{OTP}/{id}"),
        CasaEndpoint::Passkey(id) => format!("{PASSKEYS}/{id}"),
        CasaEndpoint::Consent(id) => format!("{CONSENTS}/{id}"),
        CasaEndpoint::TrustedDevice(id) => format!("{DEVICES}/{id}"),
        other => EXACT
            .iter()
            .find(|(_, e)| e == other)
            .map_or(DASHBOARD, |(p, _)| *p)
            .to_owned(),
    }
}

/// A short stable label for metrics and logs.
pub fn label(endpoint: &CasaEndpoint) -> &'static str {
    match endpoint {
        CasaEndpoint::Dashboard => "casa_dashboard",
        CasaEndpoint::Callback => "casa_callback",
        CasaEndpoint::Logout => "casa_logout",
        CasaEndpoint::Otp => "casa_otp",
        CasaEndpoint::OtpDevice(_) => "casa_otp_device",
        CasaEndpoint::Passkey(_) => "casa_passkey",
        CasaEndpoint::RecoveryCodes => "casa_recovery_codes",
        CasaEndpoint::TwoFactor => "casa_two_factor",
        CasaEndpoint::Password => "casa_password",
        CasaEndpoint::Consent(_) => "casa_consent",
        CasaEndpoint::TrustedDevice(_) => "casa_trusted_device",
        CasaEndpoint::Admin => "casa_admin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        for (p, e) in EXACT {
            assert_eq!(from_path(p), Some(e.clone()));
        }
        for e in [
            CasaEndpoint::OtpDevice("d1".into()),
            CasaEndpoint::Passkey("-x_y".into()),
            CasaEndpoint::Consent("c1".into()),
            CasaEndpoint::TrustedDevice("d-1".into()),
        ] {
            assert_eq!(from_path(&path(&e)), Some(e));
        }
        assert_eq!(from_path("/jans-casa/otp/a/b"), None);
        assert_eq!(from_path("/jans-casa/passkeys/"), None);
        assert_eq!(from_path("/jans-casa/other"), None);
    }
}
