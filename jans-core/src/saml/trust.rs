//! Managing trust relationships (Janssen's SAML plugin of the config API): an SP added
//! from its metadata — a file, a URL fetched through the outbound client, or pasted XML —
//! listed, and removed. Refusals are the config API's errors (`AdminError`).

use super::SamlServer;
use super::metadata::read_sp;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::repo::saml::{
    MetadataSource, SamlMetadataSummary, TrustRelationship, TrustRelationships,
};
use crate::store::StoreError;

/// Longest SP metadata document fetched or accepted.
pub const MAX_METADATA: usize = 256 * 1024;

fn refused(status: u16, why: impl Into<String>) -> Error {
    Error::Admin(AdminError::new(status, why))
}

impl SamlServer {
    fn relationships(&self) -> TrustRelationships {
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
        let md = read_sp(xml).map_err(|e| refused(400, format!("SP metadata refused: {e}")))?;
        let first = |binding: &str| {
            md.assertion_consumer_services
                .iter()
                .find(|s| s.binding == binding)
                .map(|s| s.location.clone())
        };
        let name = name.unwrap_or(&md.entity_id).to_owned();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(refused(400, "name must have 1 to 60 characters"));
        }
        let tr = TrustRelationship {
            inum: crate::ctx::uuid_from(&ctx.random_bytes(16)),
            display_name: name.clone(),
            name,
            description: String::new(),
            enabled: true,
            metadata_source: source,
            metadata_url: url.map(str::to_owned),
            saml_metadata: SamlMetadataSummary {
                entity_id: md.entity_id.clone(),
                name_id_policy_format: super::name_id::PERSISTENT.to_owned(),
                acs_get_url: first(super::BINDING_REDIRECT),
                acs_post_url: first(super::BINDING_POST),
                single_logout_service_url: md
                    .single_logout_services
                    .first()
                    .map(|s| s.location.clone()),
            },
            released_attributes: vec!["uid".to_owned(), "mail".to_owned()],
            sign_assertions: true,
            sign_responses: false,
            encrypt_assertions: true,
            signature_algorithm: "RS256".to_owned(),
            idp_initiated: false,
            sp_metadata: md,
        };
        if self.list_sps().await?.iter().any(|t| t.name == tr.name) {
            return Err(refused(
                400,
                format!("a trust relationship named {:?} exists", tr.name),
            ));
        }
        match self.relationships().insert(&tr).await {
            Err(StoreError::Conflict) => Err(refused(
                400,
                format!(
                    "the SP {} has a trust relationship already",
                    tr.sp_metadata.entity_id
                ),
            )),
            other => other.map(|()| tr).map_err(Error::from),
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
        let xml = String::from_utf8(fetched.body)
            .map_err(|_| refused(400, "the metadata is not UTF-8"))?;
        self.add_sp(&xml, name, MetadataSource::Url, Some(url), ctx)
            .await
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
        match self.relationships().update_at(tr, revision).await {
            Err(StoreError::Conflict) => Err(refused(409, "changed meanwhile; read it again")),
            other => other.map(|_| ()).map_err(Error::from),
        }
    }

    /// Remove the trust relationship `inum`; `false` when there was none.
    pub async fn remove_sp(&self, inum: &str) -> Result<bool, Error> {
        Ok(self.relationships().delete(inum).await?)
    }
}
