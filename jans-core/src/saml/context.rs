//! `RequestedAuthnContext` (SAML 2.0 Core §3.3.2.2.1) against the auth-server's methods:
//! which classes this IdP can state, what it asks the auth-server for, and whether the
//! sign-in it got meets the request — when it does not, the SP is told `NoAuthnContext`
//! (Core §3.4.1: the IdP MUST NOT answer with a context that does not meet the request).
//!
//! | class | met by the ACRs | strength |
//! |---|---|---|
//! | `PasswordProtectedTransport`, `Password` (Authentication Context §3.4) | every method that asks for the password: `simple_password_auth`, `otp`, `fido2`, `casa` | the password's |
//! | `TimeSyncToken` | `otp` | `otp`'s |
//! | `unspecified` | any | none |
//! | an ACR of this server (`passkey`, `fido2`, ...) | that ACR | its own ([`crate::config::acr_level`]) |
//!
//! Any other class (and any `AuthnContextDeclRef`) cannot be met here.

use serde::{Deserialize, Serialize};

use crate::config::{ACRS, acr_level};

/// A password over TLS (Authentication Context §3.4.7).
pub const PASSWORD_PROTECTED_TRANSPORT: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
/// A password (Authentication Context §3.4.6).
pub const PASSWORD: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password";
/// A time-synchronized one-time password (Authentication Context §3.4.24).
pub const TIME_SYNC_TOKEN: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken";
/// No particular context (Authentication Context §3.4.25).
pub const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified";

/// The auth-server's password method.
const PASSWORD_ACR: &str = "simple_password_auth";
/// The methods that ask for the password (the first factor of the two-factor ones).
const WITH_PASSWORD: [&str; 4] = [PASSWORD_ACR, "otp", "fido2", "casa"];

/// `RequestedAuthnContext`'s `Comparison` (Core §3.3.2.2.1), `exact` when absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Comparison {
    /// The stated context is one of those listed.
    #[default]
    Exact,
    /// At least as strong as one of those listed.
    Minimum,
    /// At most as strong as one of those listed.
    Maximum,
    /// Stronger than every one of those listed.
    Better,
}

impl Comparison {
    /// The attribute's value read (`None`: not one of the four).
    pub fn parse(value: Option<&str>) -> Option<Comparison> {
        Some(match value {
            None | Some("exact") => Comparison::Exact,
            Some("minimum") => Comparison::Minimum,
            Some("maximum") => Comparison::Maximum,
            Some("better") => Comparison::Better,
            Some(_) => return None,
        })
    }
}

/// Whether the sign-in `acr` meets `class`.
fn meets(class: &str, acr: &str) -> bool {
    match class {
        PASSWORD_PROTECTED_TRANSPORT | PASSWORD => WITH_PASSWORD.contains(&acr),
        TIME_SYNC_TOKEN => acr == "otp",
        UNSPECIFIED => true,
        other => other == acr && ACRS.contains(&other),
    }
}

/// How strong `class` is, `None` for one this IdP does not know.
fn strength(class: &str) -> Option<u8> {
    match class {
        PASSWORD_PROTECTED_TRANSPORT | PASSWORD => Some(acr_level(PASSWORD_ACR)),
        TIME_SYNC_TOKEN => Some(acr_level("otp")),
        UNSPECIFIED => Some(0),
        other => ACRS.contains(&other).then(|| acr_level(other)),
    }
}

/// The ACR that signs in for `class`, if one does.
fn acr_for(class: &str) -> Option<&'static str> {
    match class {
        PASSWORD_PROTECTED_TRANSPORT | PASSWORD => Some(PASSWORD_ACR),
        TIME_SYNC_TOKEN => Some("otp"),
        other => ACRS.iter().copied().find(|a| *a == other),
    }
}

/// The class an assertion states for the sign-in `acr` when the SP asked for none in
/// particular: a password-only sign-in is `PasswordProtectedTransport`, another method its
/// ACR (a relative URI, as Janssen's ACRs are).
pub fn class_of(acr: Option<&str>) -> String {
    match acr {
        None | Some("" | "basic" | PASSWORD_ACR) => PASSWORD_PROTECTED_TRANSPORT.to_owned(),
        Some(other) => other.to_owned(),
    }
}

