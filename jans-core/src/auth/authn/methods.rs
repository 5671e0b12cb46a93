//! The authentication methods the auth-server signs people in with, named by ACR (OIDC
//! Core §2 `acr`, §3.1.2.1 `acr_values`), and what each says in `amr` (RFC 8176):
//!
//! | ACR | how | `amr` |
//! |---|---|---|
//! | `simple_password_auth` | username and password | `pwd` |
//! | `passkey` | a discoverable credential, no username (WebAuthn) | `hwk` or `swk`, `user`, `mfa` when the authenticator verified the user |
//! | `fido2` | password, then a security key or passkey of that user | `pwd`, `hwk` or `swk`, `user`, `mfa` |
//! | `otp` | password, then a one-time password of the user's authenticator app, or one of their recovery codes | `pwd`, `otp`, `mfa` |
//! | `casa` | password, then — when the person turned two-factor authentication on in Casa — their preferred second factor, or another they enrolled ("try another way") | `pwd`, then as the factor used |
//!
//! A sign-in's second factors are [`Factor`]s: which ones a method offers a person is
//! [`crate::auth::AuthServer`]'s decision at the password (`authn::second_factor`).
//!
//! `hwk` is a device-bound credential, `swk` one that may be synced (WebAuthn's backup
//! eligibility). WebAuthn does not say how the user was verified (a PIN or a fingerprint),
//! so neither `pin` nor `fpt` is claimed. The two WebAuthn methods need the FIDO2 component
//! ([`crate::services::KeyCeremonies`]).

use crate::services::KeySignIn;

/// Username and password (Janssen's built-in method).
pub const PASSWORD_ACR: &str = "simple_password_auth";
/// A passkey: usernameless sign-in with a discoverable WebAuthn credential.
pub const PASSKEY_ACR: &str = "passkey";
/// Two factors: the password, then a WebAuthn credential of the same user.
pub const FIDO2_ACR: &str = "fido2";

/// Two factors: the password, then a one-time password (RFC 6238/4226) or a recovery code.
pub const OTP_ACR: &str = "otp";
/// Janssen Casa's method: the password, then the person's own two-factor choice.
pub const CASA_ACR: &str = "casa";

pub use crate::repo::two_factor::Factor;

/// Most `acr_values` kept from a request.
pub const MAX_ACR_VALUES: usize = 8;

/// How strong a method is: a session whose ACR is weaker than the one asked for signs in
/// again (step-up). Unknown ACRs (from older sessions) count as the weakest
/// ([`crate::config::acr_level`], shared with the SAML IdP).
pub fn level(acr: &str) -> u8 {
    crate::config::acr_level(acr)
}

/// The methods this server offers: the WebAuthn ones only with the FIDO2 component.
pub fn supported(with_keys: bool) -> Vec<&'static str> {
    if with_keys {
        vec![PASSWORD_ACR, PASSKEY_ACR, FIDO2_ACR, OTP_ACR, CASA_ACR]
    } else {
        vec![PASSWORD_ACR, OTP_ACR, CASA_ACR]
    }
}

/// The method for a request's `acr_values` (OIDC Core §3.1.2.1: in order of preference):
/// the first one offered; when none is (the values are voluntary), the configured
/// `default` if offered, else the password.
pub fn choose(acr_values: &[String], with_keys: bool, default: &str) -> &'static str {
    let offered = supported(with_keys);
    acr_values
        .iter()
        .find_map(|v| offered.iter().find(|o| **o == v.as_str()).copied())
        .or_else(|| offered.iter().find(|o| **o == default).copied())
        .unwrap_or(PASSWORD_ACR)
}

/// `amr` of a WebAuthn sign-in (after a password when `with_password`).
pub fn key_amr(signed_in: &KeySignIn, with_password: bool) -> Vec<String> {
    let mut amr = Vec::new();
    if with_password {
        amr.push("pwd".to_owned());
    }
    amr.push(
        if signed_in.backup_eligible {
            "swk"
        } else {
            "hwk"
        }
        .to_owned(),
    );
    amr.push("user".to_owned());
    if with_password || signed_in.user_verified {
        amr.push("mfa".to_owned());
    }
    amr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_levels_and_amr() {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            choose(&v(&["urn:x", "fido2", "passkey"]), true, PASSWORD_ACR),
            FIDO2_ACR
        );
        assert_eq!(choose(&v(&["passkey"]), false, PASSWORD_ACR), PASSWORD_ACR);
        assert_eq!(choose(&[], true, PASSWORD_ACR), PASSWORD_ACR);
        // The configured default when the request names none offered, if it is offered.
        assert_eq!(choose(&[], true, PASSKEY_ACR), PASSKEY_ACR);
        assert_eq!(choose(&v(&["urn:x"]), true, FIDO2_ACR), FIDO2_ACR);
        assert_eq!(choose(&[], false, PASSKEY_ACR), PASSWORD_ACR);
        assert_eq!(choose(&v(&["passkey"]), true, FIDO2_ACR), PASSKEY_ACR);
        assert_eq!(choose(&v(&["fido2", "otp"]), false, PASSWORD_ACR), OTP_ACR);
        assert!(level(PASSWORD_ACR) < level(CASA_ACR));
        assert!(level(CASA_ACR) < level(PASSKEY_ACR));
        assert!(level(PASSKEY_ACR) < level(OTP_ACR));
        assert!(level(OTP_ACR) < level(FIDO2_ACR));
        for f in Factor::ALL {
            assert_eq!(Factor::parse(f.name()), Some(f));
            assert_eq!(serde_json::to_value(f).unwrap(), f.name());
        }
        assert_eq!(Factor::parse("sms"), None);
        assert_eq!(level("something-old"), 0);
        let key = |uv, be| KeySignIn {
            user_inum: "u".into(),
            user_verified: uv,
            backup_eligible: be,
        };
        assert_eq!(key_amr(&key(true, true), false), ["swk", "user", "mfa"]);
        assert_eq!(key_amr(&key(false, false), false), ["hwk", "user"]);
        assert_eq!(
            key_amr(&key(false, false), true),
            ["pwd", "hwk", "user", "mfa"]
        );
    }

    /// The configuration's list of methods (which validates `defaultAcr`) is this one.
    #[test]
    fn the_configuration_knows_every_method() {
        assert_eq!(supported(true), crate::config::ACRS);
    }
}
