//! The config API's OpenAPI 3.1 document, served at
//! `/jans-config-api/api/v1/openapi.json` and written from the code: every path and
//! method from the operation table the dispatcher routes by ([`super::operations`]), each
//! with its scopes (alternatives, as Janssen lists them), parameters, body and answers;
//! the schemas from the types the API reads and writes (`utoipa`'s derives of
//! [`Scope`] and the organization, the client JSON's member table, the configuration's
//! own defaults), so a route or a member added in code is in the document with it.
//! Creations link to the reads, patches and deletes of what they made (OpenAPI links, for
//! stateful testers such as schemathesis).

use serde_json::Value;
use utoipa::PartialSchema;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{
    ClientCredentials, Flow, OAuth2, Scopes, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem,
    PathsBuilder, Ref, RefOr, Required, ResponseBuilder, ServerBuilder,
};

use crate::config::Config;
use crate::jose::Algorithm;
use crate::repo::attribute::{
    Attribute, AttributeRole, AttributeStatus, AttributeType, AttributeValidation,
};
use crate::repo::client::AuthMethod;
use crate::repo::scope::{Scope, ScopeAttributes, ScopeType};
use crate::request::Method;
use crate::services::shared_doc;

use super::clients::wire::{ATTRIBUTES, Kind, MEMBERS};
use super::operations::{Answer, Operation, Payload, Query};
use super::org::Organization;
use super::schemas::{
    custom_attribute, custom_user, json_web_key, session_id, stat_item, token_entity, uma_resource,
};

/// The security scheme's name.
const SCHEME: &str = "oauth2";

/// The document for a server whose issuer is `issuer`.
pub fn document(issuer: &str) -> OpenApi {
    let mut paths = PathsBuilder::new();
    let mut templates: Vec<&str> = super::operations::all().map(|o| o.path).collect();
    templates.dedup();
    for template in templates {
        let mut item: Option<PathItem> = None;
        for op in super::operations::all().filter(|o| o.path == template) {
            let one = PathItem::new(http_method(op.method), operation(op));
            match &mut item {
                Some(i) => i.merge_operations(one),
                None => item = Some(one),
            }
        }
        if let Some(item) = item {
            let relative = template
                .strip_prefix("/jans-config-api/api/v1")
                .unwrap_or(template);
            paths = paths.path(relative, item);
        }
    }
    let mut scopes: Vec<&str> = super::operations::all()
        .flat_map(|o| o.scopes.iter().copied())
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    let token_url = format!("{}/jans-auth/restv1/token", issuer.trim_end_matches('/'));
    let oauth2 = OAuth2::new([Flow::ClientCredentials(ClientCredentials::new(
        token_url,
        Scopes::from_iter(scopes.into_iter().map(|s| (s, s))),
    ))]);
    let mut components = ComponentsBuilder::new()
        .security_scheme(SCHEME, SecurityScheme::OAuth2(oauth2))
        .schema("ApiError", api_error())
        .schema("HealthStatus", health_status())
        .schema("AppVersion", strings(&["name", "version"]))
        .schema("AuthServerHealth", strings(&["status", "db_status"]))
        .schema(
            "OpenApiDocument",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("openapi", text())
                .required("openapi"),
        )
        .schema("Scope", Scope::schema())
        .schema("JansAttribute", Attribute::schema())
        .schema("AttributeType", AttributeType::schema())
        .schema("AttributeRole", AttributeRole::schema())
        .schema("AttributeStatus", AttributeStatus::schema())
        .schema("AttributeValidation", AttributeValidation::schema())
        .schema("ScopeType", ScopeType::schema())
        .schema("ScopeAttributes", ScopeAttributes::schema())
        .schema("Organization", Organization::schema())
        .schema("Client", client())
        .schema("AppConfiguration", inferred(&configuration()))
        .schema(
            "AuthenticationMethod",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("defaultAcr", text().enum_values(Some(crate::config::ACRS)))
                .required("defaultAcr"),
        )
        .schema(
            "ServiceStatus",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(text().enum_values(Some(["Running", "Not present"])))),
        )
        .schema(
            "Logging",
            ObjectBuilder::new().schema_type(Type::Object).property(
                "loggingLevel",
                text().enum_values(Some(crate::config::LOGGING_LEVELS)),
            ),
        )
        .schema(
            "ClientAuth",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(
                    "clientAuths",
                    ObjectBuilder::new()
                        .schema_type(Type::Object)
                        .additional_properties(Some(list_of(reference("Scope")))),
                )
                .required("clientAuths"),
        )
        .schema("SessionId", session_id())
        .schema("JSONWebKey", json_web_key())
        .schema(
            "WebKeysConfiguration",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("keys", list_of(reference("JSONWebKey")))
                .property(
                    "changes",
                    typed(Type::Integer).description(Some("Key changes a rotation applied")),
                )
                .required("keys"),
        )
        .schema("AuditEntry", text())
        .schema("CustomUser", custom_user())
        .schema(
            "UserPatchRequest",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(
                    "jsonPatchString",
                    text().description(Some("An RFC 6902 JSON Patch of the person, as text")),
                )
                .property("customAttributes", list_of(custom_attribute())),
        )
        .schema("TokenEntity", token_entity())
        .schema("StatItem", stat_item())
        .schema("UmaResource", uma_resource())
        .schema("JsonPatch", json_patch());
    // A `PagedResult` of each paged answer's entries.
    let mut paged_entries: Vec<&str> = super::operations::all()
        .filter_map(|o| match o.answer {
            Answer::Paged(entries) => Some(entries),
            _ => None,
        })
        .collect();
    paged_entries.sort_unstable();
    paged_entries.dedup();
    for entries in paged_entries {
        components = components.schema(format!("PagedResult{entries}"), paged(entries));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("jans-rs config API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Janssen's jans-config-api: the OAuth-protected admin REST API.",
                )),
        )
        .servers(Some([ServerBuilder::new()
            .url(format!(
                "{}/jans-config-api/api/v1",
                issuer.trim_end_matches('/')
            ))
            .build()]))
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

