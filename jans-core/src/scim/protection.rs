//! Who may call the SCIM resource endpoints (issue 13 item 9): a bearer token (RFC 6750
//! §2.1) issued by this server's auth-server, live, holding the Janssen scope the endpoint
//! needs. Refusals are RFC 6750 §3's: no token, 401 with a bare `Bearer` challenge; a token
//! that is not live, 401 `invalid_token`; a scope missing, 403 `insufficient_scope` naming
//! it, each in SCIM's error form.

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::scim::ScimError;
use crate::request::Request;
use crate::services::Services;

/// The realm named in challenges.
const REALM: &str = "jans-scim";

/// A caller whose token was accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The client the token was issued to.
    pub client_id: String,
    /// The token's subject (a user's `inum`), when it has one.
    pub subject: Option<String>,
    /// The scopes the token holds.
    pub scopes: Vec<String>,
}

/// The token of an `Authorization: Bearer` header: one non-empty token68 (RFC 6750 §2.1).
fn bearer(req: &Request) -> Option<&str> {
    req.bearer().filter(|t| !t.is_empty() && !t.contains(' '))
}

/// The caller of `req`, when its token is live and holds `scope`.
pub async fn authorize(
    services: &Services,
    req: &Request,
    scope: &str,
    ctx: &Ctx,
) -> Result<Caller, Error> {
    let Some(token) = bearer(req) else {
        return Err(ScimError::bearer(
            401,
            format!("Bearer realm=\"{REALM}\""),
            "a bearer token is required",
        )
        .into());
    };
    let tokens = services
        .bearer_tokens()
        .ok_or_else(|| Error::Internal("no auth-server to judge bearer tokens".into()))?;
    let state = tokens.introspect(token, ctx).await?;
    let get = |k: &str| state.get(k).and_then(serde_json::Value::as_str);
    if state.get("active").and_then(serde_json::Value::as_bool) != Some(true) {
        return Err(ScimError::bearer(
            401,
            format!("Bearer realm=\"{REALM}\", error=\"invalid_token\""),
            "the bearer token is not active",
        )
        .into());
    }
    let scopes: Vec<String> = get("scope")
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if !scopes.iter().any(|s| s == scope) {
        return Err(ScimError::bearer(
            403,
            format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\""),
            format!("the token needs the scope {scope}"),
        )
        .into());
    }
    Ok(Caller {
        client_id: get("client_id").unwrap_or_default().to_owned(),
        subject: get("sub").map(str::to_owned),
        scopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Method, ScimEndpoint};

    #[test]
    fn bearer_header() {
        let with = |h: Option<&str>| {
            let mut r = Request::new(ScimEndpoint::Schemas, Method::Get);
            r.authorization = h.map(str::to_owned);
            bearer(&r).map(str::to_owned)
        };
        assert_eq!(with(Some("Bearer abc")).as_deref(), Some("abc"));
        assert_eq!(with(Some("bearer  abc ")).as_deref(), Some("abc"));
        assert_eq!(with(Some("Basic abc")), None);
        assert_eq!(with(Some("Bearer")), None);
        assert_eq!(with(Some("Bearer a b")), None);
        assert_eq!(with(None), None);
    }
}
