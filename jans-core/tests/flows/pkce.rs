//! PKCE (RFC 7636) in every configuration that changes it: per-client `require_pkce`, the
//! server's `requirePkce`, `allowPkcePlain`, and a verifier sent for a code issued without
//! a challenge. One table, each row a whole authorize → login → consent → token run.

use jans_core::Config;

use super::authorize::{CB, VERIFIER, authorize, location, login_and_consent, q, redeem, rp};
use super::harness::*;

const S256_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// What a row expects.
#[derive(Debug)]
enum Expect {
    /// The authorization request itself is refused with this error.
    AuthorizeError(&'static str),
    /// A code is issued; its redemption answers this status (and error, for 400).
    Redeem(u16, Option<&'static str>),
}

struct Row {
    what: &'static str,
    require_pkce: bool,
    allow_pkce_plain: bool,
    client: serde_json::Value,
    /// (code_challenge, code_challenge_method) sent to the authorization endpoint.
    challenge: Option<(&'static str, Option<&'static str>)>,
    /// The code_verifier sent to the token endpoint.
    verifier: Option<&'static str>,
    expect: Expect,
}

fn run(row: &Row) {
    let config = Config {
        require_pkce: row.require_pkce,
        allow_pkce_plain: row.allow_pkce_plain,
        ..config()
    };
    let h = Harness::with(config, jans_core::repo::Stores::memory(), [7; 32]);
    h.add_user("alice");
    let c = rp(&h, row.client.clone());
    let mut p = vec![
        ("response_type", "code"),
        ("client_id", c.client.client_id.as_str()),
        ("redirect_uri", CB),
        ("scope", "openid profile"),
        ("state", "s"),
    ];
    if let Some((challenge, method)) = row.challenge {
        p.push(("code_challenge", challenge));
        if let Some(m) = method {
            p.push(("code_challenge_method", m));
        }
    }
    let start = authorize(&h, &p, None);
    match row.expect {
        Expect::AuthorizeError(error) => {
            let cb = location(&start);
            assert!(cb.starts_with(CB), "{}: {cb}", row.what);
            assert_eq!(q(&cb, "error").as_deref(), Some(error), "{}", row.what);
        }
        Expect::Redeem(status, error) => {
            let (cb, _) = login_and_consent(&h, &start);
            let code = q(&cb, "code").unwrap_or_else(|| panic!("{}: no code: {cb}", row.what));
            let r = match row.verifier {
                Some(v) => redeem(&h, &c, &code, v),
                None => h.token(
                    &[
                        ("grant_type", "authorization_code"),
                        ("code", &code),
                        ("redirect_uri", CB),
                    ],
                    Some(basic(&c)),
                ),
            };
            assert_eq!(r.status(), status, "{}: {:?}", row.what, r.body);
            if let Some(e) = error {
                assert_eq!(json(&r)["error"], e, "{}", row.what);
            }
        }
    }
}

#[test]
fn pkce_in_every_configuration() {
    let confidential = serde_json::json!({});
    let strict = serde_json::json!({"require_pkce": true});
    let rows = [
        Row {
            what: "a confidential client may skip PKCE",
            require_pkce: false,
            allow_pkce_plain: false,
            client: confidential.clone(),
            challenge: None,
            verifier: None,
            expect: Expect::Redeem(200, None),
        },
        Row {
            what: "a verifier for a code issued without a challenge is refused",
            require_pkce: false,
            allow_pkce_plain: false,
            client: confidential.clone(),
            challenge: None,
            verifier: Some(VERIFIER),
            expect: Expect::Redeem(400, Some("invalid_grant")),
        },
        Row {
            what: "S256 with the right verifier",
            require_pkce: false,
            allow_pkce_plain: false,
            client: confidential.clone(),
            challenge: Some((S256_CHALLENGE, Some("S256"))),
            verifier: Some(VERIFIER),
            expect: Expect::Redeem(200, None),
        },
        Row {
            what: "S256 with a wrong verifier",
            require_pkce: false,
            allow_pkce_plain: false,
            client: confidential.clone(),
            challenge: Some((S256_CHALLENGE, Some("S256"))),
            verifier: Some("wrong-verifier-wrong-verifier-wrong-verifier-1"),
            expect: Expect::Redeem(400, Some("invalid_grant")),
        },
        Row {
            what: "S256 with the verifier missing",
            require_pkce: false,
            allow_pkce_plain: false,
            client: confidential.clone(),
            challenge: Some((S256_CHALLENGE, Some("S256"))),
            verifier: None,
            expect: Expect::Redeem(400, Some("invalid_grant")),
        },
        Row {
            what: "per-client require_pkce refuses a request without a challenge",
            require_pkce: false,
            allow_pkce_plain: false,
            client: strict.clone(),
            challenge: None,
            verifier: None,
            expect: Expect::AuthorizeError("invalid_request"),
        },
        Row {
            what: "per-client require_pkce with S256",
            require_pkce: false,
            allow_pkce_plain: false,
            client: strict,
            challenge: Some((S256_CHALLENGE, Some("S256"))),
            verifier: Some(VERIFIER),
            expect: Expect::Redeem(200, None),
        },
        Row {
            what: "requirePkce refuses every client without a challenge",
            require_pkce: true,
            allow_pkce_plain: false,
            client: confidential.clone(),
            challenge: None,
            verifier: None,
            expect: Expect::AuthorizeError("invalid_request"),
        },
        Row {
            what: "requirePkce with S256",
            require_pkce: true,
            allow_pkce_plain: false,
            client: confidential.clone(),
            challenge: Some((S256_CHALLENGE, Some("S256"))),
            verifier: Some(VERIFIER),
            expect: Expect::Redeem(200, None),
        },
        Row {
            what: "plain is refused unless allowPkcePlain",
            require_pkce: false,
            allow_pkce_plain: false,
            client: confidential.clone(),
            challenge: Some((VERIFIER, Some("plain"))),
            verifier: Some(VERIFIER),
            expect: Expect::AuthorizeError("invalid_request"),
        },
        Row {
            what: "a challenge without a method means plain (RFC 7636 §4.3): refused by default",
            require_pkce: false,
            allow_pkce_plain: false,
            client: confidential.clone(),
            challenge: Some((VERIFIER, None)),
            verifier: Some(VERIFIER),
            expect: Expect::AuthorizeError("invalid_request"),
        },
        Row {
            what: "allowPkcePlain accepts plain with the same verifier",
            require_pkce: false,
            allow_pkce_plain: true,
            client: confidential.clone(),
            challenge: Some((VERIFIER, Some("plain"))),
            verifier: Some(VERIFIER),
            expect: Expect::Redeem(200, None),
        },
        Row {
            what: "allowPkcePlain, a challenge without a method, the same verifier",
            require_pkce: false,
            allow_pkce_plain: true,
            client: confidential.clone(),
            challenge: Some((VERIFIER, None)),
            verifier: Some(VERIFIER),
            expect: Expect::Redeem(200, None),
        },
        Row {
            what: "allowPkcePlain with another verifier",
            require_pkce: false,
            allow_pkce_plain: true,
            client: confidential,
            challenge: Some((VERIFIER, Some("plain"))),
            verifier: Some("another-verifier-another-verifier-another-v"),
            expect: Expect::Redeem(400, Some("invalid_grant")),
        },
    ];
    for row in &rows {
        run(row);
    }
}
