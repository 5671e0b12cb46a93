//! Managing trust relationships (Janssen's SAML plugin of the config API): an SP added
//! from its metadata — a file, or a URL fetched through the outbound client — listed,
//! changed and removed; the metadata document is kept with it. Refusals are the config
//! API's errors (`AdminError`); the config API's routes over these are `saml::admin`'s.

use super::SamlServer;
use super::metadata::read_sp;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::repo::saml::{
    MetadataSource, SamlMetadataSummary, SpMetadata, TrustRelationship, TrustRelationships,
    TrustStatus, ValidationStatus,
};
use crate::store::StoreError;

/// Longest SP metadata document fetched or accepted.
pub const MAX_METADATA: usize = 256 * 1024;

fn refused(status: u16, why: impl Into<String>) -> Error {
    Error::Admin(AdminError::new(status, why))
}

/// Janssen's refusal of a second relationship named `name`.
pub(super) fn name_taken(name: &str) -> Error {
    Error::Admin(AdminError {
        message: "NAME_CONFLICT".to_owned(),
        ..AdminError::new(
            400,
            format!("Trust Relationship with same name `{name}` already exists!"),
        )
    })
}

/// A new relationship named `name` with the SP's metadata `md` and its `summary`, and
/// Janssen's defaults: enabled, persistent `NameID`s, assertions signed (RSA-SHA256) and
/// encrypted when the SP publishes an encryption key, the username and email released.
pub(super) fn relationship(
    name: String,
    summary: SamlMetadataSummary,
    md: SpMetadata,
    ctx: &Ctx,
) -> Result<TrustRelationship, Error> {
    if name.is_empty() || name.chars().count() > 60 {
        return Err(refused(400, "name must have 1 to 60 characters"));
    }
    Ok(TrustRelationship {
        inum: crate::ctx::uuid_from(&ctx.random_bytes(16)),
        display_name: name.clone(),
        name,
        description: String::new(),
        enabled: true,
        metadata_source: MetadataSource::File,
        metadata_url: None,
        saml_metadata: summary,
        released_attributes: vec!["uid".to_owned(), "mail".to_owned()],
        sign_assertions: true,
        sign_responses: false,
        encrypt_assertions: true,
        signature_algorithm: "RS256".to_owned(),
        idp_initiated: false,
        sp_metadata: md,
        owner: None,
        status: TrustStatus::Active,
        validation_status: None,
        validation_log: Vec::new(),
        sp_logout_url: None,
        redirect_uris: Vec::new(),
        profile_configurations: std::collections::BTreeMap::new(),
        sp_metadata_xml: None,
    })
}

impl SamlServer {
    pub(super) fn relationships(&self) -> TrustRelationships {
        TrustRelationships::new(self.services.stores().documents.clone())
    }

    /// A new trust relationship named `name` (the SP's entity id when `None`) from the SP
    /// metadata `xml`, with Janssen's defaults: enabled, persistent `NameID`s, assertions
    /// signed (RSA-SHA256) and encrypted when the SP publishes an encryption key, the
    /// username and email released.
    pub async fn add_sp(
        &self,
        xml: &str,
        name: Option<&str>,
        source: MetadataSource,
        url: Option<&str>,
        ctx: &Ctx,
    ) -> Result<TrustRelationship, Error> {
        let tr = self.new_sp(xml, name, source, url, ctx)?;
        self.insert_sp(&tr).await?;
        Ok(tr)
    }

    /// What [`SamlServer::add_sp`] would keep, not kept: the metadata read (refused with a
    /// 400 naming why) and Janssen's defaults, for a caller to adjust before
    /// [`SamlServer::insert_sp`].
    pub fn new_sp(
        &self,
        xml: &str,
        name: Option<&str>,
        source: MetadataSource,
        url: Option<&str>,
        ctx: &Ctx,
    ) -> Result<TrustRelationship, Error> {
        if xml.len() > MAX_METADATA {
            return Err(refused(
                400,
                format!("SP metadata refused: larger than {MAX_METADATA} bytes"),
            ));
        }
        let md = read_sp(xml).map_err(|e| refused(400, format!("SP metadata refused: {e}")))?;
        let first = |binding: &str| {
            md.assertion_consumer_services
                .iter()
                .find(|s| s.binding == binding)
                .map(|s| s.location.clone())
        };
        let summary = SamlMetadataSummary {
            entity_id: md.entity_id.clone(),
            name_id_policy_format: super::name_id::PERSISTENT.to_owned(),
            acs_get_url: first(super::BINDING_REDIRECT),
            acs_post_url: first(super::BINDING_POST),
            single_logout_service_url: md
                .single_logout_services
                .first()
                .map(|s| s.location.clone()),
        };
        let name = name.unwrap_or(&md.entity_id).to_owned();
        let mut tr = relationship(name, summary, md, ctx)?;
        tr.metadata_source = source;
        tr.metadata_url = url.map(str::to_owned);
        tr.validation_status = Some(ValidationStatus::Success);
        tr.sp_metadata_xml = Some(xml.to_owned());
        Ok(tr)
    }

