//! Who may call the config API: a bearer token (RFC 6750 §2.1) issued by this server's
//! auth-server, live, holding one of the scopes an operation accepts. Janssen's
//! jans-config-api lists, per operation, its granular scope
//! (`https://jans.io/oauth/config/openid/clients.readonly`), the resource's `.admin` scope
//! and the super scopes (`https://jans.io/oauth/config/read-all`, `write-all`,
//! `delete-all`): any one of them is enough. Refusals are RFC 6750 §3's, in Janssen's
//! `ApiError` form: no token, 401 with a bare `Bearer` challenge; a token that is not live,
//! 401 `invalid_token`; none of the scopes, 403 `insufficient_scope` naming them.

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::request::Request;
use crate::services::{Bearer, Services};

/// The realm named in challenges.
const REALM: &str = "jans-config-api";

/// The prefix of Janssen's config API scopes.
pub const SCOPE_PREFIX: &str = "https://jans.io/oauth/config/";
/// Every read (Janssen's super scope).
pub const READ_ALL: &str = "https://jans.io/oauth/config/read-all";
/// Every write.
pub const WRITE_ALL: &str = "https://jans.io/oauth/config/write-all";
/// Every delete.
pub const DELETE_ALL: &str = "https://jans.io/oauth/config/delete-all";

/// A caller whose token was accepted: the token as introspection describes it.
pub type Caller = crate::services::ActiveToken;

/// The caller of `req`, when its token is live and holds one of `any_of`.
pub async fn authorize(
    services: &Services,
    req: &Request,
    any_of: &[&str],
    ctx: &Ctx,
) -> Result<Caller, Error> {
    let caller = match services.bearer(req, ctx).await? {
        Bearer::Missing => {
            return Err(AdminError::bearer(
                401,
                format!("Bearer realm=\"{REALM}\""),
                "a bearer token is required",
            )
            .into());
        }
        Bearer::Inactive => {
            return Err(AdminError::bearer(
                401,
                format!("Bearer realm=\"{REALM}\", error=\"invalid_token\""),
                "the bearer token is not active",
            )
            .into());
        }
        Bearer::Active(caller) => caller,
    };
    if !caller.scopes.iter().any(|s| any_of.contains(&s.as_str())) {
        let wanted = any_of.join(" ");
        return Err(AdminError::bearer(
            403,
            format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{wanted}\""),
            format!("the token needs one of the scopes {wanted}"),
        )
        .into());
    }
    Ok(caller)
}
