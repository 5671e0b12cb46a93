//! The UMA 2.0 server's path table: Janssen's paths (DESIGN.md §3) to [`UmaEndpoint`]s
//! and back.

use crate::request::UmaEndpoint;

/// The discovery document's well-known path (UMA 2.0 Grant §2).
pub const WELL_KNOWN: &str = "/.well-known/uma2-configuration";

/// Where resources are registered (Federated Authorization §3).
pub const RESOURCE_SET: &str = "/jans-auth/restv1/host/rsrc/resource_set";

/// Every path without an id, and its endpoint (the first path of an endpoint is its own).
pub const EXACT: [(&str, UmaEndpoint); 10] = [
    (
        "/jans-auth/restv1/uma2-configuration",
        UmaEndpoint::Configuration,
    ),
    (WELL_KNOWN, UmaEndpoint::Configuration),
    (RESOURCE_SET, UmaEndpoint::ResourceSets),
    (REQUESTS, UmaEndpoint::PermissionRequests),
    (PERMISSION, UmaEndpoint::Permission),
    (RPT_STATUS, UmaEndpoint::RptStatus),
    (GATHER_CLAIMS, UmaEndpoint::GatherClaims),
    (AUTHZEN_WELL_KNOWN, UmaEndpoint::AuthzenConfiguration),
    (EVALUATION, UmaEndpoint::Evaluation),
    (EVALUATIONS, UmaEndpoint::Evaluations),
];

/// The RPT endpoint: what an RPT grants (Federated Authorization §5).
pub const RPT_STATUS: &str = "/jans-auth/restv1/rpt/status";

/// The claims interaction endpoint: the browser's claims gathering (UMA 2.0 Grant §3.3.2).
pub const GATHER_CLAIMS: &str = "/jans-auth/restv1/uma/gather_claims";

/// AuthZEN's metadata (OpenID AuthZEN Authorization API 1.0 §13).
pub const AUTHZEN_WELL_KNOWN: &str = "/.well-known/authzen-configuration";

/// AuthZEN's access evaluation (§6).
pub const EVALUATION: &str = "/jans-auth/restv1/access/v1/evaluation";

/// AuthZEN's batch of evaluations (§7).
pub const EVALUATIONS: &str = "/jans-auth/restv1/access/v1/evaluations";

/// Where a resource owner's resource server lists and decides the permission requests
/// left to the owner (jans-rs's own: UMA leaves it to the server).
pub const REQUESTS: &str = "/jans-auth/restv1/host/rsrc/requests";

/// Where permission tickets are asked for (Federated Authorization §4).
pub const PERMISSION: &str = "/jans-auth/restv1/host/rsrc_pr";

/// The paths with an id after them (`{prefix}/{id}`), as a host routes them.
pub const WITH_ID: [&str; 2] = [RESOURCE_SET, REQUESTS];

/// The endpoint served at `path`.
pub fn from_path(path: &str) -> Option<UmaEndpoint> {
    if let Some((_, e)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some(e.clone());
    }
    let one = |prefix: &str| {
        let id = path.strip_prefix(prefix)?.strip_prefix('/')?;
        (!id.is_empty() && !id.contains('/')).then(|| id.to_owned())
    };
    one(RESOURCE_SET)
        .map(UmaEndpoint::ResourceSet)
        .or_else(|| one(REQUESTS).map(UmaEndpoint::PermissionRequest))
}

/// The path `endpoint` is served at (relative to the issuer).
pub fn path(endpoint: &UmaEndpoint) -> String {
    match endpoint {
        UmaEndpoint::ResourceSet(id) => format!("{RESOURCE_SET}/{id}"),
        UmaEndpoint::PermissionRequest(id) => format!("{REQUESTS}/{id}"),
        other => EXACT
            .iter()
            .find(|(_, e)| e == other)
            .map_or(RESOURCE_SET, |(p, _)| *p)
            .to_owned(),
    }
}

/// A short stable label for metrics and logs.
pub fn label(endpoint: &UmaEndpoint) -> &'static str {
    match endpoint {
        UmaEndpoint::Configuration => "uma_configuration",
        UmaEndpoint::ResourceSets => "uma_resource_sets",
        UmaEndpoint::ResourceSet(_) => "uma_resource_set",
        UmaEndpoint::Permission => "uma_permission",
        UmaEndpoint::RptStatus => "uma_rpt_status",
        UmaEndpoint::PermissionRequests => "uma_permission_requests",
        UmaEndpoint::PermissionRequest(_) => "uma_permission_request",
        UmaEndpoint::GatherClaims => "uma_gather_claims",
        UmaEndpoint::AuthzenConfiguration => "authzen_configuration",
        UmaEndpoint::Evaluation => "access_evaluation",
        UmaEndpoint::Evaluations => "access_evaluations",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        for (p, e) in EXACT {
            assert_eq!(from_path(p).as_ref(), Some(&e));
            assert_eq!(from_path(&path(&e)).as_ref(), Some(&e));
        }
        let one = UmaEndpoint::ResourceSet("r-1".into());
        assert_eq!(from_path(&path(&one)), Some(one));
        let req = UmaEndpoint::PermissionRequest("q-1".into());
        assert_eq!(from_path(&path(&req)), Some(req));
        assert_eq!(from_path(&format!("{RESOURCE_SET}/")), None);
        assert_eq!(from_path(&format!("{RESOURCE_SET}/a/b")), None);
    }
}