fn http_method(m: Method) -> HttpMethod {
    match m {
        Method::Post => HttpMethod::Post,
        Method::Put => HttpMethod::Put,
        Method::Delete => HttpMethod::Delete,
        Method::Patch => HttpMethod::Patch,
        Method::Get | Method::Other => HttpMethod::Get,
    }
}

pub(super) fn reference(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

pub(super) fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

pub(super) fn typed(t: impl Into<SchemaType>) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(t)
}

pub(super) fn any() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::AnyValue)
}

pub(super) fn list_of(items: impl Into<RefOr<Schema>>) -> ArrayBuilder {
    let items: RefOr<Schema> = items.into();
    ArrayBuilder::new().items(items)
}

/// An object of string members, all present.
fn strings(names: &[&str]) -> ObjectBuilder {
    names
        .iter()
        .fold(ObjectBuilder::new().schema_type(Type::Object), |o, n| {
            o.property(*n, text()).required(*n)
        })
}

/// Janssen's `ApiError`.
fn api_error() -> ObjectBuilder {
    strings(&["code", "message", "description"])
}

/// Janssen's health `Status`.
fn health_status() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("name", text())
        .property("status", text().enum_values(Some(["UP", "DOWN"])))
        .property("error", text())
        .required("name")
        .required("status")
}

/// Janssen's `PagedResult` of `entries`.
fn paged(entries: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("start", typed(Type::Integer))
        .property("totalEntriesCount", typed(Type::Integer))
        .property("entriesCount", typed(Type::Integer))
        .property("entries", list_of(reference(entries)))
        .required("start")
        .required("totalEntriesCount")
        .required("entriesCount")
        .required("entries")
}

