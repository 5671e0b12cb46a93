//! The auth-server's path table: Janssen's paths (DESIGN.md §3) to [`AuthEndpoint`]s and
//! back, and the label each endpoint carries in metrics and logs.

use crate::request::AuthEndpoint;

/// Path prefix of the auth-server's REST endpoints.
pub const AUTH_PREFIX: &str = "/jans-auth/restv1";

/// The check-session iframe (OIDC Session Management 1.0 §3.1).
pub const CHECK_SESSION_PATH: &str = "/jans-auth/opiframe.htm";

/// Where retired keys are served, one per `kid` below it.
pub const JWKS_ARCHIVED_PREFIX: &str = "/jans-auth/restv1/jwks/archived/";

/// Longest `kid` accepted in a path.
const MAX_KID_LEN: usize = 256;

/// Every path served as is (the archived keys are served under [`JWKS_ARCHIVED_PREFIX`]).
pub const EXACT: [(&str, AuthEndpoint); 23] = [
    ("/.well-known/openid-configuration", AuthEndpoint::Discovery),
    (
        "/.well-known/jans-configuration",
        AuthEndpoint::JansConfiguration,
    ),
    ("/.well-known/webfinger", AuthEndpoint::Webfinger),
    (CHECK_SESSION_PATH, AuthEndpoint::CheckSession),
    ("/jans-auth/restv1/jwks", AuthEndpoint::Jwks),
    ("/jans-auth/restv1/authorize", AuthEndpoint::Authorize),
    ("/jans-auth/restv1/token", AuthEndpoint::Token),
    (
        "/jans-auth/restv1/introspection",
        AuthEndpoint::Introspection,
    ),
    ("/jans-auth/restv1/userinfo", AuthEndpoint::Userinfo),
    ("/jans-auth/restv1/end_session", AuthEndpoint::EndSession),
    ("/jans-auth/restv1/register", AuthEndpoint::Register),
    ("/jans-auth/restv1/revoke", AuthEndpoint::Revocation),
    ("/jans-auth/restv1/par", AuthEndpoint::Par),
    (
        "/jans-auth/restv1/session_status",
        AuthEndpoint::SessionStatus,
    ),
    ("/jans-auth/restv1/clientinfo", AuthEndpoint::ClientInfo),
    (
        "/jans-auth/restv1/global-token-revocation",
        AuthEndpoint::GlobalTokenRevocation,
    ),
    (
        "/jans-auth/restv1/device_authorization",
        AuthEndpoint::DeviceAuthorization,
    ),
    (
        crate::auth::oauth::device::VERIFICATION_PATH,
        AuthEndpoint::DeviceVerification,
    ),
    (
        "/jans-auth/restv1/bc-authorize",
        AuthEndpoint::BackchannelAuthentication,
    ),
    (
        crate::auth::oauth::ciba::APPROVAL_PATH,
        AuthEndpoint::CibaApproval,
    ),
    ("/jans-auth/restv1/ssa", AuthEndpoint::Ssa),
    (
        "/jans-auth/restv1/ssa/validation",
        AuthEndpoint::SsaValidation,
    ),
    ("/jans-auth/restv1/ssa/jwt", AuthEndpoint::SsaJwt),
];

/// The endpoint served at `path`; `None` for paths the auth-server does not serve.
pub fn from_path(path: &str) -> Option<AuthEndpoint> {
    if let Some((_, e)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some(e.clone());
    }
    let kid = path.strip_prefix(JWKS_ARCHIVED_PREFIX)?;
    let ok = !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| AuthEndpoint::JwksArchived(kid.to_owned()))
}

/// The path `endpoint` is served at (relative to the issuer).
pub fn path(endpoint: &AuthEndpoint) -> String {
    if let AuthEndpoint::JwksArchived(kid) = endpoint {
        return format!("{JWKS_ARCHIVED_PREFIX}{kid}");
    }
    EXACT
        .iter()
        .find(|(_, e)| e == endpoint)
        .map(|(p, _)| (*p).to_owned())
        .unwrap_or_default()
}

/// Whether a browser visits `endpoint`, so an error it cannot send back to the client is
/// shown to the user as a page (RFC 6749 §4.1.2.1; OIDC RP-Initiated Logout 1.0 §2).
pub fn shows_errors_as_pages(endpoint: &AuthEndpoint) -> bool {
    matches!(
        endpoint,
        AuthEndpoint::Authorize
            | AuthEndpoint::EndSession
            | AuthEndpoint::DeviceVerification
            | AuthEndpoint::CibaApproval
    )
}

/// A short stable label for metrics and logs.
pub fn label(endpoint: &AuthEndpoint) -> &'static str {
    match endpoint {
        AuthEndpoint::Discovery => "discovery",
        AuthEndpoint::JansConfiguration => "jans_configuration",
        AuthEndpoint::Par => "par",
        AuthEndpoint::SessionStatus => "session_status",
        AuthEndpoint::DeviceAuthorization => "device_authorization",
        AuthEndpoint::GlobalTokenRevocation => "global_token_revocation",
        AuthEndpoint::ClientInfo => "clientinfo",
        AuthEndpoint::DeviceVerification => "device_verification",
        AuthEndpoint::BackchannelAuthentication => "bc_authorize",
        AuthEndpoint::CibaApproval => "ciba_approval",
        AuthEndpoint::Ssa => "ssa",
        AuthEndpoint::SsaValidation => "ssa_validation",
        AuthEndpoint::SsaJwt => "ssa_jwt",
        AuthEndpoint::Webfinger => "webfinger",
        AuthEndpoint::Jwks => "jwks",
        AuthEndpoint::JwksArchived(_) => "jwks_archived",
        AuthEndpoint::Authorize => "authorize",
        AuthEndpoint::Token => "token",
        AuthEndpoint::Introspection => "introspection",
        AuthEndpoint::Userinfo => "userinfo",
        AuthEndpoint::EndSession => "end_session",
        AuthEndpoint::Register => "register",
        AuthEndpoint::Revocation => "revocation",
        AuthEndpoint::CheckSession => "check_session",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        for e in [
            AuthEndpoint::Discovery,
            AuthEndpoint::JansConfiguration,
            AuthEndpoint::Par,
            AuthEndpoint::SessionStatus,
            AuthEndpoint::DeviceAuthorization,
            AuthEndpoint::DeviceVerification,
            AuthEndpoint::BackchannelAuthentication,
            AuthEndpoint::CibaApproval,
            AuthEndpoint::Ssa,
            AuthEndpoint::SsaValidation,
            AuthEndpoint::SsaJwt,
            AuthEndpoint::GlobalTokenRevocation,
            AuthEndpoint::ClientInfo,
            AuthEndpoint::Webfinger,
            AuthEndpoint::Jwks,
            AuthEndpoint::Authorize,
            AuthEndpoint::JwksArchived("abc_-1".into()),
            AuthEndpoint::Token,
            AuthEndpoint::Introspection,
            AuthEndpoint::Revocation,
            AuthEndpoint::Userinfo,
            AuthEndpoint::EndSession,
            AuthEndpoint::Register,
            AuthEndpoint::CheckSession,
        ] {
            assert_eq!(from_path(&path(&e)), Some(e));
        }
        assert_eq!(from_path("/jans-auth/restv1/jwks/archived/"), None);
        assert_eq!(from_path("/jans-auth/restv1/jwks/archived/a/b"), None);
        assert_eq!(from_path("/jans-auth/restv1/nope"), None);
        assert_eq!(from_path("/token"), None);
    }
}
