//! The scopes each config API operation accepts, any one enough (Janssen's
//! jans-config-api lists, per operation, its granular scope, the resource's `.admin` scope
//! and the super scopes), used by the operation table ([`super::operations`]).

use super::protection::{DELETE_ALL, READ_ALL, WRITE_ALL};

/// The scopes that may read the application's version (Janssen's `app-version.readonly`,
/// the health resource's `.admin` scope, or the super scope).
pub const APP_VERSION_SCOPES: [&str; 3] = [
    "https://jans.io/oauth/config/app-version.readonly",
    "https://jans.io/oauth/config/health.admin",
    READ_ALL,
];

/// The scopes that may read scopes (Janssen's `scopes.readonly`, and the write, admin and
/// super scopes, each of which reads too).
pub const SCOPES_READ: [&str; 5] = [
    "https://jans.io/oauth/config/scopes.readonly",
    "https://jans.io/oauth/config/scopes.write",
    "https://jans.io/oauth/config/scopes.admin",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may create and change scopes.
pub const SCOPES_WRITE: [&str; 3] = [
    "https://jans.io/oauth/config/scopes.write",
    "https://jans.io/oauth/config/scopes.admin",
    WRITE_ALL,
];

/// The scopes that may delete scopes.
pub const SCOPES_DELETE: [&str; 3] = [
    "https://jans.io/oauth/config/scopes.delete",
    "https://jans.io/oauth/config/scopes.admin",
    DELETE_ALL,
];

/// The scopes that may list clients (Janssen's list also takes `openid.readonly`; its
/// read of one client does not, which is kept).
pub const CLIENTS_LIST: [&str; 6] = [
    "https://jans.io/oauth/config/openid/clients.readonly",
    "https://jans.io/oauth/config/openid/clients.write",
    "https://jans.io/oauth/config/openid/openid.readonly",
    "https://jans.io/oauth/config/openid/clients.admin",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may read one client.
pub const CLIENTS_READ: [&str; 5] = [
    "https://jans.io/oauth/config/openid/clients.readonly",
    "https://jans.io/oauth/config/openid/clients.write",
    "https://jans.io/oauth/config/openid/clients.admin",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may create and change clients.
pub const CLIENTS_WRITE: [&str; 4] = [
    "https://jans.io/oauth/config/openid/clients.write",
    "https://jans.io/oauth/config/openid/openid.write",
    "https://jans.io/oauth/config/openid/clients.admin",
    WRITE_ALL,
];

/// The scopes that may delete clients.
pub const CLIENTS_DELETE: [&str; 4] = [
    "https://jans.io/oauth/config/openid/clients.delete",
    "https://jans.io/oauth/config/openid/openid.delete",
    "https://jans.io/oauth/config/openid/clients.admin",
    DELETE_ALL,
];

/// The scopes that may read people.
pub const USERS_READ: [&str; 5] = [
    "https://jans.io/oauth/config/user.readonly",
    "https://jans.io/oauth/config/user.write",
    "https://jans.io/oauth/config/user.admin",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may create and change people.
pub const USERS_WRITE: [&str; 3] = [
    "https://jans.io/oauth/config/user.write",
    "https://jans.io/oauth/config/user.admin",
    WRITE_ALL,
];

/// The scopes that may delete people.
pub const USERS_DELETE: [&str; 3] = [
    "https://jans.io/oauth/config/user.delete",
    "https://jans.io/oauth/config/user.admin",
    DELETE_ALL,
];

/// The scopes that may read the signing keys.
pub const JWKS_READ: [&str; 5] = [
    "https://jans.io/oauth/config/jwks.readonly",
    "https://jans.io/oauth/config/jwks.write",
    "https://jans.io/oauth/config/jwks.admin",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may rotate the signing keys.
pub const JWKS_WRITE: [&str; 3] = [
    "https://jans.io/oauth/config/jwks.write",
    "https://jans.io/oauth/config/jwks.admin",
    WRITE_ALL,
];

/// The scopes that may read which services run (Janssen's `data.readonly`, the health
/// resource's `.admin`, the super scope).
pub const SERVICE_STATUS: [&str; 3] = [
    "https://jans.io/oauth/config/data.readonly",
    "https://jans.io/oauth/config/health.admin",
    READ_ALL,
];

/// The scopes that may change how the server logs.
pub const LOGGING_WRITE: [&str; 3] = [
    "https://jans.io/oauth/config/logging.write",
    "https://jans.io/oauth/config/logging.admin",
    WRITE_ALL,
];

/// The scopes that may read the default authentication method.
pub const ACRS_READ: [&str; 5] = [
    "https://jans.io/oauth/config/acrs.readonly",
    "https://jans.io/oauth/config/acrs.write",
    "https://jans.io/oauth/config/acrs.admin",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may change the default authentication method.
pub const ACRS_WRITE: [&str; 3] = [
    "https://jans.io/oauth/config/acrs.write",
    "https://jans.io/oauth/config/acrs.admin",
    WRITE_ALL,
];

/// The scopes that may read the auth-server's configuration.
pub const PROPERTIES_READ: [&str; 5] = [
    "https://jans.io/oauth/jans-auth-server/config/properties.readonly",
    "https://jans.io/oauth/jans-auth-server/config/properties.write",
    "https://jans.io/oauth/jans-auth-server/config/properties.admin",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may change the auth-server's configuration.
pub const PROPERTIES_WRITE: [&str; 3] = [
    "https://jans.io/oauth/jans-auth-server/config/properties.write",
    "https://jans.io/oauth/jans-auth-server/config/properties.admin",
    WRITE_ALL,
];

/// The scopes that may read the audit log (Janssen guards it with the logging scopes).
pub const AUDIT_READ: [&str; 4] = [
    "https://jans.io/oauth/config/logging.readonly",
    "https://jans.io/oauth/config/logging.admin",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may read the organization.
pub const ORG_READ: [&str; 5] = [
    "https://jans.io/oauth/config/organization.readonly",
    "https://jans.io/oauth/config/organization.write",
    "https://jans.io/oauth/config/organization.admin",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may change the organization.
pub const ORG_WRITE: [&str; 3] = [
    "https://jans.io/oauth/config/organization.write",
    "https://jans.io/oauth/config/organization.admin",
    WRITE_ALL,
];

/// The scopes that may read a person's client authorizations (Janssen's
/// `https://jans.io/oauth/client/authorizations...`).
pub const CLIENT_AUTHZ_READ: [&str; 4] = [
    "https://jans.io/oauth/client/authorizations.readonly",
    "https://jans.io/oauth/client/authorizations.admin",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may revoke one.
pub const CLIENT_AUTHZ_DELETE: [&str; 3] = [
    "https://jans.io/oauth/client/authorizations.delete",
    "https://jans.io/oauth/client/authorizations.admin",
    DELETE_ALL,
];

/// The scopes that may read sessions (Janssen's
/// `https://jans.io/oauth/jans-auth-server/session...`).
pub const SESSIONS_READ: [&str; 4] = [
    "https://jans.io/oauth/jans-auth-server/session.readonly",
    "https://jans.io/oauth/jans-auth-server/session.admin",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may revoke sessions (Janssen asks `session.delete` together with
/// `revoke_session`; here either delete scope alone is enough).
pub const SESSIONS_DELETE: [&str; 3] = [
    "https://jans.io/oauth/jans-auth-server/session.delete",
    "https://jans.io/oauth/jans-auth-server/session.admin",
    DELETE_ALL,
];

/// The scopes that may read the person attributes.
pub const ATTRIBUTES_READ: [&str; 5] = [
    "https://jans.io/oauth/config/attributes.readonly",
    "https://jans.io/oauth/config/attributes.write",
    "https://jans.io/oauth/config/attributes.admin",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may create and change them.
pub const ATTRIBUTES_WRITE: [&str; 3] = [
    "https://jans.io/oauth/config/attributes.write",
    "https://jans.io/oauth/config/attributes.admin",
    WRITE_ALL,
];

/// The scopes that may delete them.
pub const ATTRIBUTES_DELETE: [&str; 3] = [
    "https://jans.io/oauth/config/attributes.delete",
    "https://jans.io/oauth/config/attributes.admin",
    DELETE_ALL,
];

/// The scopes that may read tokens (Janssen's `https://jans.io/oauth/config/token...`).
pub const TOKENS_READ: [&str; 4] = [
    "https://jans.io/oauth/config/token.readonly",
    "https://jans.io/oauth/config/token.write",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may revoke one.
pub const TOKENS_DELETE: [&str; 2] = ["https://jans.io/oauth/config/token.delete", DELETE_ALL];

/// The scopes that may read the usage statistics (Janssen's `stats.readonly`, and
/// `jans_stat`, the auth-server statistic endpoint's scope).
pub const STATS_READ: [&str; 3] = [
    "https://jans.io/oauth/config/stats.readonly",
    "jans_stat",
    READ_ALL,
];

/// The scopes that may read the registered UMA resources (Janssen's
/// `https://jans.io/oauth/config/uma/resources...`).
pub const UMA_READ: [&str; 4] = [
    "https://jans.io/oauth/config/uma/resources.readonly",
    "https://jans.io/oauth/config/uma/resources.write",
    READ_ALL,
    WRITE_ALL,
];

/// The scopes that may delete one.
pub const UMA_DELETE: [&str; 2] = [
    "https://jans.io/oauth/config/uma/resources.delete",
    DELETE_ALL,
];
