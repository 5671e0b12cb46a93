//! Component SCIM 2.0 (RFC 7642/7643/7644), Janssen's jans-scim: users and groups of the
//! same user base the auth-server signs in, managed by provisioning tools.
//!
//! Built so far, all pure functions over resources' JSON:
//! - [`schema`]: the core User and Group schemas, the Enterprise extension, Janssen's
//!   custom-attribute extension, and the attribute characteristics;
//! - [`filter`]: filters parsed within bounds, bound to a resource type's schemas (types,
//!   case-exactness, extensions), evaluated on resources;
//! - [`attributes`]: what a response carries (`attributes`, `excludedAttributes`,
//!   `returned`);
//! - [`patch`]: PATCH operations applied all or nothing;
//! - [`list`]: sorting, paging and the list response;
//! - [`discovery`]: `ServiceProviderConfig`, `ResourceTypes`, `Schemas` and Janssen's
//!   `scim-configuration`;
//! - [`datetime`]: xsd:dateTime values.
//!
//! [`ScimServer`] serves the discovery endpoints (`ServiceProviderConfig`, `ResourceTypes`,
//! `Schemas`, `/.well-known/scim-configuration`) and reads users and groups (`/Users`,
//! `/Users/{id}`, `/Users/.search`, and the same for `/Groups`) for bearer tokens with
//! Janssen's read scopes ([`protection`]; the stored aggregates mapped by [`resource`]).
//! It creates, replaces, modifies and deletes them (the `write` module's rules) for tokens with the
//! write scopes. FIDO devices and Bulk come next.

pub mod attributes;
pub mod bulk;
pub mod datetime;
mod devices;
pub mod discovery;
pub mod filter;
pub mod list;
pub mod names;
pub mod patch;
pub mod paths;
pub mod plan;
pub mod protection;
pub mod resource;
pub mod schema;
pub mod updated;
pub mod value;
mod write;

use std::sync::Arc;

use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::scim::ScimError;
use crate::request::{Method, Request, ScimEndpoint};
use crate::response::{Body, Response};
use crate::services::Services;

/// The scopes that may read the SCIM configuration through its admin route (Janssen's
/// scim plugin; the config API's super scopes too).
pub const ADMIN_READ: [&str; 4] = [
    "https://jans.io/scim/config.readonly",
    "https://jans.io/scim/config.write",
    crate::management::protection::READ_ALL,
    crate::management::protection::WRITE_ALL,
];

/// The scopes that may change it.
pub const ADMIN_WRITE: [&str; 2] = [
    "https://jans.io/scim/config.write",
    crate::management::protection::WRITE_ALL,
];

/// The SCIM component.
pub struct ScimServer {
    services: Arc<Services>,
}

impl std::fmt::Debug for ScimServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimServer").finish_non_exhaustive()
    }
}

/// The scope of the root `/.search` (Janssen's jans-scim protection).
const ALL_RESOURCES_SEARCH: &str = "https://jans.io/scim/all-resources.search";

/// The scope of `/Bulk` (Janssen's jans-scim protection).
const BULK: &str = "https://jans.io/scim/bulk";

/// The largest body of a request other than Bulk (issue 13 item 3); more is a 413.
pub const MAX_BODY: usize = 1024 * 1024;

/// Most resources a query reads through the store's indexes; a filter whose keys hold more
/// is answered by a paged scan (issue 13 item 4: bounded either way).
pub const MAX_KEYED: usize = 5_000;

/// The resource types served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    User,
    Group,
    /// FIDO registrations, as one of Janssen's two device views.
    Device(resource::device::Family),
}

impl Kind {
    fn of(endpoint: &ScimEndpoint) -> Kind {
        use resource::device::Family;
        match endpoint {
            ScimEndpoint::Groups | ScimEndpoint::Group(_) | ScimEndpoint::GroupsSearch => {
                Kind::Group
            }
            ScimEndpoint::FidoDevices
            | ScimEndpoint::FidoDevice(_)
            | ScimEndpoint::FidoDevicesSearch => Kind::Device(Family::U2f),
            ScimEndpoint::Fido2Devices
            | ScimEndpoint::Fido2Device(_)
            | ScimEndpoint::Fido2DevicesSearch => Kind::Device(Family::Fido2),
            _ => Kind::User,
        }
    }