/// RFC 6902: a list of operations, each with the members its `op` defines (§4; others are
/// ignored), a member at a time (never the root `""`).
fn json_patch() -> ArrayBuilder {
    let pointer = || text().pattern(Some("^/"));
    let of = |ops: &[&str], with: &[&str]| {
        let mut o = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("op", text().enum_values(Some(ops.to_vec())))
            .property("path", pointer())
            .required("op")
            .required("path");
        for member in with {
            o = match *member {
                "from" => o.property("from", pointer()),
                _ => o.property(*member, any()),
            }
            .required(*member);
        }
        o
    };
    list_of(
        utoipa::openapi::schema::OneOfBuilder::new()
            .item(of(&["add", "replace", "test"], &["value"]))
            .item(of(&["remove"], &[]))
            .item(of(&["move", "copy"], &["from"])),
    )
}

/// A client member's schema: its type, and for the members with a closed set of values
/// (algorithms, the authentication method, ...) those values. Every member also takes
/// `null`, read as unset, as Janssen's own writers send it.
fn member(name: &str, k: Kind) -> RefOr<Schema> {
    let closed: Option<Vec<&str>> = if name.ends_with("Alg") {
        Some(Algorithm::ALL.iter().map(|a| a.as_str()).collect())
    } else {
        match name {
            "tokenEndpointAuthMethod" => Some(AuthMethod::ALL.iter().map(|m| m.as_str()).collect()),
            "applicationType" => Some(vec!["web", "native"]),
            "subjectType" => Some(vec!["public", "pairwise"]),
            _ => None,
        }
    };
    let or_null = |t: Type| SchemaType::from_iter([t, Type::Null]);
    match (closed, k) {
        // "" is read as unset, as Janssen's tools send it.
        (Some(values), Kind::Text) => {
            let mut values: Vec<Value> = values.into_iter().map(Value::from).collect();
            values.extend([Value::from(""), Value::Null]);
            text()
                .schema_type(or_null(Type::String))
                .enum_values(Some(values))
                .into()
        }
        (_, Kind::Text) => text().schema_type(or_null(Type::String)).into(),
        (_, Kind::List) => list_of(text()).schema_type(or_null(Type::Array)).into(),
        (_, Kind::Bool) => typed(or_null(Type::Boolean)).into(),
        (_, Kind::Integer) => typed(or_null(Type::Integer)).into(),
    }
}

/// Janssen's client JSON, from the member table the API reads and writes it by.
fn client() -> ObjectBuilder {
    let mut o = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "Janssen's Client; other members of Janssen's schema are accepted only empty",
        ));
    for (name, _, k) in MEMBERS {
        o = o.property(name, member(name, k));
    }
    for name in [
        "inum",
        "dn",
        "clientName",
        "displayName",
        "description",
        "jwks",
    ] {
        o = o.property(name, text());
    }
    o = o
        .property(
            "clientSecret",
            text().description(Some(
                "Set when given; shown only in the answer that made the secret",
            )),
        )
        .property("scopes", list_of(text()))
        .property("disabled", typed(Type::Boolean))
        // Computed by the server: shown as date-times, ignored when written.
        .property(
            "clientIdIssuedAt",
            any().description(Some("A date-time; ignored when written")),
        )
        .property(
            "clientSecretExpiresAt",
            any().description(Some("A date-time; ignored when written")),
        );
    let mut attributes = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("backchannelLogoutUri", list_of(text()));
    for (name, _, k) in ATTRIBUTES {
        attributes = attributes.property(name, member(name, k));
    }
    o.property("attributes", attributes)
}

/// The configuration as the API shows it, with its defaults.
fn configuration() -> Value {
    shared_doc(&Config::default()).unwrap_or(Value::Null)
}

