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
//! `Schemas`, `/.well-known/scim-configuration`); the resource endpoints come on top of the
//! parts above.

pub mod attributes;
pub mod datetime;
pub mod discovery;
pub mod filter;
pub mod list;
pub mod patch;
pub mod paths;
pub mod schema;

use std::sync::Arc;

use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::scim::ScimError;
use crate::request::{Method, Request, ScimEndpoint};
use crate::response::{Body, Response};
use crate::services::Services;

/// The SCIM component.
pub struct ScimServer {
    services: Arc<Services>,
}

impl std::fmt::Debug for ScimServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimServer").finish_non_exhaustive()
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
        let config = self.services.config();
        let users = schema::ResourceSchemas::users(&config.scim_configuration.custom_attributes)
            .map_err(Error::Internal)?;
        let mut all = vec![users.core];
        all.extend(users.extensions);
        all.push(schema::group());
        Ok(all)
    }

    /// Serve one request to `endpoint`.
    pub async fn handle(
        &self,
        endpoint: &ScimEndpoint,
        req: &Request,
        _ctx: &Ctx,
    ) -> Result<Response, Error> {
        if req.method != Method::Get {
            // RFC 9110 §15.5.6: 405 with `Allow`.
            return Ok(
                Response::error(ScimError::status(405, "this endpoint answers GET only"))
                    .header("allow", "GET"),
            );
        }
        let base = self.base_url();
        let not_found = |what: &str| {
            Ok(Response::error(ScimError::status(
                404,
                format!("no {what} here"),
            )))
        };
        match endpoint {
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
        }
    }
}
