//! Janssen's organization (`GluuOrganization`): the name and branding the server shows,
//! read with `GET org` and changed with `PATCH org` (an RFC 6902 JSON Patch, applied to the
//! stored document at the revision it read, again on a concurrent change; all of it or
//! nothing).

use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::repo::collection::Collection;
use crate::request::Request;
use crate::services::Services;
use crate::store::StoreError;

use super::json_patch;
use super::protection::Caller;

/// The collection holding the organization, and its one document's id.
const COLLECTION: (&str, &str) = ("organization", "org");
/// Longest text member, in bytes.
const MAX_TEXT: usize = 1024;
/// Most custom messages.
const MAX_MESSAGES: usize = 100;

/// The organization, with Janssen's member names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Organization {
    /// The name shown.
    pub display_name: String,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The organization's legal name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// A short name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    /// The title of its pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_title: Option<String>,
    /// The theme colour (`#RRGGBB` or a name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme_color: Option<String>,
    /// The favicon's path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub js_favicon_path: Option<String>,
    /// Messages shown to users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_messages: Vec<String>,
}

impl Default for Organization {
    fn default() -> Self {
        Organization {
            display_name: "Janssen".to_owned(),
            description: None,
            organization: None,
            short_name: None,
            organization_title: None,
            theme_color: None,
            js_favicon_path: None,
            custom_messages: Vec::new(),
        }
    }
}

impl Organization {
    /// Bounded text without control characters, a non-empty name.
    fn validate(&self) -> Result<(), AdminError> {
        let texts = [
            Some(&self.display_name),
            self.description.as_ref(),
            self.organization.as_ref(),
            self.short_name.as_ref(),
            self.organization_title.as_ref(),
            self.theme_color.as_ref(),
            self.js_favicon_path.as_ref(),
        ];
        let bad = |t: &String| t.len() > MAX_TEXT || t.chars().any(char::is_control);
        if self.display_name.trim().is_empty() {
            return Err(AdminError::new(400, "displayName may not be empty"));
        }
        if texts
            .into_iter()
            .flatten()
            .chain(&self.custom_messages)
            .any(bad)
        {
            return Err(AdminError::new(
                400,
                format!("each text is at most {MAX_TEXT} bytes, without control characters"),
            ));
        }
        if self.custom_messages.len() > MAX_MESSAGES {
            return Err(AdminError::new(
                400,
                format!("at most {MAX_MESSAGES} customMessages"),
            ));
        }
        Ok(())
    }
}

fn stored(services: &Services) -> Collection<Organization> {
    Collection::new(services.stores().documents.clone(), COLLECTION.0)
}

/// `GET org`: the stored organization, or the default one.
pub(super) async fn read(services: &Services) -> Result<Organization, Error> {
    Ok(stored(services)
        .get(COLLECTION.1)
        .await?
        .unwrap_or_default())
}

/// `PATCH org`: the patch applied to the organization as it is stored.
pub(super) async fn patch(
    services: &Services,
    caller: &Caller,
    req: &Request,
    ctx: &Ctx,
) -> Result<Organization, Error> {
    let (ops, patch) = json_patch::of_request(req)?;
    let org = stored(services);
    for _ in 0..crate::management::PATCH_ATTEMPTS {
        let current = org.get_revision(COLLECTION.1).await?;
        let before = current.as_ref().map(|(_, o)| o.clone()).unwrap_or_default();
        let value = serde_json::to_value(&before).map_err(|e| Error::Internal(e.to_string()))?;
        let patched = json_patch::apply(&value, &ops).map_err(|e| AdminError::new(400, e.0))?;
        let after: Organization = serde_json::from_value(patched)
            .map_err(|e| AdminError::new(400, format!("not an organization: {e}")))?;
        after.validate()?;
        let written = match current {
            Some((revision, _)) => org
                .replace(COLLECTION.1, &after, &[], Some(revision))
                .await
                .map(drop),
            None => org.insert(COLLECTION.1, &after, &[]).await.map(drop),
        };
        match written {
            Ok(()) => {
                super::audit::record(
                    services,
                    caller,
                    ctx,
                    ("org", COLLECTION.1, "patch"),
                    Some(&patch),
                )
                .await;
                return Ok(after);
            }
            // Another write came first: apply the patch to what it left.
            Err(StoreError::Conflict | StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AdminError::new(409, "the organization kept changing while this patch ran").into())
}