/// A schema with the shape of `v`: its members and their types.
fn inferred(v: &Value) -> RefOr<Schema> {
    match v {
        Value::Null => any().into(),
        Value::Bool(_) => typed(Type::Boolean).into(),
        Value::Number(n) if n.is_i64() || n.is_u64() => typed(Type::Integer).into(),
        Value::Number(_) => typed(Type::Number).into(),
        Value::String(_) => text().into(),
        Value::Array(a) => match a.first() {
            Some(first) => list_of(inferred(first)).into(),
            None => list_of(any()).into(),
        },
        Value::Object(m) => m
            .iter()
            .fold(
                ObjectBuilder::new().schema_type(Type::Object),
                |o, (k, v)| o.property(k, inferred(v)),
            )
            .into(),
    }
}

fn query(name: &str, schema: impl Into<RefOr<Schema>>, description: &str) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
}

/// A day, as Janssen's `dd-MM-yyyy` or ISO `yyyy-MM-dd`.
/// (Empty is no bound, as Janssen's default has it.)
fn date() -> ObjectBuilder {
    text().pattern(Some(
        r"^([0-9]{2}-[0-9]{2}-[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2})?$",
    ))
}

fn list_parameters(op: OperationBuilder) -> OperationBuilder {
    op.parameter(query(
        "limit",
        typed(Type::Integer).minimum(Some(0)).maximum(Some(200)),
        "Entries per page (50 by default, at most 200)",
    ))
    .parameter(query(
        "startIndex",
        typed(Type::Integer).minimum(Some(0)),
        "The first entry's position, from 1",
    ))
    .parameter(query("pattern", text(), "Only entries containing this"))
    .parameter(query("sortBy", text(), "The member to sort by"))
    .parameter(query(
        "sortOrder",
        text().enum_values(Some(["ascending", "descending"])),
        "The order",
    ))
    .parameter(query(
        "fieldValuePair",
        // A name holds something besides blank space (found by schemathesis: `=x`).
        text().pattern(Some(
            r"^\s*([^=,]*[^=,\s][^=,]*=[^,]*)?(,\s*([^=,]*[^=,\s][^=,]*=[^,]*)?)*$",
        )),
        "Only entries whose members hold these values (name=value,...)",
    ))
}

fn with_clients(op: OperationBuilder) -> OperationBuilder {
    op.parameter(query(
        "withAssociatedClients",
        typed(Type::Boolean),
        "Each scope with the clients registered to request it",
    ))
}

fn json_response(description: &str, schema: RefOr<Schema>) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new().schema(Some(schema)).build(),
    )
}

fn error(description: &str) -> ResponseBuilder {
    json_response(description, reference("ApiError"))
}

/// The names of the path's parameters (`{inum}`, `{kid}`, ...), in order.
fn path_parameters(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(name, _)| name))
        .collect()
}

