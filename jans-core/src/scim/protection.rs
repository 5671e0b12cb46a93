//! Who may call the SCIM resource endpoints (issue 13 item 9): a bearer token (RFC 6750
//! §2.1) issued by this server's auth-server, live, holding the Janssen scope the endpoint
//! needs. Refusals are RFC 6750 §3's: no token, 401 with a bare `Bearer` challenge; a token
//! that is not live, 401 `invalid_token`; a scope missing, 403 `insufficient_scope` naming
//! it, each in SCIM's error form.

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::scim::ScimError;
use crate::request::Request;
use crate::services::{Bearer, Services};

/// The realm named in challenges.
const REALM: &str = "jans-scim";

/// A caller whose token was accepted: the token as introspection describes it.
pub type Caller = crate::services::ActiveToken;

/// The caller of `req`, when its token is live and holds `scope`.
pub async fn authorize(
    services: &Services,
    req: &Request,
    scope: &str,
    ctx: &Ctx,
) -> Result<Caller, Error> {
    let caller = match services.bearer(req, ctx).await? {
        Bearer::Missing => {
            return Err(ScimError::bearer(
                401,
                format!("Bearer realm=\"{REALM}\""),
                "a bearer token is required",
            )
            .into());
        }
        Bearer::Inactive => {
            return Err(ScimError::bearer(
                401,
                format!("Bearer realm=\"{REALM}\", error=\"invalid_token\""),
                "the bearer token is not active",
            )
            .into());
        }
        Bearer::Active(caller) => caller,
    };
    if !caller.scopes.iter().any(|s| s == scope) {
        return Err(ScimError::bearer(
            403,
            format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\""),
            format!("the token needs the scope {scope}"),
        )
        .into());
    }
    Ok(caller)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Method, ScimEndpoint};

    /// Headers that carry no token are refused before any lookup (RFC 6750 §2.1).
    #[test]
    fn bearer_header() {
        let engine = crate::Engine::builder(crate::Config::default())
            .master_key([7; 32])
            .build()
            .expect("engine");
        let ctx = Ctx::new(
            1_700_000_000,
            std::sync::Arc::new(crate::testing::SeededRandom::new(1)),
            "t",
        );
        let judged = |h: Option<&str>| {
            let mut r = Request::new(ScimEndpoint::Schemas, Method::Get);
            r.authorization = h.map(str::to_owned);
            crate::testing::block_on(engine.services().bearer(&r, &ctx)).ok()
        };
        for h in [Some("Basic abc"), Some("Bearer"), Some("Bearer a b"), None] {
            assert_eq!(judged(h), Some(Bearer::Missing), "{h:?}");
        }
        // A token, looked up: unknown here.
        assert_eq!(judged(Some("bearer  abc ")), Some(Bearer::Inactive));
    }
}
