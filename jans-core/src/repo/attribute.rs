//! The person attributes a deployment defines (Janssen's `jansAttr` entries, the config
//! API's `attributes`): each claim a person may hold, with its name, type, who may see and
//! edit it, and its OpenID Connect claim name. Stored in the collection `attributes` by
//! `inum`, the `name` unique; a store holding none is seeded with [`defaults`] (the claims
//! this server keeps for people) when the engine starts.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::{DocumentStore, Key};

/// Janssen's `dataType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum AttributeType {
    /// Text.
    String,
    /// A number.
    Numeric,
    /// `true` or `false`.
    Boolean,
    /// Bytes.
    Binary,
    /// A certificate.
    Certificate,
    /// A time (LDAP's GeneralizedTime).
    GeneralizedTime,
    /// JSON.
    Json,
}

/// Janssen's roles of `editType`, `viewType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum AttributeRole {
    /// An administrator.
    Admin,
    /// The person it belongs to.
    Owner,
    /// A manager.
    Manager,
    /// Any user.
    User,
    /// The white pages.
    WhitePages,
}

/// Janssen's `status` of an attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum AttributeStatus {
    /// In use.
    #[default]
    Active,
    /// Not in use.
    Inactive,
}

/// Janssen's `attributeValidation`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct AttributeValidation {
    /// A regular expression values match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regexp: Option<String>,
    /// The shortest value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// The longest value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
}

/// One attribute, with Janssen's member names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attribute {
    /// Janssen's entry identifier (drawn when created without one).
    #[serde(default)]
    #[schema(required = false)]
    pub inum: String,
    /// Its name (`^[a-zA-Z0-9_]+$`, 1 to 30 characters), unique.
    pub name: String,
    /// The name shown (at most 60 characters).
    pub display_name: String,
    /// What it is (at most 4000 characters).
    pub description: String,
    /// Its type.
    pub data_type: AttributeType,
    /// Who may edit it.
    pub edit_type: Vec<AttributeRole>,
    /// Who may see it.
    pub view_type: Vec<AttributeRole>,
    /// Where it is used (`openid`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usage_type: Vec<String>,
    /// The OpenID Connect claim it is released as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_name: Option<String>,
    /// Whether it is in use.
    #[serde(default)]
    pub status: AttributeStatus,
    /// Whether a person may hold several values.
    #[serde(default)]
    pub ox_multi_valued_attribute: bool,
    /// Whether SCIM serves it as a custom attribute.
    #[serde(default)]
    pub scim_custom_attr: bool,
    /// Whether discovery leaves it out.
    #[serde(default)]
    pub jans_hide_on_discovery: bool,
    /// Whether a person must hold it.
    #[serde(default)]
    pub required: bool,
    /// Whether the deployment added it (not one of the server's own).
    #[serde(default)]
    pub custom: bool,
    /// Rules its values follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_validation: Option<AttributeValidation>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tooltip: Option<String>,
    /// Its SAML 2 URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saml2_uri: Option<String>,
}

/// Why an attribute was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AttributeError(pub String);

impl Attribute {
    /// Check Janssen's rules: the name's characters and length, the display name's and the
    /// description's lengths, an `inum` a URL path carries.
    pub fn validate(&self) -> Result<(), AttributeError> {
        let refuse = |why: String| Err(AttributeError(why));
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 30
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !name_ok {
            return refuse(format!(
                "name {:?} must be 1 to 30 letters, digits or _",
                self.name
            ));
        }
        if self.display_name.chars().count() > 60 {
            return refuse("displayName is longer than 60 characters".into());
        }
        if self.description.chars().count() > 4000 {
            return refuse("description is longer than 4000 characters".into());
        }
        let inum_ok = !self.inum.is_empty()
            && self.inum.len() <= 64
            && self
                .inum
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !inum_ok {
            return refuse(format!("inum {:?} is not an identifier", self.inum));
        }
        Ok(())
    }
}

