//! The trust relationships through the admin routes this component contributes under
//! `/jans-config-api/kc/saml/` (Janssen's kc-saml plugin, `TrustRelationshipResource`):
//!
//! - `GET trust-relationship` lists every one, `GET trust-relationship/id/{inum}` one;
//! - `POST trust-relationship/upload` creates one from `multipart/form-data` (RFC 7578):
//!   the part `trustRelationship`, its JSON, and the part `metaDataFile`, the SP's
//!   metadata (`spMetaDataSourceType` `file`; `url` fetches `spMetaDataURL` when no file
//!   is sent; `manual` takes no file: `samlMetadata` says what the SP is, with no keys);
//! - `PUT trust-relationship/upload` changes the one whose `inum` the JSON names, the
//!   members sent replacing the stored ones, a new file read again;
//! - `DELETE trust-relationship/{inum}` removes one;
//! - `GET trust-relationship/sp-metadata-file/{inum}` answers the SP metadata document
//!   kept.
//!
//! Shown as Janssen's `TrustRelationship` JSON (with `dn`), never the kept document.
//! Scopes are Janssen's `saml.readonly` and `saml.write`, with the config API's super
//! scopes; writes are audited; refusals are `ApiError`s.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::SamlServer;
use super::trust::{MAX_METADATA, relationship};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::management::multipart::{self, Form};
use crate::management::protection::{DELETE_ALL, READ_ALL, WRITE_ALL};
use crate::management::{audit, protection};
use crate::repo::attribute::Attribute;
use crate::repo::saml::{
    MetadataSource, ProfileConfiguration, SamlMetadataSummary, SpEndpoint, SpMetadata,
    TrustRelationship, TrustStatus,
};
use crate::request::{Method, Request, SamlEndpoint};
use crate::response::{Body, Response};

/// Janssen's scope reading trust relationships.
pub const SAML_READ: &str = "https://jans.io/oauth/config/saml.readonly";
/// Janssen's scope writing (and deleting) them.
pub const SAML_WRITE: &str = "https://jans.io/oauth/config/saml.write";

/// The scopes that may read trust relationships.
pub const ADMIN_READ: [&str; 4] = [SAML_READ, SAML_WRITE, READ_ALL, WRITE_ALL];
/// The scopes that may create and change them.
pub const ADMIN_WRITE: [&str; 2] = [SAML_WRITE, WRITE_ALL];
/// The scopes that may remove one (Janssen's plugin asks `saml.write`).
pub const ADMIN_DELETE: [&str; 3] = [SAML_WRITE, WRITE_ALL, DELETE_ALL];

/// What the audit log names the resource.
const RESOURCE: &str = "kc/saml/trust-relationship";
/// The part holding the relationship's JSON.
const JSON_PART: &str = "trustRelationship";
/// The part holding the SP's metadata document.
const FILE_PART: &str = "metaDataFile";
/// Most released attributes, redirect URIs and profile configurations of one.
const MAX_RELEASED: usize = 256;
const MAX_REDIRECT_URIS: usize = 64;
const MAX_PROFILES: usize = 16;
/// Longest URL accepted.
const MAX_URL: usize = 2048;

fn refused(status: u16, why: impl Into<String>) -> Error {
    Error::Admin(AdminError::new(status, why))
}

/// Janssen's 404 for an unknown relationship.
fn not_found(id: &str) -> Error {
    Error::Admin(AdminError {
        message: "Trust relationship not found".to_owned(),
        ..AdminError::new(
            404,
            format!("The TrustRelationship with id '{id}' was not found"),
        )
    })
}

/// Janssen's DN of the relationship `inum`.
fn dn(inum: &str) -> String {
    format!("inum={inum},ou=trustRelationships,o=jans")
}

/// Janssen's DN of the attribute `inum`: how released attributes are named.
fn attribute_dn(inum: &str) -> String {
    format!("inum={inum},ou=attributes,o=jans")
}

