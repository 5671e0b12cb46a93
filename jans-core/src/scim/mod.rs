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
//! The endpoints come on top of these.

pub mod attributes;
pub mod datetime;
pub mod discovery;
pub mod filter;
pub mod list;
pub mod patch;
pub mod schema;