/// What an `AuthnRequest` asked for: no classes, nothing in particular.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requested {
    /// How the stated context compares with `classes`.
    #[serde(default)]
    pub comparison: Comparison,
    /// The `AuthnContextClassRef`s (and `AuthnContextDeclRef`s, which nothing meets).
    #[serde(default)]
    pub classes: Vec<String>,
}

impl Requested {
    /// The strengths of the classes this IdP knows, weakest first.
    fn strengths(&self) -> Vec<u8> {
        let mut s: Vec<u8> = self.classes.iter().filter_map(|c| strength(c)).collect();
        s.sort_unstable();
        s
    }

    /// Whether some sign-in here could meet the request (else it is answered
    /// `NoAuthnContext` at once).
    pub fn feasible(&self) -> bool {
        if self.classes.is_empty() {
            return true;
        }
        let strongest = ACRS.iter().map(|a| acr_level(a)).max().unwrap_or(0);
        let levels = self.strengths();
        match (self.comparison, levels.first(), levels.last()) {
            (_, None, _) | (_, _, None) => false,
            (Comparison::Exact, _, _) => self
                .classes
                .iter()
                .any(|c| c == UNSPECIFIED || acr_for(c).is_some()),
            (Comparison::Minimum, Some(weakest), _) => *weakest <= strongest,
            (Comparison::Maximum, _, Some(max)) => ACRS.iter().any(|a| acr_level(a) <= *max),
            (Comparison::Better, _, Some(max)) => *max < strongest,
        }
    }

    /// The auth-server's `acr_values` for the request, in preference order: the ACRs the
    /// listed classes name (`exact`), or the methods strong enough (`minimum`, `better`) or
    /// weak enough (`maximum`), weakest first — the auth-server takes the first it offers
    /// and keeps a session that is at least as strong.
    pub fn acr_values(&self) -> String {
        let mut acrs: Vec<&str> = match self.comparison {
            Comparison::Exact => self.classes.iter().filter_map(|c| acr_for(c)).collect(),
            _ => {
                let levels = self.strengths();
                let (Some(weakest), Some(max)) = (levels.first(), levels.last()) else {
                    return String::new();
                };
                let fits = |l: u8| match self.comparison {
                    Comparison::Minimum => l >= *weakest,
                    Comparison::Maximum => l <= *max,
                    _ => l > *max,
                };
                let mut fit: Vec<&str> = ACRS.into_iter().filter(|a| fits(acr_level(a))).collect();
                fit.sort_by_key(|a| acr_level(a));
                fit
            }
        };
        let mut seen = Vec::new();
        acrs.retain(|a| {
            let first = !seen.contains(a);
            seen.push(*a);
            first
        });
        acrs.join(" ")
    }

