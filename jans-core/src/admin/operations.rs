//! Every operation the config API serves, in one table: its path and method, Janssen's
//! `operationId`, the scopes that may call it (any one of them), what it takes and what it
//! answers. The dispatcher routes and authorizes by this table (a method not in it is a
//! 405 with `Allow` from it), and the OpenAPI document ([`super::openapi`]) is written from
//! it, so the two cannot drift apart.

use crate::request::Method;

pub use super::paths::{allowed, find, template};
pub use super::scope_sets::*;

/// The query parameters an operation takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    /// None.
    None,
    /// A list's (`limit`, `startIndex`, `pattern`, `sortBy`, `sortOrder`,
    /// `fieldValuePair`).
    List,
    /// A scope list's: a list's, `type` and `withAssociatedClients`.
    ScopeList,
    /// `withAssociatedClients`.
    WithClients,
    /// The audit log's: `start_date`, `end_date`, `pattern`, `limit`, `startIndex`.
    Audit,
    /// `service`: one of Janssen's services, or `all`.
    Service,
    /// An attribute list's: a list's and `status`.
    AttributeList,
    /// The statistics': `month`, `start_month`, `end_month`, `format`.
    Stat,
}

/// What an operation takes in its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// Nothing.
    None,
    /// A JSON value of this schema.
    Json(&'static str),
    /// An RFC 6902 JSON Patch.
    Patch,
}

