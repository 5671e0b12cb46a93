//! The SAML IdP's trust relationships: the service providers it answers, each made from
//! the SP's metadata with per-SP settings, in Janssen's `TrustRelationship` shape (the
//! config API's SAML plugin) plus the metadata as read. Kept in the collection
//! `saml_trust_relationships` by `inum`, with the SP's entity id a unique key: one
//! relationship per SP.

use std::collections::BTreeMap;
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

/// Where an SP's metadata came from (Janssen's `spMetaDataSourceType`: its values, and on
/// input its Java names too).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetadataSource {
    /// A file (or the config API's upload).
    #[default]
    #[serde(alias = "FILE")]
    File,
    /// A URL, fetched through the outbound client.
    #[serde(alias = "URL")]
    Url,
    /// Typed in (Janssen's `manual`): the metadata is what `samlMetadata` says, with no
    /// document and so no SP keys.
    #[serde(alias = "MANUAL")]
    Manual,
}

/// Janssen's `GluuStatus` of a relationship (`jansStatus`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustStatus {
    /// In use.
    #[default]
    #[serde(alias = "ACTIVE")]
    Active,
    /// Switched off.
    #[serde(alias = "INACTIVE")]
    Inactive,
    /// Expired.
    #[serde(alias = "EXPIRED")]
    Expired,
    /// Being registered.
    #[serde(alias = "REGISTER")]
    Register,
}

/// Janssen's `ValidationStatus` of the SP's metadata (`jansValidationStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValidationStatus {
    /// Being validated.
    #[serde(rename = "In Progress", alias = "PENDING")]
    Pending,
    /// Read and accepted.
    #[serde(rename = "Success", alias = "SUCCESS")]
    Success,
    /// Waiting to be validated.
    #[serde(rename = "Scheduled", alias = "SCHEDULED")]
    Scheduled,
    /// Refused.
    #[serde(rename = "Failed", alias = "FAILED")]
    Failed,
}

/// Janssen's `ProfileConfiguration` of a relationship, kept as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileConfiguration {
    /// The profile's name.
    #[serde(default)]
    pub name: String,
    /// Janssen's `signResponses` setting of the profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_responses: Option<String>,
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
    /// Who owns it (Janssen's `owner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Its status (Janssen's `status`).
    #[serde(default)]
    pub status: TrustStatus,
    /// How validating the SP's metadata went (Janssen's `validationStatus`): `Success` once
    /// read from XML (metadata that does not read is refused, never stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_status: Option<ValidationStatus>,
    /// What validating it said (Janssen's `validationLog`).
    #[serde(default)]
    pub validation_log: Vec<String>,
    /// Where the SP sends people after logout (Janssen's `spLogoutURL`).
    #[serde(
        rename = "spLogoutURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sp_logout_url: Option<String>,
    /// Janssen's `redirectUris`.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Janssen's `profileConfigurations`, by profile name.
    #[serde(default)]
    pub profile_configurations: BTreeMap<String, ProfileConfiguration>,
    /// The SP's metadata document as it was sent or fetched (what the config API's
    /// `sp-metadata-file` answers); absent for metadata typed in. Stored, never shown in
    /// the config API's JSON.
    #[serde(
        rename = "spMetaDataXml",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sp_metadata_xml: Option<String>,
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
    /// The unique key of the relationship's name (Janssen refuses a second of a name).
    pub const NAME: &'static str = "name";
    /// Most relationships listed at once.
    pub const MAX: usize = 10_000;

    /// The relationships kept in `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> TrustRelationships {
        TrustRelationships(Collection::new(store, Self::COLLECTION))
    }

    fn keys(t: &TrustRelationship) -> Vec<Key> {
        vec![
            Key::unique(Self::ENTITY_ID, t.sp_metadata.entity_id.clone()),
            Key::unique(Self::NAME, t.name.clone()),
        ]
    }

    /// Keep a new relationship; `Conflict` when its id, its name or its SP's entity id is
    /// taken.
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

    /// The relationship named `name` (kept since names became a key).
    pub async fn by_name(&self, name: &str) -> Result<Option<TrustRelationship>, StoreError> {
        self.0.find(Self::NAME, name).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn janssen_names_read_and_documents_of_before_still_read() {
        let sources: Vec<MetadataSource> =
            serde_json::from_str(r#"["file","FILE","manual","MANUAL","url","URL"]"#).unwrap();
        assert_eq!(
            sources,
            [
                MetadataSource::File,
                MetadataSource::File,
                MetadataSource::Manual,
                MetadataSource::Manual,
                MetadataSource::Url,
                MetadataSource::Url
            ]
        );
        let v: ValidationStatus = serde_json::from_str(r#""In Progress""#).unwrap();
        assert_eq!(v, ValidationStatus::Pending);
        assert_eq!(
            serde_json::to_value(ValidationStatus::Success).unwrap(),
            "Success"
        );
        let s: TrustStatus = serde_json::from_str(r#""INACTIVE""#).unwrap();
        assert_eq!(s, TrustStatus::Inactive);
        // A relationship stored before the fields Janssen has and it lacked.
        let old: TrustRelationship = serde_json::from_value(serde_json::json!({
            "inum": "i", "name": "n", "spMetadata": {
                "entityId": "https://sp.example/", "assertionConsumerServices": []
            }
        }))
        .unwrap();
        assert_eq!(old.status, TrustStatus::Active);
        assert!(old.sp_metadata_xml.is_none() && old.profile_configurations.is_empty());
    }
}