/// The attributes this server keeps for people: (name, display name, claim, inum).
const OWN: [(&str, &str, &str, &str); 12] = [
    ("uid", "Username", "user_name", "29DA"),
    ("mail", "Email", "email", "8F88"),
    ("givenName", "First Name", "given_name", "36D2"),
    ("sn", "Last Name", "family_name", "4CF1"),
    ("displayName", "Display Name", "name", "4C82"),
    ("nickname", "Nickname", "nickname", "2F5C"),
    (
        "preferredUsername",
        "Preferred Username",
        "preferred_username",
        "3B47",
    ),
    ("picture", "Picture URL", "picture", "2D35"),
    ("locale", "Locale", "locale", "7F98"),
    ("zoneinfo", "Time zone info", "zoneinfo", "1138"),
    ("birthdate", "Birthdate", "birthdate", "4E08"),
    (
        "telephoneNumber",
        "Home Telephone Number",
        "phone_number",
        "49E2",
    ),
];

/// One of the server's own attributes.
fn own(name: &str, display: &str, claim: &str, inum: &str, data_type: AttributeType) -> Attribute {
    Attribute {
        inum: inum.to_owned(),
        name: name.to_owned(),
        display_name: display.to_owned(),
        description: display.to_owned(),
        data_type,
        edit_type: vec![AttributeRole::Admin, AttributeRole::User],
        view_type: vec![AttributeRole::Admin, AttributeRole::User],
        usage_type: vec!["openid".to_owned()],
        claim_name: Some(claim.to_owned()),
        status: AttributeStatus::Active,
        ox_multi_valued_attribute: false,
        scim_custom_attr: false,
        jans_hide_on_discovery: false,
        required: name == "uid",
        custom: false,
        attribute_validation: None,
        tooltip: None,
        saml2_uri: None,
    }
}

/// The attributes a new installation starts with: the claims this server keeps.
pub fn defaults() -> Vec<Attribute> {
    OWN.iter()
        .map(|(name, display, claim, inum)| own(name, display, claim, inum, AttributeType::String))
        .chain([own(
            "emailVerified",
            "Email Verified",
            "email_verified",
            "BE72",
            AttributeType::Boolean,
        )])
        .collect()
}

/// The attributes: the collection `attributes`, by `inum`, the `name` unique.
#[derive(Clone, Debug)]
pub struct Attributes(Collection<Attribute>);

impl Attributes {
    /// The collection's name.
    pub const COLLECTION: &'static str = "attributes";
    /// The unique key of names.
    pub const NAME: &'static str = "name";

    /// The attributes kept in `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> Attributes {
        Attributes(Collection::new(store, Self::COLLECTION))
    }

    fn keys(a: &Attribute) -> [Key; 1] {
        [Key::unique(Self::NAME, a.name.to_ascii_lowercase())]
    }

    /// Store a new attribute; `Conflict` when its inum or name is taken.
    pub async fn insert(&self, a: &Attribute) -> Result<(), StoreError> {
        self.0.insert(&a.inum, a, &Self::keys(a)).await.map(drop)
    }

    /// The attribute `inum` with its revision, as stored now.
    pub async fn get(&self, inum: &str) -> Result<Option<(u64, Attribute)>, StoreError> {
        self.0.get_fresh(inum).await
    }

    /// Replace it if still at `revision`: `Conflict` when another write came first or the
    /// new name is taken, `NotFound` when it is gone.
    pub async fn update_at(&self, a: &Attribute, revision: u64) -> Result<(), StoreError> {
        self.0
            .replace(&a.inum, a, &Self::keys(a), Some(revision))
            .await
            .map(drop)
    }

    /// Delete it if still at `revision`; whether it existed.
    pub async fn delete_at(&self, inum: &str, revision: u64) -> Result<bool, StoreError> {
        self.0.delete_at(inum, revision).await
    }

    /// Every attribute, by `inum`.
    pub async fn list(&self) -> Result<Vec<Attribute>, StoreError> {
        self.0.all().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_distinct() {
        let all = defaults();
        for a in &all {
            a.validate().unwrap();
        }
        let mut names: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        let mut inums: Vec<&str> = all.iter().map(|a| a.inum.as_str()).collect();
        inums.sort_unstable();
        inums.dedup();
        assert_eq!(inums.len(), all.len());
    }
}