/// A relationship as Janssen's JSON shows it: with its `dn` (and `baseDn`), and
/// `spMetaDataFN` for a kept file; without the document itself.
pub(super) fn shown(tr: &TrustRelationship) -> Result<Value, Error> {
    let mut v = serde_json::to_value(tr)
        .map_err(|e| Error::Internal(format!("a trust relationship as JSON: {e}")))?;
    if let Value::Object(m) = &mut v {
        m.remove("spMetaDataXml");
        m.insert("dn".to_owned(), dn(&tr.inum).into());
        m.insert("baseDn".to_owned(), dn(&tr.inum).into());
        if tr.metadata_source == MetadataSource::File && tr.sp_metadata_xml.is_some() {
            let file = format!("{}_sp-metadata.xml", tr.inum.replace('-', ""));
            m.insert("spMetaDataFN".to_owned(), file.into());
        }
    }
    Ok(v)
}

/// Janssen's `SAMLMetadata` as sent: every member optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct SentMetadata {
    #[serde(rename = "entityId")]
    entity_id: Option<String>,
    #[serde(rename = "nameIDPolicyFormat")]
    name_id_policy_format: Option<String>,
    #[serde(rename = "jansAssertionConsumerServiceGetURL")]
    acs_get_url: Option<String>,
    #[serde(rename = "jansAssertionConsumerServicePostURL")]
    acs_post_url: Option<String>,
    #[serde(rename = "singleLogoutServiceUrl")]
    single_logout_service_url: Option<String>,
}

/// The part `trustRelationship`: Janssen's `TrustRelationship` JSON, each member
/// optional (absent: the stored value, or the default, stays). What the server decides
/// (`dn`, `validationStatus`, `spMetaDataFN`, ..) is ignored when sent back.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Sent {
    inum: Option<String>,
    name: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
    owner: Option<String>,
    #[serde(rename = "spMetaDataSourceType")]
    source: Option<MetadataSource>,
    #[serde(rename = "spMetaDataURL")]
    metadata_url: Option<String>,
    saml_metadata: Option<SentMetadata>,
    released_attributes: Option<Vec<String>>,
    #[serde(rename = "spLogoutURL")]
    sp_logout_url: Option<String>,
    redirect_uris: Option<Vec<String>>,
    status: Option<TrustStatus>,
    profile_configurations: Option<BTreeMap<String, ProfileConfiguration>>,
    sign_assertions: Option<bool>,
    sign_responses: Option<bool>,
    encrypt_assertions: Option<bool>,
    signature_algorithm: Option<String>,
    idp_initiated: Option<bool>,
}

/// What an upload sent: the relationship's JSON and the SP metadata document, if any.
struct Upload {
    sent: Sent,
    file: Option<String>,
}

/// The form of an upload (RFC 7578), read and bounded.
fn upload(req: &Request) -> Result<Upload, Error> {
    if req.body.len() > super::paths::MAX_UPLOAD {
        return Err(refused(
            413,
            format!(
                "the upload is larger than {} bytes",
                super::paths::MAX_UPLOAD
            ),
        ));
    }
    let content_type = req
        .content_type
        .as_deref()
        .filter(|ct| multipart::is_form_data(Some(ct)))
        .ok_or_else(|| {
            refused(
                415,
                format!(
                    "the body is multipart/form-data: the part {JSON_PART} (the trust \
                     relationship's JSON) and the part {FILE_PART} (the SP's metadata)"
                ),
            )
        })?;
    let form: Form<'_> = multipart::parse(content_type, &req.body, multipart::MAX_PARTS)
        .map_err(|e| refused(400, e.to_string()))?;
    let bad = |e: multipart::MultipartError| refused(400, e.to_string());
    let json = form
        .get(JSON_PART)
        .map_err(bad)?
        .ok_or_else(|| refused(400, format!("the part {JSON_PART} is required")))?;
    let value: Value = serde_json::from_slice(json.body)
        .map_err(|e| refused(400, format!("the part {JSON_PART} is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(refused(
            400,
            format!("the part {JSON_PART} is a JSON object"),
        ));
    }
    let sent: Sent = serde_json::from_value(value)
        .map_err(|e| refused(400, format!("the part {JSON_PART}: {e}")))?;
    let file = match form.get(FILE_PART).map_err(bad)? {
        Some(p) if !p.body.iter().all(u8::is_ascii_whitespace) => {
            if p.body.len() > MAX_METADATA {
                return Err(refused(
                    400,
                    format!("the SP metadata file is larger than {MAX_METADATA} bytes"),
                ));
            }
            let text = std::str::from_utf8(p.body)
                .map_err(|_| refused(400, "SP metadata refused: it is not UTF-8"))?;
            Some(text.strip_prefix('\u{feff}').unwrap_or(text).to_owned())
        }
        _ => None,
    };
    Ok(Upload { sent, file })
}

