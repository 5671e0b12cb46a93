//! Resource registration (UMA 2.0 Federated Authorization §3) at
//! `/jans-auth/restv1/host/rsrc/resource_set`, with a PAT: `POST` registers a resource
//! description (201, `{"_id"}` and `Location`), `GET` lists the ids of the owner's
//! resources (Janssen's `?scope=` keeps those with that scope), and on `/{rsid}` `GET`
//! reads one, `PUT` replaces its description (200, `{"_id"}`) and `DELETE` removes it
//! (204). A resource is its owner's: another owner's PAT finds nothing (404
//! `not_found`); with `umaRestrictResourceToAssociatedClient`, only the client that
//! registered it reaches it. It lives `umaResourceLifetime` seconds unless its
//! description gives an `exp`.

use serde_json::{Map, Value, json};

use crate::ctx::{Ctx, UnixTime};
use crate::error::Error;
use crate::error::uma::{UmaError, UmaErrorCode};
use crate::repo::uma_resource::UmaResource;
use crate::request::Request;
use crate::response::{Body, Response};
use crate::services::Services;
use crate::store::StoreError;

use super::Protection;
use super::paths::RESOURCE_SET;

/// Longest name, type and description, in characters.
const MAX_TEXT: usize = 4096;

/// Most scopes a resource names.
const MAX_SCOPES: usize = 100;

/// Attempts at a replacement that keeps losing a race with another.
const ATTEMPTS: usize = 8;

/// A resource description as registered (Federated Authorization §3.1), checked.
struct Description {
    name: Option<String>,
    icon_uri: Option<String>,
    kind: Option<String>,
    resource_scopes: Vec<String>,
    scope_expression: Option<Value>,
    description: Option<String>,
    exp: Option<UnixTime>,
}

fn invalid(why: impl Into<String>) -> Error {
    UmaError::new(UmaErrorCode::InvalidRequest, why).into()
}

fn text(m: &Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= MAX_TEXT => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(invalid(format!("{name} is longer than {MAX_TEXT}"))),
        Some(_) => Err(invalid(format!("{name} is a string"))),
    }
}

impl Description {
    /// The description in `req`'s body; a 400 `invalid_request` naming what is wrong.
    fn parse(req: &Request, now: UnixTime) -> Result<Description, Error> {
        let body: Value = serde_json::from_slice(&req.body)
            .map_err(|e| invalid(format!("the body is not JSON: {e}")))?;
        let m = body
            .as_object()
            .ok_or_else(|| invalid("the body is a resource description (a JSON object)"))?;
        let mut resource_scopes = match m.get("resource_scopes") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .filter(|s| !s.is_empty() && s.len() <= 2048)
                        .map(str::to_owned)
                        .ok_or_else(|| invalid("resource_scopes holds scopes (non-empty strings)"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(invalid("resource_scopes is an array of scopes")),
        };
        let scope_expression = match m.get("scope_expression") {
            None | Some(Value::Null) => None,
            Some(e) => {
                let named = super::scope_expression::check(e).map_err(invalid)?;
                for s in named {
                    if !resource_scopes.contains(&s) {
                        resource_scopes.push(s);
                    }
                }
                Some(e.clone())
            }
        };
        if resource_scopes.is_empty() {
            return Err(invalid(
                "resource_scopes is required: the scopes the resource may be accessed with",
            ));
        }
        if resource_scopes.len() > MAX_SCOPES {
            return Err(invalid(format!("at most {MAX_SCOPES} resource_scopes")));
        }
        let icon_uri = text(m, "icon_uri")?;
        if let Some(u) = &icon_uri
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err(invalid("icon_uri is an http(s) URI"));
        }
        let exp = match m.get("exp") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(e) if e > now => Some(e),
                _ => return Err(invalid("exp is a time (seconds since the epoch) to come")),
            },
        };
        Ok(Description {
            name: text(m, "name")?,
            icon_uri,
            kind: text(m, "type")?,
            resource_scopes,
            scope_expression,
            description: text(m, "description")?,
            exp,
        })
    }

    /// `resource` described by this, its ids and registration time kept.
    fn apply(self, resource: &mut UmaResource, lifetime: u64) {
        resource.name = self.name;
        resource.icon_uri = self.icon_uri;
        resource.kind = self.kind;
        resource.resource_scopes = self.resource_scopes;
        resource.scope_expression = self.scope_expression;
        resource.description = self.description;
        resource.exp = self
            .exp
            .unwrap_or_else(|| resource.iat.saturating_add(lifetime));
    }
}