    /// The class to state for a sign-in by `acr` when it meets the request, `None` when
    /// it does not: `exact`, the first listed class it meets; otherwise its own class,
    /// compared by strength with those listed.
    pub fn met_by(&self, acr: &str) -> Option<String> {
        if self.classes.is_empty() {
            return Some(class_of(Some(acr)));
        }
        let level = acr_level(acr);
        let levels = self.strengths();
        let ok = match (self.comparison, levels.first(), levels.last()) {
            (Comparison::Exact, _, _) => {
                return self.classes.iter().find(|c| meets(c, acr)).cloned();
            }
            (_, None, _) | (_, _, None) => false,
            (Comparison::Minimum, Some(weakest), _) => level >= *weakest,
            (Comparison::Maximum, _, Some(max)) => level <= *max,
            (Comparison::Better, _, Some(max)) => level > *max,
        };
        ok.then(|| class_of(Some(acr)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(comparison: Comparison, classes: &[&str]) -> Requested {
        Requested {
            comparison,
            classes: classes.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn nothing_asked_is_met_by_any_sign_in() {
        let r = Requested::default();
        assert!(r.feasible());
        assert_eq!(r.acr_values(), "");
        assert_eq!(
            r.met_by("simple_password_auth").as_deref(),
            Some(PASSWORD_PROTECTED_TRANSPORT)
        );
        assert_eq!(r.met_by("fido2").as_deref(), Some("fido2"));
    }

    #[test]
    fn exact_states_the_listed_class_the_sign_in_meets() {
        let r = asked(Comparison::Exact, &[PASSWORD_PROTECTED_TRANSPORT]);
        assert!(r.feasible());
        assert_eq!(r.acr_values(), "simple_password_auth");
        // Every method that asked for the password meets it; a passkey alone does not.
        for acr in ["simple_password_auth", "otp", "fido2", "casa"] {
            assert_eq!(
                r.met_by(acr).as_deref(),
                Some(PASSWORD_PROTECTED_TRANSPORT),
                "{acr}"
            );
        }
        assert_eq!(r.met_by("passkey"), None);
        let r = asked(Comparison::Exact, &[TIME_SYNC_TOKEN, "fido2"]);
        assert_eq!(r.acr_values(), "otp fido2");
        assert_eq!(r.met_by("otp").as_deref(), Some(TIME_SYNC_TOKEN));
        assert_eq!(r.met_by("fido2").as_deref(), Some("fido2"));
        assert_eq!(r.met_by("simple_password_auth"), None);
        assert_eq!(r.met_by("casa"), None);
    }

    #[test]
    fn classes_this_idp_cannot_meet_are_refused_up_front() {
        for r in [
            asked(
                Comparison::Exact,
                &["urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard"],
            ),
            asked(Comparison::Minimum, &["https://refeds.org/profile/mfa"]),
            asked(Comparison::Better, &["fido2"]),
            asked(Comparison::Maximum, &[UNSPECIFIED]),
        ] {
            assert!(!r.feasible(), "{r:?}");
            assert_eq!(r.met_by("fido2"), None, "{r:?}");
        }
        // An unknown class beside a known one: the known one counts.
        let r = asked(Comparison::Exact, &["urn:x:unknown", PASSWORD]);
        assert!(r.feasible());
        assert_eq!(r.met_by("otp").as_deref(), Some(PASSWORD));
        let r = asked(Comparison::Exact, &[UNSPECIFIED]);
        assert!(r.feasible());
        assert_eq!(r.acr_values(), "");
        assert_eq!(r.met_by("passkey").as_deref(), Some(UNSPECIFIED));
    }

    #[test]
    fn minimum_maximum_and_better_compare_strengths() {
        let r = asked(Comparison::Minimum, &[TIME_SYNC_TOKEN]);
        assert!(r.feasible());
        assert_eq!(r.acr_values(), "otp fido2");
        assert_eq!(r.met_by("otp").as_deref(), Some("otp"));
        assert_eq!(r.met_by("fido2").as_deref(), Some("fido2"));
        assert_eq!(r.met_by("passkey"), None);
        assert_eq!(r.met_by("simple_password_auth"), None);

        let r = asked(Comparison::Maximum, &[PASSWORD_PROTECTED_TRANSPORT]);
        assert!(r.feasible());
        assert_eq!(r.acr_values(), "simple_password_auth");
        assert_eq!(
            r.met_by("simple_password_auth").as_deref(),
            Some(PASSWORD_PROTECTED_TRANSPORT)
        );
        assert_eq!(r.met_by("otp"), None);

        let r = asked(Comparison::Better, &[PASSWORD_PROTECTED_TRANSPORT]);
        assert!(r.feasible());
        assert_eq!(r.acr_values(), "casa passkey otp fido2");
        assert_eq!(r.met_by("simple_password_auth"), None);
        assert_eq!(r.met_by("passkey").as_deref(), Some("passkey"));
    }

    #[test]
    fn comparisons_read() {
        assert_eq!(Comparison::parse(None), Some(Comparison::Exact));
        assert_eq!(Comparison::parse(Some("better")), Some(Comparison::Better));
        assert_eq!(Comparison::parse(Some("EXACT")), None);
    }
}
