//! The SAML IdP's trust relationships: the service providers it answers, each made from
//! the SP's metadata with per-SP settings, in Janssen's `TrustRelationship` shape (the
//! config API's SAML plugin) plus the metadata as read. Kept in the collection
//! `saml_trust_relationships` by `inum`, with the SP's entity id a unique key: one
//! relationship per SP.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::{DocumentStore, Key};

/// An endpoint of an SP (Metadata §2.2.2, §2.2.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpEndpoint {
    /// Its binding URI.
    pub binding: String,
    /// Where messages go.
    pub location: String,
    /// Where responses go, when not to `location` (logout endpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_location: Option<String>,
    /// Its index (assertion consumer services).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u16>,
    /// Whether it is the default one.
    #[serde(default)]
    pub is_default: bool,
}

/// What an SP's metadata says, as kept with its trust relationship.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpMetadata {
    /// `entityID`.
    pub entity_id: String,
    /// `AssertionConsumerService`s.
    pub assertion_consumer_services: Vec<SpEndpoint>,
    /// `SingleLogoutService`s.
    #[serde(default)]
    pub single_logout_services: Vec<SpEndpoint>,
    /// Certificates of `KeyDescriptor use="signing"` (or no use), base64 DER.
    #[serde(default)]
    pub signing_certificates: Vec<String>,
    /// Certificates of `KeyDescriptor use="encryption"` (or no use), base64 DER.
    #[serde(default)]
    pub encryption_certificates: Vec<String>,
    /// `NameIDFormat`s it supports, in its order of preference.
    #[serde(default)]
    pub name_id_formats: Vec<String>,
    /// `AuthnRequestsSigned` (§2.4.4): it signs its requests, so unsigned ones are refused.
    #[serde(default)]
    pub authn_requests_signed: bool,
    /// `WantAssertionsSigned` (§2.4.4).
    #[serde(default)]
    pub want_assertions_signed: bool,
}

/// Where an SP's metadata came from (Janssen's `spMetaDataSourceType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetadataSource {
    /// A file (or the config API's upload).
    #[default]
    File,
    /// A URL, fetched through the outbound client.
    Url,
    /// Pasted XML.
    Manual,
}

/// Janssen's `samlMetadata` summary of a relationship.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamlMetadataSummary {
    /// The SP's entity id.
    pub entity_id: String,
    /// The name id format the SP gets.
    #[serde(rename = "nameIDPolicyFormat", default)]
    pub name_id_policy_format: String,
    /// Its HTTP-Redirect assertion consumer URL, if any.
    #[serde(
        rename = "jansAssertionConsumerServiceGetURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub acs_get_url: Option<String>,
    /// Its HTTP-POST assertion consumer URL, if any.
    #[serde(
        rename = "jansAssertionConsumerServicePostURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub acs_post_url: Option<String>,
    /// Its logout URL, if any.
    #[serde(
        rename = "singleLogoutServiceUrl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub single_logout_service_url: Option<String>,
}

/// One SP the IdP trusts, and how it answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustRelationship {
    /// Its id.
    pub inum: String,
    /// Its short name.
    pub name: String,
    /// Its display name.
    #[serde(default)]
    pub display_name: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
    /// Whether the IdP answers it.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Where its metadata came from.
    #[serde(rename = "spMetaDataSourceType", default)]
    pub metadata_source: MetadataSource,
    /// The metadata URL, for [`MetadataSource::Url`].
    #[serde(
        rename = "spMetaDataURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub metadata_url: Option<String>,
    /// The summary Janssen shows.
    #[serde(default)]
    pub saml_metadata: SamlMetadataSummary,
    /// The attributes released to it, by attribute name or inum; each goes out under its
    /// `saml2Uri` (or its name), with the `uri` name format.
    #[serde(default)]
    pub released_attributes: Vec<String>,
    /// Sign the assertion (on unless the SP asked for signed responses only).
    #[serde(default = "yes")]
    pub sign_assertions: bool,
    /// Sign the response too.
    #[serde(default)]
    pub sign_responses: bool,
    /// Encrypt assertions to the SP's encryption key, when it published one.
    #[serde(default = "yes")]
    pub encrypt_assertions: bool,
    /// `RS256` (RSA-SHA256) or `ES256` (ECDSA-SHA256).
    #[serde(default = "rs256")]
    pub signature_algorithm: String,
    /// Whether IdP-initiated sign-on to it is allowed.
    #[serde(default)]
    pub idp_initiated: bool,
    /// The SP's metadata as read.
    pub sp_metadata: SpMetadata,
}

fn yes() -> bool {
    true
}

fn rs256() -> String {
    "RS256".to_owned()
}

/// The trust relationships.
#[derive(Clone, Debug)]
pub struct TrustRelationships(Collection<TrustRelationship>);

impl TrustRelationships {
    /// The collection's name.
    pub const COLLECTION: &'static str = "saml_trust_relationships";
    /// The unique key of the SP's entity id.
    pub const ENTITY_ID: &'static str = "entityId";
    /// Most relationships listed at once.
    pub const MAX: usize = 10_000;

    /// The relationships kept in `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> TrustRelationships {
        TrustRelationships(Collection::new(store, Self::COLLECTION))
    }

    fn keys(t: &TrustRelationship) -> Vec<Key> {
        vec![Key::unique(
            Self::ENTITY_ID,
            t.sp_metadata.entity_id.clone(),
        )]
    }

    /// Keep a new relationship; `Conflict` when its id or its SP's entity id is taken.
    pub async fn insert(&self, t: &TrustRelationship) -> Result<(), StoreError> {
        self.0.insert(&t.inum, t, &Self::keys(t)).await.map(|_| ())
    }

    /// The relationship `inum`.
    pub async fn get(&self, inum: &str) -> Result<Option<TrustRelationship>, StoreError> {
        self.0.get(inum).await
    }

    /// The relationship `inum` with its revision.
    pub async fn get_revision(
        &self,
        inum: &str,
    ) -> Result<Option<(u64, TrustRelationship)>, StoreError> {
        self.0.get_revision(inum).await
    }

    /// The relationship with the SP `entity_id`.
    pub async fn by_entity_id(
        &self,
        entity_id: &str,
    ) -> Result<Option<TrustRelationship>, StoreError> {
        self.0.find(Self::ENTITY_ID, entity_id).await
    }

    /// Replace the relationship if it is still at `revision`.
    pub async fn update_at(&self, t: &TrustRelationship, revision: u64) -> Result<u64, StoreError> {
        self.0
            .replace(&t.inum, t, &Self::keys(t), Some(revision))
            .await
    }

    /// Forget the relationship `inum`; `false` when there was none.
    pub async fn delete(&self, inum: &str) -> Result<bool, StoreError> {
        self.0.delete(inum).await
    }

    /// Every relationship, by inum.
    pub async fn list(&self) -> Result<Vec<TrustRelationship>, StoreError> {
        self.0.range("", Self::MAX).await
    }
}