/// One operation of the document.
fn operation(op: &Operation) -> utoipa::openapi::path::Operation {
    let mut b = OperationBuilder::new()
        .operation_id(Some(op.id))
        .summary(Some(op.summary))
        .tag(op.tag);
    for name in path_parameters(op.path) {
        b = b.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(text())),
        );
    }
    b = match op.query {
        Query::None => b,
        Query::List => list_parameters(b),
        Query::ScopeList => with_clients(list_parameters(b)).parameter(query(
            "type",
            text(),
            "Only scopes of this scopeType",
        )),
        Query::WithClients => with_clients(b),
        Query::AttributeList => list_parameters(b).parameter(query(
            "status",
            text().enum_values(Some(["all", "active", "inactive"])),
            "Only the attributes of this status",
        )),
        Query::Stat => b
            .parameter(query(
                "month",
                text(),
                "Months as YYYYMM, separated by spaces or commas",
            ))
            .parameter(query("start_month", text(), "From this month (YYYYMM)"))
            .parameter(query(
                "end_month",
                text(),
                "To this month (YYYYMM), included",
            ))
            .parameter(query(
                "format",
                text().enum_values(Some(["json"])),
                "The answer's format",
            )),
        Query::Service => b.parameter(query(
            "service",
            text(),
            "One of Janssen's services (jans-auth, jans-fido2, ...), or all",
        )),
        Query::Audit => b
            .parameter(query("start_date", date(), "From this day (dd-MM-yyyy)"))
            .parameter(query("end_date", date(), "To this day (dd-MM-yyyy)"))
            .parameter(query("pattern", text(), "Only entries containing this"))
            .parameter(query(
                "limit",
                typed(Type::Integer).minimum(Some(0)).maximum(Some(200)),
                "Entries per page",
            ))
            .parameter(query(
                "startIndex",
                typed(Type::Integer).minimum(Some(0)),
                "The first entry's position, from 1",
            )),
    };
    match op.payload {
        Payload::None => {}
        Payload::Json(schema) => {
            b = b.request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(reference(schema)))
                            .build(),
                    )
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        Payload::Patch => {
            b = b.request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json-patch+json",
                        ContentBuilder::new()
                            .schema(Some(reference("JsonPatch")))
                            .build(),
                    )
                    .required(Some(Required::True))
                    .build(),
            ));
        }
    }
    b = match op.answer {
        Answer::Json(schema) => b.response("200", json_response("OK", reference(schema))),
        Answer::Array(schema) => b.response(
            "200",
            json_response("OK", list_of(reference(schema)).into()),
        ),
        Answer::Paged(schema) => b.response(
            "200",
            json_response("OK", reference(&format!("PagedResult{schema}"))),
        ),
        Answer::Readiness(schema) => b
            .response("200", json_response("Ready", reference(schema)))
            .response("503", json_response("Not ready", reference(schema))),
        Answer::Created(schema) => {
            let mut created = json_response("Created", reference(schema));
            // What was made, read, patched and deleted next (stateful testing).
            if let Some(by_id) = super::operations::all()
                .find(|o| o.path == format!("{}/{{inum}}", op.path) && o.method == Method::Get)
            {
                for (verb, other) in super::operations::all()
                    .filter(|o| o.path == by_id.path)
                    .map(|o| (o.method, o))
                {
                    created = created.link(
                        format!("{}{}", verb.as_str(), schema),
                        LinkBuilder::new()
                            .operation_id(other.id)
                            .parameter("inum", "$response.body#/inum")
                            .build(),
                    );
                }
            }
            // And replaced with what was made (`PUT` names it by its `inum`).
            if let Some(put) =
                super::operations::all().find(|o| o.path == op.path && o.method == Method::Put)
            {
                created = created.link(
                    format!("PUT{schema}"),
                    LinkBuilder::new()
                        .operation_id(put.id)
                        .request_body(Some("$response.body"))
                        .build(),
                );
            }
            b.response("201", created)
        }
        Answer::NoContent => b.response("204", ResponseBuilder::new().description("Done")),
    };
    if !op.scopes.is_empty() {
        b = b
            .response("401", error("No bearer token, or one that is not active"))
            .response(
                "403",
                error("The token holds none of the operation's scopes"),
            );
        for scope in op.scopes {
            b = b.security(SecurityRequirement::new(SCHEME, [*scope]));
        }
    }
    if op.payload != Payload::None || op.query != Query::None {
        b = b.response("400", error("The request is not valid"));
    }
    if !path_parameters(op.path).is_empty() || op.method == Method::Put {
        b = b.response("404", error("No such resource"));
    }
    if matches!(
        op.method,
        Method::Post | Method::Put | Method::Patch | Method::Delete
    ) {
        b = b.response("409", error("A conflicting write came first"));
    }
    if op.payload != Payload::None {
        b = b
            .response("413", error("The body is too large"))
            .response("415", error("The body's media type is not the operation's"));
    }
    if !op.scopes.is_empty() {
        b = b.response("503", error("The database does not answer"));
    }
    b.build()
}
