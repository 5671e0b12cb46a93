//! The config API's path table: Janssen's jans-config-api paths to [`AdminEndpoint`]s and
//! back.

use crate::request::{AdminEndpoint, Method};

use super::operations::Operation;

/// Path prefix of the config API (Janssen's `jans-config-api` application, `api/v1`).
pub const ADMIN_PREFIX: &str = "/jans-config-api/api/v1";

/// The paths served.
pub const EXACT: [(&str, AdminEndpoint); 23] = [
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
    (
        "/jans-config-api/api/v1/openapi.json",
        AdminEndpoint::OpenApi,
    ),
    ("/jans-config-api/api/v1/scopes", AdminEndpoint::Scopes),
    (
        "/jans-config-api/api/v1/jans-auth-server/config",
        AdminEndpoint::AuthConfig,
    ),
    (
        "/jans-config-api/api/v1/openid/clients",
        AdminEndpoint::Clients,
    ),
    (
        "/jans-config-api/api/v1/mgt/configuser",
        AdminEndpoint::Users,
    ),
    ("/jans-config-api/api/v1/config/jwks", AdminEndpoint::Jwks),
    (
        "/jans-config-api/api/v1/config/jwks/rotate",
        AdminEndpoint::JwksRotate,
    ),
    ("/jans-config-api/api/v1/acrs", AdminEndpoint::Acrs),
    (
        "/jans-config-api/api/v1/attributes",
        AdminEndpoint::Attributes,
    ),
    (
        "/jans-config-api/api/v1/jans-auth-server/session",
        AdminEndpoint::Sessions,
    ),
    (
        "/jans-config-api/api/v1/jans-auth-server/session/search",
        AdminEndpoint::SessionSearch,
    ),
    (
        "/jans-config-api/api/v1/health/service-status",
        AdminEndpoint::ServiceStatus,
    ),
    ("/jans-config-api/api/v1/logging", AdminEndpoint::Logging),
    ("/jans-config-api/api/v1/audit", AdminEndpoint::Audit),
    ("/jans-config-api/api/v1/org", AdminEndpoint::Org),
    ("/jans-config-api/api/v1/stat", AdminEndpoint::Stat),
    (
        "/jans-config-api/api/v1/token/search",
        AdminEndpoint::TokenSearch,
    ),
    (
        "/jans-config-api/api/v1/uma/resources",
        AdminEndpoint::UmaResources,
    ),
];

/// The paths with an id after them (`{prefix}/{id}`), as a host routes them.
pub const WITH_ID: [&str; 13] = [
    "/jans-config-api/api/v1/scopes",
    "/jans-config-api/api/v1/openid/clients",
    "/jans-config-api/api/v1/mgt/configuser",
    "/jans-config-api/api/v1/config/jwks",
    "/jans-config-api/api/v1/clients/authorizations",
    "/jans-config-api/api/v1/jans-auth-server/session/sid",
    "/jans-config-api/api/v1/jans-auth-server/session/user",
    "/jans-config-api/api/v1/attributes",
    "/jans-config-api/api/v1/token/tknCde",
    "/jans-config-api/api/v1/token/client",
    "/jans-config-api/api/v1/token/revoke",
    "/jans-config-api/api/v1/uma/resources",
    "/jans-config-api/api/v1/uma/resources/clientId",
];

/// The paths with three ids after them (`{prefix}/{a}/{b}/{c}`), as a host routes them.
pub const WITH_THREE_IDS: [&str; 1] = ["/jans-config-api/api/v1/clients/authorizations"];

/// The endpoint of one member of the collection served at `WITH_ID[i]`.
fn member(collection: &str, id: String) -> Option<AdminEndpoint> {
    match collection {
        "/jans-config-api/api/v1/scopes" => Some(AdminEndpoint::Scope(id)),
        "/jans-config-api/api/v1/openid/clients" => Some(AdminEndpoint::Client(id)),
        "/jans-config-api/api/v1/mgt/configuser" => Some(AdminEndpoint::User(id)),
        "/jans-config-api/api/v1/config/jwks" => Some(AdminEndpoint::JwksKey(id)),
        "/jans-config-api/api/v1/clients/authorizations" => {
            Some(AdminEndpoint::ClientAuthorizations(id))
        }
        "/jans-config-api/api/v1/jans-auth-server/session/sid" => Some(AdminEndpoint::Session(id)),
        "/jans-config-api/api/v1/attributes" => Some(AdminEndpoint::Attribute(id)),
        "/jans-config-api/api/v1/token/tknCde" => Some(AdminEndpoint::Token(id)),
        "/jans-config-api/api/v1/token/client" => Some(AdminEndpoint::ClientTokens(id)),
        "/jans-config-api/api/v1/token/revoke" => Some(AdminEndpoint::TokenRevoke(id)),
        "/jans-config-api/api/v1/uma/resources" => Some(AdminEndpoint::UmaResource(id)),
        "/jans-config-api/api/v1/uma/resources/clientId" => {
            Some(AdminEndpoint::ClientUmaResources(id))
        }
        "/jans-config-api/api/v1/jans-auth-server/session/user" => {
            Some(AdminEndpoint::UserSessions(id))
        }
        _ => None,
    }
}

