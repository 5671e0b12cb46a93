//! The config API's path table: Janssen's jans-config-api paths to [`AdminEndpoint`]s and
//! back.

use crate::request::AdminEndpoint;

/// Path prefix of the config API (Janssen's `jans-config-api` application, `api/v1`).
pub const ADMIN_PREFIX: &str = "/jans-config-api/api/v1";

/// The paths served.
pub const EXACT: [(&str, AdminEndpoint); 5] = [
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
];

/// The endpoint served at `path`.
pub fn from_path(path: &str) -> Option<AdminEndpoint> {
    EXACT
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, e)| e.clone())
}

/// The path `endpoint` is served at.
pub fn path(endpoint: &AdminEndpoint) -> String {
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
        assert_eq!(from_path("/jans-config-api/api/v1/health/"), None);
        assert_eq!(from_path("/jans-config-api/api/v1"), None);
    }
}