    /// The scope reading them needs (Janssen's jans-scim protection).
    fn read_scope(self) -> &'static str {
        use resource::device::Family;
        match self {
            Kind::User => "https://jans.io/scim/users.read",
            Kind::Group => "https://jans.io/scim/groups.read",
            Kind::Device(Family::U2f) => "https://jans.io/scim/fido.read",
            Kind::Device(Family::Fido2) => "https://jans.io/scim/fido2.read",
        }
    }

    /// The scope writing them needs.
    fn write_scope(self) -> &'static str {
        use resource::device::Family;
        match self {
            Kind::User => "https://jans.io/scim/users.write",
            Kind::Group => "https://jans.io/scim/groups.write",
            Kind::Device(Family::U2f) => "https://jans.io/scim/fido.write",
            Kind::Device(Family::Fido2) => "https://jans.io/scim/fido2.write",
        }
    }

    fn missing(self) -> &'static str {
        match self {
            Kind::User => "such user",
            Kind::Group => "such group",
            Kind::Device(_) => "such device",
        }
    }
}

/// The members of a request message (RFC 7644 §3.3: a SearchRequest, a PatchOp, ...): a
/// JSON object whose `schemas` names `urn`; else `invalidSyntax`.
pub(crate) fn message<'b>(
    body: &'b Value,
    urn: &str,
) -> Result<&'b serde_json::Map<String, Value>, ScimError> {
    let syntax = |d: String| ScimError::new(crate::error::scim::ScimType::InvalidSyntax, d);
    let m = body
        .as_object()
        .ok_or_else(|| syntax("the body is not a JSON object".into()))?;
    let names = m
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(urn)));
    if !names {
        return Err(syntax(format!("`schemas` must name {urn}")));
    }
    Ok(m)
}

/// Whether an `If-None-Match` value lists `etag` (or is `*`), compared weakly
/// (RFC 9110 §8.8.3.2: `W/` is ignored).
fn etag_matches(header: &str, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    header.trim() == "*" || header.split(',').any(|t| opaque(t) == opaque(etag))
}

/// The query parameter `name`; one given twice is `invalidValue`.
fn query_param(req: &Request, name: &str) -> Result<Option<String>, ScimError> {
    req.query
        .get(name)
        .map(|v| v.map(str::to_owned))
        .map_err(|_| {
            ScimError::new(
                crate::error::scim::ScimType::InvalidValue,
                format!("{name} is given more than once"),
            )
        })
}

/// The id a resource endpoint names (`/Users/{id}`, ...).
fn one_id(endpoint: &ScimEndpoint) -> Option<&str> {
    match endpoint {
        ScimEndpoint::User(id)
        | ScimEndpoint::Group(id)
        | ScimEndpoint::FidoDevice(id)
        | ScimEndpoint::Fido2Device(id) => Some(id),
        _ => None,
    }
}

/// A SCIM answer: `application/scim+json` with `status`.
fn scim(status: u16, v: Value) -> Response {
    Response::with_body(Body::Scim(status, v))
}

impl ScimServer {
    /// The component over the engine's services.
    pub fn new(services: Arc<Services>) -> ScimServer {
        ScimServer { services }
    }

    /// The SCIM root URL (`{issuer}/jans-scim/restv1/v2`).
    pub fn base_url(&self) -> String {
        format!("{}{}", self.services.config().issuer, paths::SCIM_PREFIX)
    }

    /// Every schema served: User and its extensions (with the configured custom
    /// attributes), then Group.
    fn all_schemas(&self) -> Result<Vec<schema::Schema>, Error> {
        let users = self.user_schemas()?;
        let mut all = vec![users.core];
        all.extend(users.extensions);
        all.push(schema::group());
        all.push(resource::device::schema(resource::device::Family::U2f));
        all.push(resource::device::schema(resource::device::Family::Fido2));
        Ok(all)
    }