/// `s` when it is an absolute http(s) URL, else a 400 naming `member`.
fn http_url(member: &str, s: &str) -> Result<String, Error> {
    let ok = s.len() <= MAX_URL
        && url::Url::parse(s)
            .ok()
            .is_some_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
    if ok {
        Ok(s.to_owned())
    } else {
        Err(refused(
            400,
            format!("{member} is not an http(s) URL: {s:?}"),
        ))
    }
}

/// A text member of at most `max` characters.
fn bounded(member: &str, s: &str, max: usize) -> Result<String, Error> {
    if s.chars().count() > max {
        return Err(refused(
            400,
            format!("{member} has more than {max} characters"),
        ));
    }
    Ok(s.to_owned())
}

/// The `NameID` format `f`, if the IdP issues it.
fn name_id_format(f: &str) -> Result<String, Error> {
    if super::NAMEID_FORMATS.contains(&f) {
        Ok(f.to_owned())
    } else {
        Err(refused(
            400,
            format!(
                "samlMetadata.nameIDPolicyFormat must be one of {}",
                super::NAMEID_FORMATS.join(", ")
            ),
        ))
    }
}

/// The SP as `samlMetadata` describes it (Janssen's `manual` source): its entity id,
/// assertion consumer URLs (HTTP-POST required, what answers go to), logout URL and
/// `NameID` format; no keys, so its requests are taken unsigned.
fn manual_metadata(sent: &SentMetadata) -> Result<(SamlMetadataSummary, SpMetadata), Error> {
    let required = |v: &Option<String>, member: &str| {
        v.clone().filter(|s| !s.is_empty()).ok_or_else(|| {
            refused(
                400,
                format!("samlMetadata.{member} is required when spMetaDataSourceType is manual"),
            )
        })
    };
    let entity_id = bounded(
        "samlMetadata.entityId",
        &required(&sent.entity_id, "entityId")?,
        1024,
    )?;
    let format = name_id_format(&required(
        &sent.name_id_policy_format,
        "nameIDPolicyFormat",
    )?)?;
    let post = http_url(
        "samlMetadata.jansAssertionConsumerServicePostURL",
        &required(&sent.acs_post_url, "jansAssertionConsumerServicePostURL")?,
    )?;
    let get = match sent.acs_get_url.as_deref().filter(|s| !s.is_empty()) {
        Some(u) => Some(http_url(
            "samlMetadata.jansAssertionConsumerServiceGetURL",
            u,
        )?),
        None => None,
    };
    let slo = http_url(
        "samlMetadata.singleLogoutServiceUrl",
        &required(&sent.single_logout_service_url, "singleLogoutServiceUrl")?,
    )?;
    let endpoint = |binding: &str, location: &str, index: Option<u16>| SpEndpoint {
        binding: binding.to_owned(),
        location: location.to_owned(),
        response_location: None,
        index,
        is_default: index == Some(0),
    };
    let mut acs = vec![endpoint(super::BINDING_POST, &post, Some(0))];
    if let Some(g) = &get {
        acs.push(endpoint(super::BINDING_REDIRECT, g, Some(1)));
    }
    let md = SpMetadata {
        entity_id: entity_id.clone(),
        assertion_consumer_services: acs,
        single_logout_services: vec![endpoint(super::BINDING_REDIRECT, &slo, None)],
        name_id_formats: vec![format.clone()],
        ..SpMetadata::default()
    };
    let summary = SamlMetadataSummary {
        entity_id,
        name_id_policy_format: format,
        acs_get_url: get,
        acs_post_url: Some(post),
        single_logout_service_url: Some(slo),
    };
    Ok((summary, md))
}

