//! WebFinger issuer discovery (OIDC Discovery 1.0 §2, RFC 7033): for an account or URL
//! resource on this host, the `http://openid.net/specs/connect/1.0/issuer` link is the
//! issuer.

use crate::auth::AuthServer;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::request::Request;
use crate::response::Response;

/// OIDC Discovery §2 link relation.
pub const ISSUER_REL: &str = "http://openid.net/specs/connect/1.0/issuer";

/// The host (and port) a resource names: `acct:user@host`, `https://host/...`, or
/// `user@host` (OIDC Discovery §2.1 normalization).
fn resource_host(resource: &str) -> Option<String> {
    if let Some(acct) = resource.strip_prefix("acct:") {
        return acct.rsplit_once('@').map(|(_, h)| h.to_ascii_lowercase());
    }
    if let Ok(u) = url::Url::parse(resource)
        && matches!(u.scheme(), "http" | "https")
    {
        let host = u.host_str()?.to_ascii_lowercase();
        return Some(match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        });
    }
    resource
        .rsplit_once('@')
        .map(|(_, h)| h.to_ascii_lowercase())
}

/// `GET /.well-known/webfinger?resource=..&rel=..`.
pub async fn handle(auth: &AuthServer, req: &Request, _ctx: &Ctx) -> Result<Response, Error> {
    let params = &req.query;
    let resource = params
        .get("resource")?
        .ok_or_else(|| OAuthError::invalid_request("resource is missing"))?;
    let issuer = auth.config().issuer.clone();
    let ours = url::Url::parse(&issuer).ok().and_then(|u| {
        let host = u.host_str()?.to_ascii_lowercase();
        Some(match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        })
    });
    let host = resource_host(resource);
    // RFC 7033 §4.2: a resource the server knows nothing about is 404.
    if host.is_none() || host != ours {
        return Ok(Response::error(OAuthError::new(
            ErrorCode::NotFound,
            "unknown resource",
        )));
    }
    // RFC 7033 §4.3: `rel` filters the links; several may be given.
    let rels: Vec<&str> = req
        .query
        .iter()
        .filter(|(k, _)| *k == "rel")
        .map(|(_, v)| v)
        .collect();
    let mut links = Vec::new();
    if rels.is_empty() || rels.contains(&ISSUER_REL) {
        links.push(serde_json::json!({"rel": ISSUER_REL, "href": issuer}));
    }
    let mut r = Response::json(serde_json::json!({"subject": resource, "links": links}));
    r.cache = crate::response::Cache::Public(3600);
    Ok(r.header("access-control-allow-origin", "*"))
}

#[cfg(test)]
mod tests {
    use super::resource_host;

    #[test]
    fn hosts() {
        assert_eq!(
            resource_host("acct:joe@Example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            resource_host("https://example.com:8443/joe").as_deref(),
            Some("example.com:8443")
        );
        assert_eq!(
            resource_host("joe@example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(resource_host("nothing"), None);
    }
}