    /// Serve one request to `endpoint`.
    pub async fn handle(
        &self,
        endpoint: &ScimEndpoint,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        if *endpoint == ScimEndpoint::Me {
            return self.me(req, ctx).await;
        }
        if *endpoint == ScimEndpoint::AdminConfig {
            // The admin route this component contributes (Janssen's scim plugin).
            return crate::management::config_section(
                &self.services,
                req,
                ctx,
                ("scimConfiguration", "scim/scim-config", "GET, PATCH"),
                (&ADMIN_READ, &ADMIN_WRITE),
            )
            .await;
        }
        if req.body.len() > MAX_BODY && *endpoint != ScimEndpoint::Bulk {
            return Ok(Response::error(ScimError::status(
                413,
                format!("the body is larger than {MAX_BODY} bytes"),
            )));
        }
        // RFC 9110 §15.5.6: 405 with `Allow`.
        let allowed: &[Method] = match endpoint {
            ScimEndpoint::UsersSearch
            | ScimEndpoint::GroupsSearch
            | ScimEndpoint::FidoDevicesSearch
            | ScimEndpoint::Fido2DevicesSearch
            | ScimEndpoint::Search
            | ScimEndpoint::Bulk => &[Method::Post],
            ScimEndpoint::Users
            | ScimEndpoint::Groups
            | ScimEndpoint::FidoDevices
            | ScimEndpoint::Fido2Devices => &[Method::Get, Method::Post],
            ScimEndpoint::User(_) | ScimEndpoint::Group(_) => {
                &[Method::Get, Method::Put, Method::Patch, Method::Delete]
            }
            // Janssen's device endpoints: no PATCH.
            ScimEndpoint::FidoDevice(_) | ScimEndpoint::Fido2Device(_) => {
                &[Method::Get, Method::Put, Method::Delete]
            }
            _ => &[Method::Get],
        };
        if !allowed.contains(&req.method) {
            let allow = allowed
                .iter()
                .map(|m| match m {
                    Method::Post => "POST",
                    Method::Put => "PUT",
                    Method::Patch => "PATCH",
                    Method::Delete => "DELETE",
                    _ => "GET",
                })
                .collect::<Vec<_>>()
                .join(", ");
            return Ok(Response::error(ScimError::status(
                405,
                format!("this endpoint answers {allow} only"),
            ))
            .header("allow", allow));
        }
        if req.method != Method::Get
            && let ScimEndpoint::Users
            | ScimEndpoint::Groups
            | ScimEndpoint::FidoDevices
            | ScimEndpoint::Fido2Devices
            | ScimEndpoint::User(_)
            | ScimEndpoint::Group(_)
            | ScimEndpoint::FidoDevice(_)
            | ScimEndpoint::Fido2Device(_) = endpoint
        {
            let kind = Kind::of(endpoint);
            protection::authorize(&self.services, req, kind.write_scope(), ctx).await?;
            return match (one_id(endpoint), req.method) {
                (Some(id), Method::Delete) => self.delete(kind, id, req).await,
                (Some(id), _) => self.modify(kind, id, req, ctx, None).await,
                (None, _) => self.create(kind, req, ctx, None).await,
            };
        }
        let base = self.base_url();
        let not_found = |what: &str| {
            Ok(Response::error(ScimError::status(
                404,
                format!("no {what} here"),
            )))
        };
        match endpoint {
            ScimEndpoint::Bulk => {
                protection::authorize(&self.services, req, BULK, ctx).await?;
                self.bulk(req, ctx).await
            }
            ScimEndpoint::UpdatedUsers => {
                protection::authorize(&self.services, req, Kind::User.read_scope(), ctx).await?;
                let q = |k: &str| query_param(req, k);
                let max = self.services.config().scim_configuration.max_count;
                let (since, start, size) = updated::params(
                    q("timeStamp")?.as_deref(),
                    q("start")?.as_deref(),
                    q("pageSize")?.as_deref(),
                    max,
                )?;
                // Changed at or after `since`: one range of the users' `updated` index.
                let changed = crate::store::document::Filter::key(
                    crate::repo::user::Users::UPDATED,
                    crate::store::document::Test::Ge(crate::repo::user::Users::time_key(since)),
                );
                let users = self
                    .services
                    .stores()
                    .users
                    .query(&changed, usize::MAX)
                    .await?;
                Ok(Response::json(updated::answer(users, since, start, size)))
            }
            // Answered above, as the token's user.
            ScimEndpoint::Me => Ok(Response::error(ScimError::status(404, "no such user"))),
            ScimEndpoint::AdminConfig => Err(Error::Internal("served above".into())),
            ScimEndpoint::Configuration => Ok(Response::json(discovery::scim_configuration(&base))),
            ScimEndpoint::ServiceProviderConfig => Ok(scim(
                200,
                discovery::service_provider_config(
                    &base,
                    &self.services.config().scim_configuration,
                ),
            )),
            ScimEndpoint::ResourceTypes => {
                let all = discovery::resource_types(&base);
                Ok(scim(
                    200,
                    list::Page::everything(&all).response(all.len(), all),
                ))
            }
            ScimEndpoint::ResourceType(id) => {
                match discovery::resource_types(&base)
                    .into_iter()
                    .find(|t| t.get("id").and_then(Value::as_str) == Some(id.as_str()))
                {
                    Some(t) => Ok(scim(200, t)),
                    None => not_found("such resource type"),
                }
            }
            ScimEndpoint::Schemas => {
                let all = self.all_schemas()?;
                let docs = discovery::schemas(&base, &all.iter().collect::<Vec<_>>());
                Ok(scim(
                    200,
                    list::Page::everything(&docs).response(docs.len(), docs),
                ))
            }
            ScimEndpoint::Schema(urn) => {
                let all = self.all_schemas()?;
                match all.iter().find(|s| s.id.eq_ignore_ascii_case(urn)) {
                    Some(s) => Ok(scim(200, s.to_json(&format!("{base}/Schemas/{}", s.id)))),
                    None => not_found("such schema"),
                }
            }
            ScimEndpoint::Users
            | ScimEndpoint::Groups
            | ScimEndpoint::FidoDevices
            | ScimEndpoint::Fido2Devices => {
                let kind = Kind::of(endpoint);
                protection::authorize(&self.services, req, kind.read_scope(), ctx).await?;
                let params = list::QueryParams::read(|k| query_param(req, k))?;
                // Janssen's `?userId=` narrows the devices to one owner's.
                let owner = match kind {
                    Kind::Device(_) => query_param(req, "userId")?,
                    _ => None,
                };
                self.query(kind, &params, owner.as_deref()).await
            }
            ScimEndpoint::UsersSearch
            | ScimEndpoint::GroupsSearch
            | ScimEndpoint::FidoDevicesSearch
            | ScimEndpoint::Fido2DevicesSearch
            | ScimEndpoint::Search => {
                let scope = match endpoint {
                    ScimEndpoint::Search => ALL_RESOURCES_SEARCH,
                    _ => Kind::of(endpoint).read_scope(),
                };
                protection::authorize(&self.services, req, scope, ctx).await?;
                let body: Value = serde_json::from_slice(&req.body).map_err(|e| {
                    ScimError::new(
                        crate::error::scim::ScimType::InvalidSyntax,
                        format!("the body is not JSON: {e}"),
                    )
                })?;
                let params = list::QueryParams::from_search_request(&body)?;
                if *endpoint == ScimEndpoint::Search {
                    return self.query_all(&params).await;
                }
                self.query(Kind::of(endpoint), &params, None).await
            }
            ScimEndpoint::User(id)
            | ScimEndpoint::Group(id)
            | ScimEndpoint::FidoDevice(id)
            | ScimEndpoint::Fido2Device(id) => {
                let kind = Kind::of(endpoint);
                protection::authorize(&self.services, req, kind.read_scope(), ctx).await?;
                let Some(resource) = self.resource(kind, id).await? else {
                    return not_found(kind.missing());
                };
                let schemas = self.schemas_of(kind)?;
                let q = |k: &str| query_param(req, k).map(Option::unwrap_or_default);
                let projection = attributes::Projection {
                    attributes: attributes::Selection::parse(&q("attributes")?, &schemas)?,
                    excluded: attributes::Selection::parse(&q("excludedAttributes")?, &schemas)?,
                };
                let version = write::version(&resource).to_owned();
                // RFC 7644 §3.14, RFC 9110 §13.1.2: the client's copy is current (weak
                // comparison: a version is a weak ETag).
                if req
                    .if_none_match
                    .as_deref()
                    .is_some_and(|h| etag_matches(h, &version))
                {
                    return Ok(Response::with_body(Body::NotModified).header("etag", version));
                }
                Ok(scim(200, projection.apply(&resource, &schemas)).header("etag", version))
            }
        }
    }