/// A resource as the registration API shows it (Janssen's `UmaResourceWithId`).
fn shown(r: &UmaResource) -> Value {
    let mut v = json!({
        "_id": r.id,
        "resource_scopes": r.resource_scopes,
        "iat": r.iat,
        "exp": r.exp,
    });
    if let Some(m) = v.as_object_mut() {
        for (name, value) in [
            ("name", &r.name),
            ("icon_uri", &r.icon_uri),
            ("type", &r.kind),
            ("description", &r.description),
        ] {
            if let Some(value) = value {
                m.insert(name.into(), value.as_str().into());
            }
        }
        if let Some(e) = &r.scope_expression {
            m.insert("scope_expression".into(), e.clone());
        }
    }
    v
}

/// The resources one PAT reaches.
pub(super) struct Registry<'a> {
    pub(super) services: &'a Services,
    pub(super) pat: &'a Protection,
}

impl Registry<'_> {
    fn not_found(rsid: &str) -> Error {
        UmaError::new(
            UmaErrorCode::NotFound,
            format!("no resource {rsid} of this resource owner"),
        )
        .into()
    }

    /// The live resource `rsid` this PAT reaches, with its revision.
    async fn get(&self, rsid: &str, now: UnixTime) -> Result<(u64, UmaResource), Error> {
        let found = self
            .services
            .stores()
            .uma_resources
            .get(&self.pat.owner, rsid, now)
            .await?;
        let restrict = self
            .services
            .config()
            .uma_restrict_resource_to_associated_client;
        found
            .filter(|(_, r)| !restrict || r.client_id == self.pat.client_id)
            .ok_or_else(|| Self::not_found(rsid))
    }

    /// `POST resource_set`.
    pub(super) async fn create(&self, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
        let d = Description::parse(req, ctx.now)?;
        let mut resource = UmaResource {
            id: crate::ctx::uuid_from(&ctx.random_bytes(16)),
            owner: self.pat.owner.clone(),
            owner_id: self.pat.owner_id.clone(),
            client_id: self.pat.client_id.clone(),
            name: None,
            icon_uri: None,
            kind: None,
            resource_scopes: Vec::new(),
            scope_expression: None,
            description: None,
            iat: ctx.now,
            exp: ctx.now,
        };
        d.apply(&mut resource, self.services.config().uma_resource_lifetime);
        self.services
            .stores()
            .uma_resources
            .insert(&resource)
            .await?;
        let location = self
            .services
            .config()
            .endpoint_url(&format!("{RESOURCE_SET}/{}", resource.id));
        Ok(
            Response::with_body(Body::JsonStatus(201, json!({"_id": resource.id})))
                .header("location", location),
        )
    }

    /// `GET resource_set`: the ids, in order; `?scope=` those with that scope.
    pub(super) async fn list(&self, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
        let scope = req
            .query
            .get("scope")
            .map_err(|_| invalid("scope is given more than once"))?;
        let restrict = self
            .services
            .config()
            .uma_restrict_resource_to_associated_client;
        let ids: Vec<Value> = self
            .services
            .stores()
            .uma_resources
            .of_owner(&self.pat.owner, ctx.now)
            .await?
            .into_iter()
            .filter(|r| !restrict || r.client_id == self.pat.client_id)
            .filter(|r| scope.is_none_or(|s| r.resource_scopes.iter().any(|x| x == s)))
            .map(|r| Value::String(r.id))
            .collect();
        Ok(Response::json(Value::Array(ids)))
    }

    /// `GET resource_set/{rsid}`.
    pub(super) async fn read(&self, rsid: &str, ctx: &Ctx) -> Result<Response, Error> {
        let (_, r) = self.get(rsid, ctx.now).await?;
        Ok(Response::json(shown(&r)))
    }

    /// `PUT resource_set/{rsid}`: the description replaced, by compare-and-set.
    pub(super) async fn update(
        &self,
        rsid: &str,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let lifetime = self.services.config().uma_resource_lifetime;
        for _ in 0..ATTEMPTS {
            let (revision, mut resource) = self.get(rsid, ctx.now).await?;
            Description::parse(req, ctx.now)?.apply(&mut resource, lifetime);
            match self
                .services
                .stores()
                .uma_resources
                .replace(&resource, revision)
                .await
            {
                Ok(()) => return Ok(Response::json(json!({"_id": rsid}))),
                Err(StoreError::Conflict) => continue,
                Err(StoreError::NotFound) => return Err(Self::not_found(rsid)),
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// `DELETE resource_set/{rsid}`.
    pub(super) async fn delete(&self, rsid: &str, ctx: &Ctx) -> Result<Response, Error> {
        self.get(rsid, ctx.now).await?;
        if !self
            .services
            .stores()
            .uma_resources
            .delete(&self.pat.owner, rsid)
            .await?
        {
            return Err(Self::not_found(rsid));
        }
        Ok(Response::with_body(Body::NoContent))
    }
}