/// The endpoint served at `path`.
pub fn from_path(path: &str) -> Option<AdminEndpoint> {
    if let Some((_, e)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some(e.clone());
    }
    if let Some(rest) = path.strip_prefix("/jans-config-api/api/v1/clients/authorizations/")
        && let [user, client, username] = rest.split('/').collect::<Vec<_>>()[..]
        && ![user, client, username].contains(&"")
    {
        return Some(AdminEndpoint::ClientAuthorization {
            user: user.to_owned(),
            client: client.to_owned(),
            username: username.to_owned(),
        });
    }
    WITH_ID.iter().find_map(|collection| {
        let id = path.strip_prefix(collection)?.strip_prefix('/')?;
        if id.is_empty() || id.contains('/') {
            return None;
        }
        member(collection, id.to_owned())
    })
}

/// The path `endpoint` is served at.
pub fn path(endpoint: &AdminEndpoint) -> String {
    match endpoint {
        AdminEndpoint::Scope(id) => return format!("{ADMIN_PREFIX}/scopes/{id}"),
        AdminEndpoint::Client(id) => return format!("{ADMIN_PREFIX}/openid/clients/{id}"),
        AdminEndpoint::User(id) => return format!("{ADMIN_PREFIX}/mgt/configuser/{id}"),
        AdminEndpoint::JwksKey(id) => return format!("{ADMIN_PREFIX}/config/jwks/{id}"),
        AdminEndpoint::Attribute(id) => return format!("{ADMIN_PREFIX}/attributes/{id}"),
        AdminEndpoint::Token(id) => return format!("{ADMIN_PREFIX}/token/tknCde/{id}"),
        AdminEndpoint::ClientTokens(id) => return format!("{ADMIN_PREFIX}/token/client/{id}"),
        AdminEndpoint::TokenRevoke(id) => return format!("{ADMIN_PREFIX}/token/revoke/{id}"),
        AdminEndpoint::UmaResource(id) => return format!("{ADMIN_PREFIX}/uma/resources/{id}"),
        AdminEndpoint::ClientUmaResources(id) => {
            return format!("{ADMIN_PREFIX}/uma/resources/clientId/{id}");
        }
        AdminEndpoint::Session(id) => {
            return format!("{ADMIN_PREFIX}/jans-auth-server/session/sid/{id}");
        }
        AdminEndpoint::UserSessions(id) => {
            return format!("{ADMIN_PREFIX}/jans-auth-server/session/user/{id}");
        }
        AdminEndpoint::ClientAuthorizations(id) => {
            return format!("{ADMIN_PREFIX}/clients/authorizations/{id}");
        }
        AdminEndpoint::ClientAuthorization {
            user,
            client,
            username,
        } => return format!("{ADMIN_PREFIX}/clients/authorizations/{user}/{client}/{username}"),
        _ => {}
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
        AdminEndpoint::OpenApi => "admin_openapi",
        AdminEndpoint::AuthConfig => "admin_auth_config",
        AdminEndpoint::Clients => "admin_clients",
        AdminEndpoint::Client(_) => "admin_client",
        AdminEndpoint::Users => "admin_users",
        AdminEndpoint::User(_) => "admin_user",
        AdminEndpoint::Jwks => "admin_jwks",
        AdminEndpoint::JwksRotate => "admin_jwks_rotate",
        AdminEndpoint::JwksKey(_) => "admin_jwks_key",
        AdminEndpoint::Acrs => "admin_acrs",
        AdminEndpoint::Attributes => "admin_attributes",
        AdminEndpoint::Attribute(_) => "admin_attribute",
        AdminEndpoint::Sessions | AdminEndpoint::SessionSearch => "admin_sessions",
        AdminEndpoint::Session(_) | AdminEndpoint::UserSessions(_) => "admin_session",
        AdminEndpoint::ClientAuthorizations(_) => "admin_client_authorizations",
        AdminEndpoint::ClientAuthorization { .. } => "admin_client_authorization",
        AdminEndpoint::ServiceStatus => "admin_service_status",
        AdminEndpoint::Logging => "admin_logging",
        AdminEndpoint::Audit => "admin_audit",
        AdminEndpoint::Org => "admin_org",
        AdminEndpoint::Stat => "admin_stat",
        AdminEndpoint::TokenSearch | AdminEndpoint::ClientTokens(_) => "admin_tokens",
        AdminEndpoint::Token(_) | AdminEndpoint::TokenRevoke(_) => "admin_token",
        AdminEndpoint::UmaResources | AdminEndpoint::ClientUmaResources(_) => "admin_uma_resources",
        AdminEndpoint::UmaResource(_) => "admin_uma_resource",
    }
}