    /// The schemas of `kind`'s resources.
    fn schemas_of(&self, kind: Kind) -> Result<schema::ResourceSchemas, Error> {
        match kind {
            Kind::User => self.user_schemas(),
            Kind::Group => Ok(schema::ResourceSchemas::groups()),
            Kind::Device(family) => Ok(resource::device::schemas(family)),
        }
    }

    /// The resource `id` of `kind`, as SCIM shows it.
    async fn resource(&self, kind: Kind, id: &str) -> Result<Option<Value>, Error> {
        let stores = self.services.stores();
        let base = self.base_url();
        Ok(match kind {
            Kind::User => match stores.users.get(id).await? {
                Some(u) => Some(self.user_resource(&u).await?),
                None => None,
            },
            Kind::Group => stores
                .groups
                .get(id)
                .await?
                .map(|(_, g)| resource::group::to_scim(&g, &base)),
            Kind::Device(family) => self
                .device(family, id)
                .await?
                .map(|(_, reg)| resource::device::to_scim(&reg, &base)),
        })
    }

    /// Every resource of `kind`, as SCIM shows it, in id order.
    async fn resources(&self, kind: Kind) -> Result<Vec<Value>, Error> {
        let stores = self.services.stores();
        let base = self.base_url();
        let groups = stores.groups.list().await?;
        Ok(match kind {
            Kind::User => {
                let of = resource::group::by_member(&groups);
                stores
                    .users
                    .list()
                    .await?
                    .into_iter()
                    .map(|u| {
                        let mine = of.get(u.inum.as_str()).map_or(&[][..], Vec::as_slice);
                        resource::user::to_scim_owned(u, mine, &base)
                    })
                    .collect()
            }
            Kind::Group => groups
                .iter()
                .map(|g| resource::group::to_scim(g, &base))
                .collect(),
            Kind::Device(family) => stores
                .fido2
                .all()
                .await?
                .iter()
                .filter(|r| resource::device::Family::of(r) == family)
                .map(|r| resource::device::to_scim(r, &base))
                .collect(),
        })
    }

