//! The config API's path table: Janssen's jans-config-api paths to [`AdminEndpoint`]s and
//! back.

use crate::request::AdminEndpoint;

/// Path prefix of the config API (Janssen's `jans-config-api` application, `api/v1`).
pub const ADMIN_PREFIX: &str = "/jans-config-api/api/v1";

/// The paths served.
pub const EXACT: [(&str, AdminEndpoint); 8] = [
    ("/jans-config-api/api/v1/health", AdminEndpoint::Health),
    (
        "/jans-config-api/api/v1/health/live",
        AdminEndpoint::HealthLive,
    ),
    (
        "/jans-config-api/api/v1/health/ready",
        AdminEndpoint::HealthReady,
    ),
    (
        "/jans-config-api/api/v1/health/app-version",
        AdminEndpoint::AppVersion,
    ),
    (
        "/jans-config-api/api/v1/jans-auth-server/health",
        AdminEndpoint::AuthServerHealth,
    ),
    ("/jans-config-api/api/v1/scopes", AdminEndpoint::Scopes),
    ("/jans-config-api/api/v1/audit", AdminEndpoint::Audit),
    ("/jans-config-api/api/v1/org", AdminEndpoint::Org),
];

/// The paths with an id after them (`{prefix}/{id}`), as a host routes them.
pub const WITH_ID: [&str; 1] = ["/jans-config-api/api/v1/scopes"];

/// The endpoint served at `path`.
pub fn from_path(path: &str) -> Option<AdminEndpoint> {
    if let Some((_, e)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some(e.clone());
    }
    let rest = path.strip_prefix(ADMIN_PREFIX)?.strip_prefix('/')?;
    let (collection, id) = rest.split_once('/')?;
    if id.is_empty() || id.contains('/') {
        return None;
    }
    match collection {
        "scopes" => Some(AdminEndpoint::Scope(id.to_owned())),
        _ => None,
    }
}

/// The path `endpoint` is served at.
pub fn path(endpoint: &AdminEndpoint) -> String {
    if let AdminEndpoint::Scope(id) = endpoint {
        return format!("{ADMIN_PREFIX}/scopes/{id}");
    }
    EXACT
        .iter()
        .find(|(_, e)| e == endpoint)
        .map(|(p, _)| (*p).to_owned())
        .unwrap_or_else(|| ADMIN_PREFIX.to_owned())
}

/// A short stable label for metrics and logs.
pub fn label(endpoint: &AdminEndpoint) -> &'static str {
    match endpoint {
        AdminEndpoint::Health => "admin_health",
        AdminEndpoint::HealthLive => "admin_health_live",
        AdminEndpoint::HealthReady => "admin_health_ready",
        AdminEndpoint::AppVersion => "admin_app_version",
        AdminEndpoint::AuthServerHealth => "admin_auth_server_health",
        AdminEndpoint::Scopes => "admin_scopes",
        AdminEndpoint::Scope(_) => "admin_scope",
        AdminEndpoint::Audit => "admin_audit",
        AdminEndpoint::Org => "admin_org",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_round_trips() {
        for (p, e) in &EXACT {
            assert_eq!(from_path(p).as_ref(), Some(e));
            assert_eq!(path(e), *p);
        }
        let one = AdminEndpoint::Scope("F0C4".into());
        assert_eq!(from_path(&path(&one)), Some(one));
        assert_eq!(from_path("/jans-config-api/api/v1/scopes/a/b"), None);
        assert_eq!(from_path("/jans-config-api/api/v1/scopes/"), None);
        assert_eq!(from_path("/jans-config-api/api/v1/health/"), None);
        assert_eq!(from_path("/jans-config-api/api/v1"), None);
    }
}