/// The path template `endpoint` is served at (`{inum}` for its id).
pub fn template(endpoint: &AdminEndpoint) -> String {
    match endpoint {
        AdminEndpoint::Scope(_) => format!("{ADMIN_PREFIX}/scopes/{{inum}}"),
        AdminEndpoint::Client(_) => format!("{ADMIN_PREFIX}/openid/clients/{{inum}}"),
        AdminEndpoint::User(_) => format!("{ADMIN_PREFIX}/mgt/configuser/{{inum}}"),
        AdminEndpoint::JwksKey(_) => format!("{ADMIN_PREFIX}/config/jwks/{{kid}}"),
        AdminEndpoint::ClientAuthorizations(_) => {
            format!("{ADMIN_PREFIX}/clients/authorizations/{{userId}}")
        }
        AdminEndpoint::Attribute(_) => format!("{ADMIN_PREFIX}/attributes/{{inum}}"),
        AdminEndpoint::Token(_) => format!("{ADMIN_PREFIX}/token/tknCde/{{tknCde}}"),
        AdminEndpoint::ClientTokens(_) => format!("{ADMIN_PREFIX}/token/client/{{clientId}}"),
        AdminEndpoint::TokenRevoke(_) => format!("{ADMIN_PREFIX}/token/revoke/{{tknCde}}"),
        AdminEndpoint::UmaResource(_) => format!("{ADMIN_PREFIX}/uma/resources/{{id}}"),
        AdminEndpoint::ClientUmaResources(_) => {
            format!("{ADMIN_PREFIX}/uma/resources/clientId/{{clientId}}")
        }
        AdminEndpoint::Session(_) => format!("{ADMIN_PREFIX}/jans-auth-server/session/sid/{{sid}}"),
        AdminEndpoint::UserSessions(_) => {
            format!("{ADMIN_PREFIX}/jans-auth-server/session/user/{{userDn}}")
        }
        AdminEndpoint::ClientAuthorization { .. } => {
            format!("{ADMIN_PREFIX}/clients/authorizations/{{userId}}/{{clientId}}/{{username}}")
        }
        other => path(other),
    }
}

/// The operation `method` on `endpoint`, if served.
pub fn find(endpoint: &AdminEndpoint, method: Method) -> Option<&'static Operation> {
    let path = template(endpoint);
    super::operations::all().find(|o| o.path == path && o.method == method)
}

/// The methods `endpoint` answers, for `Allow`.
pub fn allowed(endpoint: &AdminEndpoint) -> Vec<&'static str> {
    let path = template(endpoint);
    super::operations::all()
        .filter(|o| o.path == path)
        .map(|o| o.method.as_str())
        .collect()
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
        let client = AdminEndpoint::Client("c-1".into());
        assert_eq!(from_path(&path(&client)), Some(client));
        assert_eq!(
            from_path("/jans-config-api/api/v1/openid/clients/a/b"),
            None
        );
        assert_eq!(from_path("/jans-config-api/api/v1/openid/x"), None);
        assert_eq!(from_path("/jans-config-api/api/v1/scopes/a/b"), None);
        assert_eq!(from_path("/jans-config-api/api/v1/scopes/"), None);
        assert_eq!(from_path("/jans-config-api/api/v1/health/"), None);
        assert_eq!(from_path("/jans-config-api/api/v1"), None);
    }
}