    /// The users `query`'s filter matches, as SCIM shows them, read a page at a time: what
    /// is held is one page and the matches, whatever the number of users.
    async fn scan_users(&self, query: &list::Query) -> Result<Vec<Value>, Error> {
        const PAGE: usize = 256;
        let stores = self.services.stores();
        let base = self.base_url();
        let groups = stores.groups.list().await?;
        let of = resource::group::by_member(&groups);
        let mut found = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (page, next) = stores.users.page(after.as_deref(), PAGE).await?;
            for u in page {
                let mine = of.get(u.inum.as_str()).map_or(&[][..], Vec::as_slice);
                let r = resource::user::to_scim_owned(u, mine, &base);
                if query.filter().is_none_or(|f| filter::eval(f, &r)) {
                    found.push(r);
                }
            }
            match next {
                Some(n) => after = Some(n),
                None => return Ok(found),
            }
        }
    }

    /// The resources of `kind` whose keys pass `filter`, in id order, read through the
    /// store's indexes; `None` when they are more than [`MAX_KEYED`] (the paged scan answers
    /// then, holding one page at a time).
    async fn keyed(
        &self,
        kind: Kind,
        filter: &crate::store::document::Filter,
    ) -> Result<Option<Vec<Value>>, Error> {
        let stores = self.services.stores();
        let base = self.base_url();
        Ok(match kind {
            Kind::User => {
                // The users and their groups in one read where the store joins.
                let users = stores
                    .groups
                    .users_with_groups(&stores.users, filter, MAX_KEYED + 1)
                    .await?;
                (users.len() <= MAX_KEYED).then(|| {
                    users
                        .into_iter()
                        .map(|(u, groups)| {
                            let mine: Vec<&crate::repo::group::Group> = groups.iter().collect();
                            resource::user::to_scim_owned(u, &mine, &base)
                        })
                        .collect()
                })
            }
            Kind::Group => {
                let groups = stores.groups.query(filter, MAX_KEYED + 1).await?;
                (groups.len() <= MAX_KEYED).then(|| {
                    groups
                        .iter()
                        .map(|(_, g)| resource::group::to_scim(g, &base))
                        .collect()
                })
            }
            Kind::Device(_) => None,
        })
    }

    /// A query over the resources of `kind` (RFC 7644 §3.4.2): those its filter can match,
    /// read as [`plan::plan`] says, then judged and paged.
    async fn query(
        &self,
        kind: Kind,
        params: &list::QueryParams,
        owner: Option<&str>,
    ) -> Result<Response, Error> {
        let schemas = self.schemas_of(kind)?;
        let max = self.services.config().scim_configuration.max_count;
        let query = list::Query::new(params, &schemas, max)?;
        // In id order, once each, as a scan reads them.
        let in_id_order = |mut found: Vec<Value>| {
            found.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
            found.dedup_by(|a, b| a["id"] == b["id"]);
            found
        };
        // The resources read, and whether the filter has judged them already.
        let indexed = match kind {
            Kind::User => plan::Indexed::Users,
            Kind::Group => plan::Indexed::Groups,
            Kind::Device(_) => plan::Indexed::Nothing,
        };
        let keyed = match plan::plan(query.filter(), indexed) {
            plan::Plan::Ids(ids) => {
                let mut found = Vec::new();
                for id in ids {
                    if let Some(r) = self.resource(kind, &id).await? {
                        found.push(r);
                    }
                }
                Some(in_id_order(found))
            }
            plan::Plan::Keys(filter) => self.keyed(kind, &filter).await?,
            plan::Plan::Scan => None,
        };
        let (mut all, matched) = match keyed {
            Some(found) => (found, false),
            None if kind == Kind::User => (self.scan_users(&query).await?, true),
            None => (self.resources(kind).await?, false),
        };
        if let Some(owner) = owner {
            all.retain(|r| r.get("userId").and_then(Value::as_str) == Some(owner));
        }
        Ok(scim(
            200,
            if matched {
                query.answer_matched(all, &schemas)
            } else {
                query.answer(all, &schemas)
            },
        ))
    }

    /// `/Me` (RFC 7644 §3.11): `/Users/{id}` for the user the bearer token was issued to,
    /// with the same methods and scopes; a token of no user (a client's own) is 404.
    async fn me(&self, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
        let scope = match req.method {
            Method::Get => Kind::User.read_scope(),
            _ => Kind::User.write_scope(),
        };
        let caller = protection::authorize(&self.services, req, scope, ctx).await?;
        let user = match caller.subject {
            Some(sub) if sub != caller.client_id => self.services.stores().users.get(&sub).await?,
            _ => None,
        };
        let Some(user) = user else {
            return Ok(Response::error(ScimError::status(
                404,
                "the bearer token was issued to no user",
            )));
        };
        let location = format!("{}/Users/{}", self.base_url(), user.inum);
        let endpoint = ScimEndpoint::User(user.inum);
        let response = Box::pin(self.handle(&endpoint, req, ctx)).await?;
        // RFC 7644 §3.11: the answer names the resource's own location.
        Ok(match req.method {
            Method::Get | Method::Put | Method::Patch if response.status() == 200 => {
                response.header("location", location)
            }
            _ => response,
        })
    }

    /// A query across users and groups (the root `/.search`).
    async fn query_all(&self, params: &list::QueryParams) -> Result<Response, Error> {
        let users = self.user_schemas()?;
        let groups = schema::ResourceSchemas::groups();
        let max = self.services.config().scim_configuration.max_count;
        let types = vec![
            (&users, self.resources(Kind::User).await?),
            (&groups, self.resources(Kind::Group).await?),
        ];
        Ok(scim(200, list::answer_across(params, types, max)?))
    }

    /// The schemas of users, with the configured custom attributes.
    fn user_schemas(&self) -> Result<schema::ResourceSchemas, Error> {
        schema::ResourceSchemas::users(&self.services.config().scim_configuration.custom_attributes)
            .map_err(Error::Internal)
    }
}