/// The attributes `names` name (attribute DNs, inums or names), as Janssen names released
/// attributes: their DNs. An unknown one is refused when `strict`, else left out.
fn released(
    names: &[String],
    attributes: &[Attribute],
    strict: bool,
) -> Result<Vec<String>, Error> {
    if names.len() > MAX_RELEASED {
        return Err(refused(
            400,
            format!("releasedAttributes has more than {MAX_RELEASED} entries"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for r in names {
        let inum = r
            .strip_prefix("inum=")
            .and_then(|rest| rest.strip_suffix(",ou=attributes,o=jans"))
            .unwrap_or(r);
        match attributes.iter().find(|a| a.inum == inum || a.name == *r) {
            Some(a) => {
                let dn = attribute_dn(&a.inum);
                if !out.contains(&dn) {
                    out.push(dn);
                }
            }
            None if strict => {
                return Err(refused(
                    400,
                    format!("releasedAttributes: no attribute {r:?}"),
                ));
            }
            None => {}
        }
    }
    Ok(out)
}

/// `sent`'s settings over `tr` (the members sent replace the stored ones).
fn apply(tr: &mut TrustRelationship, sent: &Sent) -> Result<(), Error> {
    if let Some(n) = &sent.name {
        if n.is_empty() {
            return Err(refused(400, "name must have 1 to 60 characters"));
        }
        tr.name = bounded("name", n, 60)?;
    }
    if let Some(d) = &sent.display_name {
        tr.display_name = bounded("displayName", d, 60)?;
    }
    if let Some(d) = &sent.description {
        tr.description = bounded("description", d, 4000)?;
    }
    if let Some(o) = &sent.owner {
        tr.owner = Some(bounded("owner", o, 256)?).filter(|o| !o.is_empty());
    }
    if let Some(e) = sent.enabled {
        tr.enabled = e;
    }
    if let Some(s) = sent.status {
        tr.status = s;
    }
    if let Some(v) = sent.sign_assertions {
        tr.sign_assertions = v;
    }
    if let Some(v) = sent.sign_responses {
        tr.sign_responses = v;
    }
    if let Some(v) = sent.encrypt_assertions {
        tr.encrypt_assertions = v;
    }
    if let Some(v) = sent.idp_initiated {
        tr.idp_initiated = v;
    }
    if let Some(a) = &sent.signature_algorithm {
        if !matches!(a.as_str(), "RS256" | "ES256") {
            return Err(refused(400, "signatureAlgorithm is RS256 or ES256"));
        }
        a.clone_into(&mut tr.signature_algorithm);
    }
    if let Some(u) = &sent.sp_logout_url {
        tr.sp_logout_url = match u.as_str() {
            "" => None,
            u => Some(http_url("spLogoutURL", u)?),
        };
    }
    if let Some(uris) = &sent.redirect_uris {
        if uris.len() > MAX_REDIRECT_URIS {
            return Err(refused(
                400,
                format!("redirectUris has more than {MAX_REDIRECT_URIS} entries"),
            ));
        }
        tr.redirect_uris = uris
            .iter()
            .map(|u| http_url("redirectUris", u))
            .collect::<Result<_, _>>()?;
    }
    if let Some(p) = &sent.profile_configurations {
        if p.len() > MAX_PROFILES
            || p.iter().any(|(k, v)| {
                k.chars().count() > 128
                    || v.name.chars().count() > 128
                    || v.sign_responses
                        .as_ref()
                        .is_some_and(|s| s.chars().count() > 128)
            })
        {
            return Err(refused(
                400,
                format!(
                    "profileConfigurations has at most {MAX_PROFILES} entries of at most 128 \
                     characters each"
                ),
            ));
        }
        tr.profile_configurations = p.clone();
    }
    // The NameID format the SP gets, for metadata read from a document (a manual one's
    // is its own).
    if tr.metadata_source != MetadataSource::Manual
        && let Some(f) = sent
            .saml_metadata
            .as_ref()
            .and_then(|m| m.name_id_policy_format.as_deref())
            .filter(|f| !f.is_empty())
    {
        tr.saml_metadata.name_id_policy_format = name_id_format(f)?;
    }
    Ok(())
}

impl SamlServer {
    /// Serve one of the trust relationships' admin routes.
    pub(super) async fn handle_admin(
        &self,
        endpoint: &SamlEndpoint,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let allowed = match endpoint {
            SamlEndpoint::TrustRelationshipUpload => "POST, PUT",
            SamlEndpoint::TrustRelationship(_) => "DELETE",
            _ => "GET",
        };
        if !req.method.is_in(allowed) {
            return Ok(Response::error(AdminError::new(
                405,
                format!("this endpoint answers {allowed} only"),
            ))
            .header("allow", allowed));
        }
        let services = &self.services;
        match endpoint {
            SamlEndpoint::TrustRelationships => {
                protection::authorize(services, req, &ADMIN_READ, ctx).await?;
                let all = self
                    .list_sps()
                    .await?
                    .iter()
                    .map(shown)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Response::json(Value::Array(all)))
            }
            SamlEndpoint::TrustRelationshipById(id) => {
                protection::authorize(services, req, &ADMIN_READ, ctx).await?;
                let tr = self.get_sp(id).await?.ok_or_else(|| not_found(id))?;
                Ok(Response::json(shown(&tr)?))
            }
            SamlEndpoint::SpMetadataFile(id) => {
                protection::authorize(services, req, &ADMIN_READ, ctx).await?;
                let tr = self.get_sp(id).await?.ok_or_else(|| not_found(id))?;
                if tr.metadata_source != MetadataSource::File {
                    return Err(refused(
                        400,
                        "TrustRelationship metadatasource type isn't a FILE",
                    ));
                }
                let xml = tr.sp_metadata_xml.ok_or_else(|| {
                    refused(
                        404,
                        format!("no SP metadata file is kept for the trust relationship {id}"),
                    )
                })?;
                Ok(Response::with_body(Body::Xml {
                    content_type: "application/xml",
                    xml,
                }))
            }
            SamlEndpoint::TrustRelationship(id) => {
                let caller = protection::authorize(services, req, &ADMIN_DELETE, ctx).await?;
                if !self.remove_sp(id).await? {
                    return Err(not_found(id));
                }
                audit::record(services, &caller, ctx, (RESOURCE, id, "delete"), None).await;
                Ok(Response::with_body(Body::NoContent))
            }
            SamlEndpoint::TrustRelationshipUpload if req.method == Method::Post => {
                let caller = protection::authorize(services, req, &ADMIN_WRITE, ctx).await?;
                let tr = self.create(upload(req)?, ctx).await?;
                audit::record(services, &caller, ctx, (RESOURCE, &tr.inum, "create"), None).await;
                Ok(Response::with_body(Body::Created(shown(&tr)?)))
            }
            SamlEndpoint::TrustRelationshipUpload => {
                let caller = protection::authorize(services, req, &ADMIN_WRITE, ctx).await?;
                let tr = self.change(upload(req)?, ctx).await?;
                audit::record(
                    services,
                    &caller,
                    ctx,
                    (RESOURCE, &tr.inum, "replace"),
                    None,
                )
                .await;
                Ok(Response::json(shown(&tr)?))
            }
            _ => Err(Error::Internal(
                "not a trust relationship admin route".into(),
            )),
        }
    }

    /// The released attributes `sent` names, as DNs (unknown ones refused); `None` when it
    /// names none.
    async fn sent_released(&self, sent: &Sent) -> Result<Option<Vec<String>>, Error> {
        let Some(names) = &sent.released_attributes else {
            return Ok(None);
        };
        let attributes = self.services.stores().attributes.list().await?;
        released(names, &attributes, true).map(Some)
    }

    /// `POST upload`: a new relationship from what was uploaded.
    async fn create(&self, up: Upload, ctx: &Ctx) -> Result<TrustRelationship, Error> {
        let Upload { sent, file } = up;
        let name = sent
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| refused(400, "name is required"))?;
        let source = sent.source.unwrap_or_default();
        let url = sent.metadata_url.as_deref().filter(|u| !u.is_empty());
        let mut tr = match (source, file) {
            (MetadataSource::Manual, Some(_)) => {
                return Err(refused(400, "SP MetaData File should not be provided!"));
            }
            (MetadataSource::Manual, None) => {
                let sent_md = sent.saml_metadata.clone().unwrap_or_default();
                let (summary, md) = manual_metadata(&sent_md)?;
                let mut tr = relationship(name.clone(), summary, md, ctx)?;
                tr.metadata_source = MetadataSource::Manual;
                tr
            }
            (MetadataSource::File, None) => {
                return Err(refused(400, "SP MetaData File should not be null!"));
            }
            (MetadataSource::Url, None) => {
                let url = url.ok_or_else(|| {
                    refused(
                        400,
                        "spMetaDataURL is required when spMetaDataSourceType is url and no \
                         file is sent",
                    )
                })?;
                let xml = self.fetch_metadata(url).await?;
                self.new_sp(&xml, Some(&name), source, Some(url), ctx)?
            }
            (source, Some(xml)) => self.new_sp(&xml, Some(&name), source, url, ctx)?,
        };
        apply(&mut tr, &sent)?;
        // Janssen's plugin names released attributes by DN; the defaults too.
        let attributes = self.services.stores().attributes.list().await?;
        tr.released_attributes = match &sent.released_attributes {
            Some(names) => released(names, &attributes, true)?,
            None => released(&tr.released_attributes, &attributes, false)?,
        };
        self.insert_sp(&tr).await?;
        Ok(tr)
    }

    /// `PUT upload`: the relationship the JSON's `inum` names, changed by what was
    /// uploaded (a new file read again).
    async fn change(&self, up: Upload, ctx: &Ctx) -> Result<TrustRelationship, Error> {
        let Upload { sent, file } = up;
        let inum = sent
            .inum
            .clone()
            .filter(|i| !i.is_empty())
            .ok_or_else(|| refused(400, "inum is required: it names the trust relationship"))?;
        let Some((revision, mut tr)) = self.relationships().get_revision(&inum).await? else {
            return Err(not_found(&inum));
        };
        let source = sent.source.unwrap_or(tr.metadata_source);
        let url = sent
            .metadata_url
            .clone()
            .filter(|u| !u.is_empty())
            .or_else(|| tr.metadata_url.clone());
        let document = match (source, file) {
            (MetadataSource::Manual, Some(_)) => {
                return Err(refused(400, "SP MetaData File should not be provided!"));
            }
            (MetadataSource::Manual, None) => {
                let sent_md = match (&sent.saml_metadata, tr.metadata_source) {
                    (Some(m), _) => m.clone(),
                    // Unchanged.
                    (None, MetadataSource::Manual) => SentMetadata {
                        entity_id: Some(tr.saml_metadata.entity_id.clone()),
                        name_id_policy_format: Some(tr.saml_metadata.name_id_policy_format.clone()),
                        acs_get_url: tr.saml_metadata.acs_get_url.clone(),
                        acs_post_url: tr.saml_metadata.acs_post_url.clone(),
                        single_logout_service_url: tr
                            .saml_metadata
                            .single_logout_service_url
                            .clone(),
                    },
                    (None, _) => SentMetadata::default(),
                };
                let (summary, md) = manual_metadata(&sent_md)?;
                tr.saml_metadata = summary;
                tr.sp_metadata = md;
                tr.sp_metadata_xml = None;
                tr.validation_status = None;
                tr.metadata_url = None;
                None
            }
            // Switching to a file needs one; a file-sourced relationship keeps its own.
            (MetadataSource::File, None) if tr.metadata_source != MetadataSource::File => {
                return Err(refused(400, "SP MetaData File should not be null!"));
            }
            (MetadataSource::Url, None)
                if tr.metadata_source != MetadataSource::Url
                    || tr.sp_metadata_xml.is_none()
                    || url != tr.metadata_url =>
            {
                let url = url.clone().ok_or_else(|| {
                    refused(
                        400,
                        "spMetaDataURL is required when spMetaDataSourceType is url and no \
                         file is sent",
                    )
                })?;
                Some(self.fetch_metadata(&url).await?)
            }
            // The document kept stays.
            (_, None) => None,
            (_, Some(xml)) => Some(xml),
        };
        if let Some(xml) = document {
            let fresh = self.new_sp(&xml, Some(&tr.name), source, None, ctx)?;
            let format = std::mem::take(&mut tr.saml_metadata.name_id_policy_format);
            tr.saml_metadata = fresh.saml_metadata;
            if super::NAMEID_FORMATS.contains(&format.as_str()) {
                tr.saml_metadata.name_id_policy_format = format;
            }
            tr.sp_metadata = fresh.sp_metadata;
            tr.sp_metadata_xml = fresh.sp_metadata_xml;
            tr.validation_status = fresh.validation_status;
            tr.validation_log.clear();
        }
        if source != MetadataSource::Manual {
            tr.metadata_url = if source == MetadataSource::Url {
                url
            } else {
                sent.metadata_url
                    .clone()
                    .filter(|u| !u.is_empty())
                    .or(tr.metadata_url)
            };
        }
        tr.metadata_source = source;
        apply(&mut tr, &sent)?;
        if let Some(r) = self.sent_released(&sent).await? {
            tr.released_attributes = r;
        }
        self.update_sp_at(&tr, revision).await?;
        Ok(tr)
    }
}