/// What an operation answers when it succeeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 200 with a JSON value of this schema.
    Json(&'static str),
    /// 201 with a JSON value of this schema (a creation).
    Created(&'static str),
    /// 200 with Janssen's `PagedResult` of entries of this schema.
    Paged(&'static str),
    /// 200 with a JSON array of this schema.
    Array(&'static str),
    /// 204.
    NoContent,
    /// 200 with this schema, or 503 with it when not ready.
    Readiness(&'static str),
}

/// One operation.
#[derive(Clone, Copy, Debug)]
pub struct Operation {
    /// The path, with `{inum}` where an id goes.
    pub path: &'static str,
    /// The method.
    pub method: Method,
    /// Janssen's `operationId` where Janssen has the operation.
    pub id: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// The resource it belongs to (the document's tag).
    pub tag: &'static str,
    /// The scopes that may call it, any one enough; none: anyone.
    pub scopes: &'static [&'static str],
    /// Its query parameters.
    pub query: Query,
    /// Its body.
    pub payload: Payload,
    /// Its answer.
    pub answer: Answer,
}

macro_rules! p {
    ($rest:literal) => {
        concat!("/jans-config-api/api/v1", $rest)
    };
}

pub(super) const fn op(
    path: &'static str,
    method: Method,
    id: &'static str,
    summary: &'static str,
    tag: &'static str,
    scopes: &'static [&'static str],
    (query, payload, answer): (Query, Payload, Answer),
) -> Operation {
    Operation {
        path,
        method,
        id,
        summary,
        tag,
        scopes,
        query,
        payload,
        answer,
    }
}

const HEALTH: &str = "Health - Check";
const SCOPES: &str = "OAuth - Scopes";
const CLIENTS: &str = "OAuth - OpenID Connect - Clients";
const PROPERTIES: &str = "Configuration – Properties";
const ORG: &str = "Organization Configuration";
const AUDIT: &str = "Audit";
const USERS: &str = "Configuration – User Management";
const JWKS: &str = "Configuration – JWK - JSON Web Key (JWK)";
const ACRS: &str = "Default Authentication Method";
const LOGGING: &str = "Configuration – Logging";
const AUTHZ: &str = "Client Authorization";
const SESSIONS: &str = "Auth - Session Management";
const ATTRIBUTES: &str = "Attribute";

/// The operations on the configuration, people, clients and sessions.
const CONFIGURATION: [Operation; 50] = {
    use Method::{Delete, Get, Patch, Post, Put};
    use Payload::Json as Body;
    const NONE: &[&str] = &[];
    [
        op(
            p!("/health"),
            Get,
            "get-config-health",
            "Liveness and readiness together",
            HEALTH,
            NONE,
            (Query::None, Payload::None, Answer::Array("HealthStatus")),
        ),
        op(
            p!("/health/live"),
            Get,
            "get-config-health-live",
            "Whether the process answers",
            HEALTH,
            NONE,
            (Query::None, Payload::None, Answer::Json("HealthStatus")),
        ),
        op(
            p!("/health/ready"),
            Get,
            "get-config-health-ready",
            "Whether the database answers",
            HEALTH,
            NONE,
            (
                Query::None,
                Payload::None,
                Answer::Readiness("HealthStatus"),
            ),
        ),
        op(
            p!("/health/app-version"),
            Get,
            "get-app-version",
            "The server's name and version",
            HEALTH,
            &APP_VERSION_SCOPES,
            (Query::None, Payload::None, Answer::Json("AppVersion")),
        ),
        op(
            p!("/jans-auth-server/health"),
            Get,
            "get-auth-server-health",
            "The auth-server's state",
            "Auth Server Health - Check",
            NONE,
            (Query::None, Payload::None, Answer::Json("AuthServerHealth")),
        ),
        op(
            p!("/openapi.json"),
            Get,
            "get-openapi",
            "This document",
            "OpenAPI",
            NONE,
            (Query::None, Payload::None, Answer::Json("OpenApiDocument")),
        ),
        op(
            p!("/scopes"),
            Get,
            "get-oauth-scopes",
            "List scopes",
            SCOPES,
            &SCOPES_READ,
            (Query::ScopeList, Payload::None, Answer::Paged("Scope")),
        ),
        op(
            p!("/scopes"),
            Post,
            "post-oauth-scopes",
            "Create a scope",
            SCOPES,
            &SCOPES_WRITE,
            (Query::None, Body("Scope"), Answer::Created("Scope")),
        ),
        op(
            p!("/scopes"),
            Put,
            "put-oauth-scopes",
            "Replace the scope its inum names",
            SCOPES,
            &SCOPES_WRITE,
            (Query::None, Body("Scope"), Answer::Json("Scope")),
        ),
        op(
            p!("/scopes/{inum}"),
            Get,
            "get-oauth-scopes-by-inum",
            "Read a scope",
            SCOPES,
            &SCOPES_READ,
            (Query::WithClients, Payload::None, Answer::Json("Scope")),
        ),
        op(
            p!("/scopes/{inum}"),
            Patch,
            "patch-oauth-scopes-by-id",
            "Patch a scope",
            SCOPES,
            &SCOPES_WRITE,
            (Query::None, Payload::Patch, Answer::Json("Scope")),
        ),
        op(
            p!("/scopes/{inum}"),
            Delete,
            "delete-oauth-scopes-by-inum",
            "Delete a scope",
            SCOPES,
            &SCOPES_DELETE,
            (Query::None, Payload::None, Answer::NoContent),
        ),
        op(
            p!("/openid/clients"),
            Get,
            "get-oauth-openid-clients",
            "List clients",
            CLIENTS,
            &CLIENTS_LIST,
            (Query::List, Payload::None, Answer::Paged("Client")),
        ),
        op(
            p!("/openid/clients"),
            Post,
            "post-oauth-openid-client",
            "Create a client (its secret in this answer only)",
            CLIENTS,
            &CLIENTS_WRITE,
            (Query::None, Body("Client"), Answer::Created("Client")),
        ),
        op(
            p!("/openid/clients"),
            Put,
            "put-oauth-openid-client",
            "Replace the client its inum names",
            CLIENTS,
            &CLIENTS_WRITE,
            (Query::None, Body("Client"), Answer::Json("Client")),
        ),
        op(
            p!("/openid/clients/{inum}"),
            Get,
            "get-oauth-openid-clients-by-inum",
            "Read a client",
            CLIENTS,
            &CLIENTS_READ,
            (Query::None, Payload::None, Answer::Json("Client")),
        ),
        op(
            p!("/openid/clients/{inum}"),
            Patch,
            "patch-oauth-openid-client-by-inum",
            "Patch a client",
            CLIENTS,
            &CLIENTS_WRITE,
            (Query::None, Payload::Patch, Answer::Json("Client")),
        ),
        op(
            p!("/openid/clients/{inum}"),
            Delete,
            "delete-oauth-openid-client-by-inum",
            "Delete a client",
            CLIENTS,
            &CLIENTS_DELETE,
            (Query::None, Payload::None, Answer::NoContent),
        ),
        op(
            p!("/jans-auth-server/config"),
            Get,
            "get-properties",
            "The auth-server's configuration",
            PROPERTIES,
            &PROPERTIES_READ,
            (Query::None, Payload::None, Answer::Json("AppConfiguration")),
        ),
        op(
            p!("/jans-auth-server/config"),
            Patch,
            "patch-properties",
            "Patch the auth-server's configuration (every node)",
            PROPERTIES,
            &PROPERTIES_WRITE,
            (
                Query::None,
                Payload::Patch,
                Answer::Json("AppConfiguration"),
            ),
        ),
        op(
            p!("/org"),
            Get,
            "get-organization-config",
            "The organization",
            ORG,
            &ORG_READ,
            (Query::None, Payload::None, Answer::Json("Organization")),
        ),
        op(
            p!("/org"),
            Patch,
            "patch-organization-config",
            "Patch the organization",
            ORG,
            &ORG_WRITE,
            (Query::None, Payload::Patch, Answer::Json("Organization")),
        ),
        op(
            p!("/health/service-status"),
            Get,
            "get-service-status",
            "Which of Janssen's services this process runs",
            HEALTH,
            &SERVICE_STATUS,
            (Query::Service, Payload::None, Answer::Json("ServiceStatus")),
        ),
        op(
            p!("/logging"),
            Get,
            "get-config-logging",
            "How the server logs",
            LOGGING,
            &AUDIT_READ,
            (Query::None, Payload::None, Answer::Json("Logging")),
        ),
        op(
            p!("/logging"),
            Put,
            "put-config-logging",
            "Set how the server logs (every node)",
            LOGGING,
            &LOGGING_WRITE,
            (Query::None, Body("Logging"), Answer::Json("Logging")),
        ),
        op(
            p!("/clients/authorizations/{userId}"),
            Get,
            "get-client-authorization",
            "The clients a person consented to, with the scopes approved",
            AUTHZ,
            &CLIENT_AUTHZ_READ,
            (Query::None, Payload::None, Answer::Json("ClientAuth")),
        ),
        op(
            p!("/clients/authorizations/{userId}/{clientId}/{username}"),
            Delete,
            "delete-client-authorization",
            "Revoke a person's consent to a client",
            AUTHZ,
            &CLIENT_AUTHZ_DELETE,
            (Query::None, Payload::None, Answer::NoContent),
        ),
        op(
            p!("/jans-auth-server/session"),
            Get,
            "get-sessions",
            "Every live session",
            SESSIONS,
            &SESSIONS_READ,
            (Query::None, Payload::None, Answer::Paged("SessionId")),
        ),
        op(
            p!("/jans-auth-server/session/search"),
            Get,
            "search-session",
            "Live sessions, paged and filtered",
            SESSIONS,
            &SESSIONS_READ,
            (Query::List, Payload::None, Answer::Paged("SessionId")),
        ),
        op(
            p!("/jans-auth-server/session/sid/{sid}"),
            Get,
            "get-session-by-id",
            "A live session by its sid",
            SESSIONS,
            &SESSIONS_READ,
            (Query::None, Payload::None, Answer::Json("SessionId")),
        ),
        op(
            p!("/jans-auth-server/session/sid/{sid}"),
            Delete,
            "delete-session",
            "Revoke a session",
            SESSIONS,
            &SESSIONS_DELETE,
            (Query::None, Payload::None, Answer::NoContent),
        ),
        op(
            p!("/jans-auth-server/session/user/{userDn}"),
            Delete,
            "revoke-user-session",
            "Revoke every session of a person",
            SESSIONS,
            &SESSIONS_DELETE,
            (Query::None, Payload::None, Answer::NoContent),
        ),
        op(
            p!("/attributes"),
            Get,
            "get-attributes",
            "List the person attributes",
            ATTRIBUTES,
            &ATTRIBUTES_READ,
            (
                Query::AttributeList,
                Payload::None,
                Answer::Paged("JansAttribute"),
            ),
        ),
        op(
            p!("/attributes"),
            Post,
            "post-attributes",
            "Create an attribute",
            ATTRIBUTES,
            &ATTRIBUTES_WRITE,
            (
                Query::None,
                Body("JansAttribute"),
                Answer::Created("JansAttribute"),
            ),
        ),
        op(
            p!("/attributes"),
            Put,
            "put-attributes",
            "Replace the attribute its inum names",
            ATTRIBUTES,
            &ATTRIBUTES_WRITE,
            (
                Query::None,
                Body("JansAttribute"),
                Answer::Json("JansAttribute"),
            ),
        ),
        op(
            p!("/attributes/{inum}"),
            Get,
            "get-attributes-by-inum",
            "Read an attribute",
            ATTRIBUTES,
            &ATTRIBUTES_READ,
            (Query::None, Payload::None, Answer::Json("JansAttribute")),
        ),
        op(
            p!("/attributes/{inum}"),
            Patch,
            "patch-attributes-by-inum",
            "Patch an attribute",
            ATTRIBUTES,
            &ATTRIBUTES_WRITE,
            (Query::None, Payload::Patch, Answer::Json("JansAttribute")),
        ),
        op(
            p!("/attributes/{inum}"),
            Delete,
            "delete-attributes-by-inum",
            "Delete an attribute",
            ATTRIBUTES,
            &ATTRIBUTES_DELETE,
            (Query::None, Payload::None, Answer::NoContent),
        ),
        op(
            p!("/acrs"),
            Get,
            "get-acrs",
            "The default authentication method",
            ACRS,
            &ACRS_READ,
            (
                Query::None,
                Payload::None,
                Answer::Json("AuthenticationMethod"),
            ),
        ),
        op(
            p!("/acrs"),
            Put,
            "put-acrs",
            "Set the default authentication method (every node)",
            ACRS,
            &ACRS_WRITE,
            (
                Query::None,
                Body("AuthenticationMethod"),
                Answer::Json("AuthenticationMethod"),
            ),
        ),
        op(
            p!("/config/jwks"),
            Get,
            "get-config-jwks",
            "The signing keys, each with its life-cycle",
            JWKS,
            &JWKS_READ,
            (
                Query::None,
                Payload::None,
                Answer::Json("WebKeysConfiguration"),
            ),
        ),
        op(
            p!("/config/jwks/rotate"),
            Post,
            "post-config-jwks-rotate",
            "Rotate every algorithm now",
            JWKS,
            &JWKS_WRITE,
            (
                Query::None,
                Payload::None,
                Answer::Json("WebKeysConfiguration"),
            ),
        ),
        op(
            p!("/config/jwks/{kid}"),
            Get,
            "get-jwk-by-kid",
            "One signing key",
            JWKS,
            &JWKS_READ,
            (Query::None, Payload::None, Answer::Json("JSONWebKey")),
        ),
        op(
            p!("/mgt/configuser"),
            Get,
            "get-user",
            "List people",
            USERS,
            &USERS_READ,
            (Query::List, Payload::None, Answer::Paged("CustomUser")),
        ),
        op(
            p!("/mgt/configuser"),
            Post,
            "post-user",
            "Create a person",
            USERS,
            &USERS_WRITE,
            (
                Query::None,
                Body("CustomUser"),
                Answer::Created("CustomUser"),
            ),
        ),
        op(
            p!("/mgt/configuser"),
            Put,
            "put-user",
            "Replace the person their inum names",
            USERS,
            &USERS_WRITE,
            (Query::None, Body("CustomUser"), Answer::Json("CustomUser")),
        ),
        op(
            p!("/mgt/configuser/{inum}"),
            Get,
            "get-user-by-inum",
            "Read a person",
            USERS,
            &USERS_READ,
            (Query::None, Payload::None, Answer::Json("CustomUser")),
        ),
        op(
            p!("/mgt/configuser/{inum}"),
            Patch,
            "patch-user-by-inum",
            "Patch a person (a JSON Patch as text, and custom attributes)",
            USERS,
            &USERS_WRITE,
            (
                Query::None,
                Body("UserPatchRequest"),
                Answer::Json("CustomUser"),
            ),
        ),
        op(
            p!("/mgt/configuser/{inum}"),
            Delete,
            "delete-user",
            "Delete a person",
            USERS,
            &USERS_DELETE,
            (Query::None, Payload::None, Answer::NoContent),
        ),
        op(
            p!("/audit"),
            Get,
            "get-audit-log",
            "The writes made through this API",
            AUDIT,
            &AUDIT_READ,
            (Query::Audit, Payload::None, Answer::Paged("AuditEntry")),
        ),
    ]
};

/// Every operation served: those on the configuration, people, clients and sessions, and
/// those on what the auth-server granted (tokens, statistics, UMA resources).
pub fn all() -> impl Iterator<Item = &'static Operation> {
    CONFIGURATION
        .iter()
        .chain(super::grant_operations::GRANTS.iter())
}