    /// Keep the new relationship `tr`: refused (400) when its name or its SP has one
    /// already.
    pub async fn insert_sp(&self, tr: &TrustRelationship) -> Result<(), Error> {
        if self.list_sps().await?.iter().any(|t| t.name == tr.name) {
            return Err(name_taken(&tr.name));
        }
        match self.relationships().insert(tr).await {
            Err(StoreError::Conflict) => Err(self.taken(tr).await),
            other => other.map_err(Error::from),
        }
    }

    /// Why keeping `tr` met a conflict: its name or its SP's entity id is another's, or
    /// (neither) it changed meanwhile.
    pub(super) async fn taken(&self, tr: &TrustRelationship) -> Error {
        let other = |t: &TrustRelationship| t.inum != tr.inum;
        match self.relationships().by_name(&tr.name).await {
            Ok(Some(t)) if other(&t) => return name_taken(&tr.name),
            Err(e) => return e.into(),
            _ => {}
        }
        match self
            .relationships()
            .by_entity_id(&tr.sp_metadata.entity_id)
            .await
        {
            Ok(Some(t)) if other(&t) => refused(
                400,
                format!(
                    "the SP {} has a trust relationship already",
                    tr.sp_metadata.entity_id
                ),
            ),
            Err(e) => e.into(),
            _ => refused(409, "changed meanwhile; read it again"),
        }
    }

    /// A new trust relationship from the SP metadata at `url`, fetched through the
    /// outbound client (bounded, private addresses refused unless allowed).
    pub async fn add_sp_from_url(
        &self,
        url: &str,
        name: Option<&str>,
        ctx: &Ctx,
    ) -> Result<TrustRelationship, Error> {
        let xml = self.fetch_metadata(url).await?;
        self.add_sp(&xml, name, MetadataSource::Url, Some(url), ctx)
            .await
    }

    /// The SP metadata document at `url`, fetched through the outbound client (bounded,
    /// private addresses refused unless allowed); refusals are 400s.
    pub async fn fetch_metadata(&self, url: &str) -> Result<String, Error> {
        let parsed = url::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| refused(400, "the metadata URL is not an http(s) URL"))?;
        let policy = crate::outbound::AddressPolicy::of(&self.services.config());
        let fetched = self
            .services
            .http()
            .get_large(parsed.as_str(), &policy, MAX_METADATA)
            .await
            .map_err(|e| refused(400, format!("the metadata could not be fetched: {e}")))?;
        if fetched.status != 200 {
            return Err(refused(
                400,
                format!("the metadata URL answered {}", fetched.status),
            ));
        }
        String::from_utf8(fetched.body).map_err(|_| refused(400, "the metadata is not UTF-8"))
    }

    /// Every trust relationship.
    pub async fn list_sps(&self) -> Result<Vec<TrustRelationship>, Error> {
        Ok(self.relationships().list().await?)
    }

    /// The trust relationship `inum`.
    pub async fn get_sp(&self, inum: &str) -> Result<Option<TrustRelationship>, Error> {
        Ok(self.relationships().get(inum).await?)
    }

    /// Replace a trust relationship's settings (its metadata as read stays the SP's).
    pub async fn update_sp(&self, tr: &TrustRelationship) -> Result<(), Error> {
        let Some((revision, _)) = self.relationships().get_revision(&tr.inum).await? else {
            return Err(refused(404, format!("no trust relationship {}", tr.inum)));
        };
        self.update_sp_at(tr, revision).await
    }

    /// Replace the trust relationship `tr.inum` if it is still at `revision`: refused
    /// (400) when its name or its SP is another's now, 409 when it changed meanwhile.
    pub async fn update_sp_at(&self, tr: &TrustRelationship, revision: u64) -> Result<(), Error> {
        if self
            .list_sps()
            .await?
            .iter()
            .any(|t| t.name == tr.name && t.inum != tr.inum)
        {
            return Err(name_taken(&tr.name));
        }
        match self.relationships().update_at(tr, revision).await {
            Err(StoreError::Conflict) => Err(self.taken(tr).await),
            Err(StoreError::NotFound) => {
                Err(refused(404, format!("no trust relationship {}", tr.inum)))
            }
            other => other.map(|_| ()).map_err(Error::from),
        }
    }

    /// Remove the trust relationship `inum`; `false` when there was none.
    pub async fn remove_sp(&self, inum: &str) -> Result<bool, Error> {
        Ok(self.relationships().delete(inum).await?)
    }
}
