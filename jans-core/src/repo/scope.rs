//! Scopes as data (Janssen's `jansScope` entries): which scopes exist, their type, the
//! claims each releases (OIDC Core §5.4 for the standard ones) and whether discovery lists
//! them. Stored in the collection `scopes` ([`Scopes`]); an empty collection is seeded with
//! [`defaults`] by [`crate::Engine::start`] (so `jans init` / `jans migrate` load them), after
//! which the stored set is authoritative: an operator's additions, changes and removals
//! stay.

use serde::{Deserialize, Serialize};

use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::{DocumentStore, Key};

/// Janssen's `scopeType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScopeType {
    /// An OpenID Connect scope: releases user claims.
    Openid,
    /// A plain OAuth 2.0 scope.
    Oauth,
    /// A scope whose claims a script computes (Janssen); treated as `oauth` here.
    Dynamic,
    /// A UMA 2.0 scope.
    Uma,
    /// Created on the fly when a client asks for it (Janssen's spontaneous scopes).
    Spontaneous,
}

/// Janssen's scope `attributes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ScopeAttributes {
    /// Listed in discovery's `scopes_supported`.
    pub show_in_configuration_endpoint: bool,
}

/// One scope (Janssen's `jansScope`: `id` is the scope value clients ask for).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    /// The scope value (`jansId`).
    pub id: String,
    /// Janssen's entry identifier (drawn when a scope is created without one).
    #[schema(required = false)]
    pub inum: String,
    /// What it grants, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The kind of scope.
    pub scope_type: ScopeType,
    /// The user claims it releases (claim names), for `openid` scopes.
    #[serde(default)]
    pub claims: Vec<String>,
    /// Janssen's `defaultScope`: granted to dynamically registered clients by default.
    #[serde(default)]
    pub default_scope: bool,
    /// Display attributes.
    #[serde(default)]
    pub attributes: ScopeAttributes,
}

/// Why a scope was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScopeError(pub String);

/// Whether `s` is a scope token (RFC 6749 §3.3: `1*( %x21 / %x23-5B / %x5D-7E )`).
pub fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 512
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

impl Scope {
    /// Check what a client or an operator may not get wrong: the id is a scope token, the
    /// inum one too (it names the scope in URLs), the claims are claim names, and the
    /// description is bounded.
    pub fn validate(&self) -> Result<(), ScopeError> {
        let refuse = |why: String| Err(ScopeError(why));
        if !is_scope_token(&self.id) {
            return refuse(format!(
                "id {:?} is not a scope token (RFC 6749 §3.3: printable ASCII without \
                 spaces, quotes or backslashes)",
                self.id
            ));
        }
        if !is_scope_token(&self.inum) || self.inum.contains('/') {
            return refuse(format!(
                "inum {:?} must be printable ASCII without spaces, quotes, slashes or \
                 backslashes",
                self.inum
            ));
        }
        if let Some(c) = self.claims.iter().find(|c| !is_scope_token(c)) {
            return refuse(format!("claim {c:?} is not a claim name"));
        }
        if self.description.as_ref().is_some_and(|d| d.len() > 4096) {
            return refuse("the description is longer than 4096 bytes".to_owned());
        }
        Ok(())
    }
}

fn scope(id: &str, inum: &str, kind: ScopeType, description: &str, claims: &[&str]) -> Scope {
    Scope {
        id: id.to_owned(),
        inum: inum.to_owned(),
        description: Some(description.to_owned()),
        scope_type: kind,
        claims: claims.iter().map(|c| (*c).to_owned()).collect(),
        default_scope: kind == ScopeType::Openid,
        attributes: ScopeAttributes {
            show_in_configuration_endpoint: kind == ScopeType::Openid,
        },
    }
}

/// The scopes a new installation starts with: OIDC Core §5.4's standard scopes with their
/// claims, `offline_access` (§11) and Janssen's `uma_protection` (the admin client's and
/// UMA resource servers' scope), with Janssen's inums.
pub fn defaults() -> Vec<Scope> {
    use ScopeType::{Oauth, Openid};
    vec![
        scope(
            "openid",
            "F0C4",
            Openid,
            "Authenticate using OpenID Connect.",
            &[],
        ),
        scope(
            "profile",
            "43F1",
            Openid,
            "View your basic profile info.",
            &[
                "name",
                "family_name",
                "given_name",
                "middle_name",
                "nickname",
                "preferred_username",
                "profile",
                "picture",
                "website",
                "gender",
                "birthdate",
                "zoneinfo",
                "locale",
                "updated_at",
            ],
        ),
        scope(
            "email",
            "764C",
            Openid,
            "View your email address.",
            &["email", "email_verified"],
        ),
        scope(
            "address",
            "C17A",
            Openid,
            "View your address.",
            &["address"],
        ),
        scope(
            "phone",
            "D491",
            Openid,
            "View your phone number.",
            &["phone_number", "phone_number_verified"],
        ),
        scope(
            "offline_access",
            "C4F7",
            Openid,
            "Access your data while you are not signed in (refresh tokens).",
            &[],
        ),
        Scope {
            default_scope: false,
            ..scope(
                "uma_protection",
                "6D99",
                Oauth,
                "Manage UMA resources and introspect tokens.",
                &[],
            )
        },
    ]
    .into_iter()
    .chain(protection())
    .collect()
}

/// The scopes of the management APIs' protection (SCIM's, the config API's and AuthZEN
/// access evaluation's): among the
/// defaults, and offered to stores made by earlier versions ([`Scopes::offer`]).
pub fn protection() -> Vec<Scope> {
    protecting(&SCIM_SCOPES, "5C")
        .chain(protecting(&CONFIG_API_SCOPES, "5A"))
        .chain(protecting(&ACCESS_EVALUATION_SCOPES, "5E"))
        .chain(protecting(&SSA_SCOPES, "5B"))
        .collect()
}

/// The scopes of Janssen's SSA endpoint: `ssa.admin` creates, lists, reads and revokes,
/// `ssa.portal` lists every SSA, `ssa.developer` those its client created.
pub const SSA_SCOPES: [(&str, &str); 3] = [
    (
        "https://jans.io/auth/ssa.admin",
        "Create, read and revoke software statement assertions.",
    ),
    (
        "https://jans.io/auth/ssa.portal",
        "List every software statement assertion.",
    ),
    (
        "https://jans.io/auth/ssa.developer",
        "List the software statement assertions this client created.",
    ),
];

/// The scope of AuthZEN access evaluation's protection (Janssen's `access_evaluation`).
pub const ACCESS_EVALUATION_SCOPES: [(&str, &str); 1] = [(
    "access_evaluation",
    "Ask for access decisions (AuthZEN access evaluation).",
)];

/// The OAuth scopes (not default ones) of a component's protection, `(id, description)`,
/// their inums `inum_prefix` and a number.
fn protecting<'a>(
    scopes: &'a [(&str, &str)],
    inum_prefix: &'a str,
) -> impl Iterator<Item = Scope> + 'a {
    scopes
        .iter()
        .enumerate()
        .map(move |(i, (id, description))| Scope {
            default_scope: false,
            ..scope(
                id,
                &format!("{inum_prefix}{i:02X}"),
                ScopeType::Oauth,
                description,
                &[],
            )
        })
}

/// Janssen's config API scopes served so far (jans-config-api's protection, which accepts
/// any one of an operation's scopes): the super scopes every operation accepts, and those
/// of each resource served (`admin::operations`). The admin client made by `init` and
/// `migrate` gets the super scopes.
pub const CONFIG_API_SCOPES: [(&str, &str); 62] = [
    (
        "https://jans.io/oauth/config/read-all",
        "Read everything the config API serves.",
    ),
    (
        "https://jans.io/oauth/config/write-all",
        "Create and change everything the config API serves.",
    ),
    (
        "https://jans.io/oauth/config/delete-all",
        "Delete everything the config API serves.",
    ),
    (
        "https://jans.io/oauth/config/app-version.readonly",
        "Read the server's version (config API).",
    ),
    (
        "https://jans.io/oauth/config/health.admin",
        "Everything about the server's health (config API).",
    ),
    (
        "https://jans.io/oauth/config/scopes.readonly",
        "Read scopes (config API).",
    ),
    (
        "https://jans.io/oauth/config/scopes.write",
        "Create and change scopes (config API).",
    ),
    (
        "https://jans.io/oauth/config/scopes.delete",
        "Delete scopes (config API).",
    ),
    (
        "https://jans.io/oauth/config/scopes.admin",
        "Everything about scopes (config API).",
    ),
    (
        "https://jans.io/oauth/config/logging.readonly",
        "Read the logging settings and the audit log (config API).",
    ),
    (
        "https://jans.io/oauth/config/organization.readonly",
        "Read the organization's name and branding (config API).",
    ),
    (
        "https://jans.io/oauth/config/organization.write",
        "Change the organization's name and branding (config API).",
    ),
    (
        "https://jans.io/oauth/config/organization.admin",
        "Everything about the organization (config API).",
    ),
    (
        "https://jans.io/oauth/config/openid/clients.readonly",
        "Read OpenID Connect clients (config API).",
    ),
    (
        "https://jans.io/oauth/config/openid/clients.write",
        "Create and change OpenID Connect clients (config API).",
    ),
    (
        "https://jans.io/oauth/config/openid/clients.delete",
        "Delete OpenID Connect clients (config API).",
    ),
    (
        "https://jans.io/oauth/config/openid/clients.admin",
        "Everything about OpenID Connect clients (config API).",
    ),
    (
        "https://jans.io/oauth/config/openid/openid.readonly",
        "Read the OpenID Connect resources (config API).",
    ),
    (
        "https://jans.io/oauth/config/openid/openid.write",
        "Create and change the OpenID Connect resources (config API).",
    ),
    (
        "https://jans.io/oauth/config/openid/openid.delete",
        "Delete the OpenID Connect resources (config API).",
    ),
    (
        "https://jans.io/oauth/jans-auth-server/config/properties.readonly",
        "Read the auth-server's configuration (config API).",
    ),
    (
        "https://jans.io/oauth/jans-auth-server/config/properties.write",
        "Change the auth-server's configuration (config API).",
    ),
    (
        "https://jans.io/oauth/jans-auth-server/config/properties.admin",
        "Everything about the auth-server's configuration (config API).",
    ),
    (
        "https://jans.io/oauth/config/user.readonly",
        "Read people (config API).",
    ),
    (
        "https://jans.io/oauth/config/user.write",
        "Create and change people (config API).",
    ),
    (
        "https://jans.io/oauth/config/user.delete",
        "Delete people (config API).",
    ),
    (
        "https://jans.io/oauth/config/user.admin",
        "Everything about people (config API).",
    ),
    (
        "https://jans.io/oauth/config/jwks.readonly",
        "Read the signing keys (config API).",
    ),
    (
        "https://jans.io/oauth/config/jwks.write",
        "Rotate the signing keys (config API).",
    ),
    (
        "https://jans.io/oauth/config/jwks.admin",
        "Everything about the signing keys (config API).",
    ),
    (
        "https://jans.io/oauth/config/acrs.readonly",
        "Read the default authentication method (config API).",
    ),
    (
        "https://jans.io/oauth/config/acrs.write",
        "Change the default authentication method (config API).",
    ),
    (
        "https://jans.io/oauth/config/acrs.admin",
        "Everything about the default authentication method (config API).",
    ),
    (
        "https://jans.io/oauth/config/data.readonly",
        "Read which services run (config API).",
    ),
    (
        "https://jans.io/oauth/config/logging.write",
        "Change how the server logs (config API).",
    ),
    (
        "https://jans.io/oauth/config/logging.admin",
        "Everything about logging and the audit log (config API).",
    ),
    (
        "https://jans.io/oauth/config/fido2.readonly",
        "Read the FIDO2 configuration (config API).",
    ),
    (
        "https://jans.io/oauth/config/fido2.write",
        "Change the FIDO2 configuration (config API).",
    ),
    (
        "https://jans.io/oauth/config/fido2.admin",
        "Everything about the FIDO2 configuration (config API).",
    ),
    (
        "https://jans.io/scim/config.readonly",
        "Read the SCIM configuration (config API).",
    ),
    (
        "https://jans.io/scim/config.write",
        "Change the SCIM configuration (config API).",
    ),
    (
        "https://jans.io/oauth/client/authorizations.readonly",
        "Read people's client authorizations (config API).",
    ),
    (
        "https://jans.io/oauth/client/authorizations.delete",
        "Revoke people's client authorizations (config API).",
    ),
    (
        "https://jans.io/oauth/client/authorizations.admin",
        "Everything about people's client authorizations (config API).",
    ),
    (
        "https://jans.io/oauth/jans-auth-server/session.readonly",
        "Read sessions (config API).",
    ),
    (
        "https://jans.io/oauth/jans-auth-server/session.delete",
        "Revoke sessions (config API).",
    ),
    (
        "https://jans.io/oauth/jans-auth-server/session.admin",
        "Everything about sessions (config API).",
    ),
    (
        "https://jans.io/oauth/config/attributes.readonly",
        "Read the person attributes (config API).",
    ),
    (
        "https://jans.io/oauth/config/attributes.write",
        "Create and change the person attributes (config API).",
    ),
    (
        "https://jans.io/oauth/config/attributes.delete",
        "Delete the person attributes (config API).",
    ),
    (
        "https://jans.io/oauth/config/attributes.admin",
        "Everything about the person attributes (config API).",
    ),
    (
        "https://jans.io/oauth/config/token.readonly",
        "Search the live tokens (config API).",
    ),
    (
        "https://jans.io/oauth/config/token.write",
        "Search the live tokens (config API).",
    ),
    (
        "https://jans.io/oauth/config/token.delete",
        "Revoke tokens (config API).",
    ),
    (
        "https://jans.io/oauth/config/stats.readonly",
        "Read the usage statistics (config API).",
    ),
    ("jans_stat", "Read the usage statistics."),
    (
        "https://jans.io/oauth/config/fido2.delete",
        "Delete FIDO2 registrations (config API).",
    ),
    (
        "https://jans.io/oauth/config/uma/resources.readonly",
        "Read the registered UMA resources (config API).",
    ),
    (
        "https://jans.io/oauth/config/uma/resources.write",
        "Read and change the registered UMA resources (config API).",
    ),
    (
        "https://jans.io/oauth/config/uma/resources.delete",
        "Delete registered UMA resources (config API).",
    ),
    (
        "https://jans.io/oauth/config/saml.readonly",
        "Read the SAML trust relationships (config API).",
    ),
    (
        "https://jans.io/oauth/config/saml.write",
        "Create, change and delete SAML trust relationships (config API).",
    ),
];

/// Janssen's SCIM scopes (jans-scim's protection), each with what it allows; the admin
/// client made by `init` and `migrate` may request them.
pub const SCIM_SCOPES: [(&str, &str); 10] = [
    ("https://jans.io/scim/users.read", "Read users (SCIM)."),
    (
        "https://jans.io/scim/users.write",
        "Create, change and delete users (SCIM).",
    ),
    ("https://jans.io/scim/groups.read", "Read groups (SCIM)."),
    (
        "https://jans.io/scim/groups.write",
        "Create, change and delete groups (SCIM).",
    ),
    (
        "https://jans.io/scim/fido.read",
        "Read FIDO U2F devices (SCIM).",
    ),
    (
        "https://jans.io/scim/fido.write",
        "Change and delete FIDO U2F devices (SCIM).",
    ),
    (
        "https://jans.io/scim/fido2.read",
        "Read FIDO2 devices (SCIM).",
    ),
    (
        "https://jans.io/scim/fido2.write",
        "Change and delete FIDO2 devices (SCIM).",
    ),
    ("https://jans.io/scim/bulk", "Send SCIM Bulk requests."),
    (
        "https://jans.io/scim/all-resources.search",
        "Search every SCIM resource type at once.",
    ),
];

/// The claims `scope` releases in `scopes` (none for an unknown or non-`openid` scope).
pub fn claims_of<'a>(scopes: &'a [Scope], scope: &str) -> &'a [String] {
    scopes
        .iter()
        .find(|s| s.id == scope && s.scope_type == ScopeType::Openid)
        .map_or(&[], |s| s.claims.as_slice())
}

/// Scopes: the collection `scopes`, by scope value.
#[derive(Clone, Debug)]
pub struct Scopes(Collection<Scope>, Collection<Offered>);

/// The ids of the scopes a store was offered ([`Scopes::offer`]).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Offered {
    /// Offered once each: added then, or found there.
    pub ids: Vec<String>,
}

/// The one record of [`Offered`].
const OFFERED: &str = "protection";

/// Most attempts at recording what was offered against concurrent nodes.
const OFFER_ATTEMPTS: usize = 8;

impl Scopes {
    /// The collection's name.
    pub const COLLECTION: &'static str = "scopes";
    /// The unique key of each scope's `inum`.
    pub const INUM: &'static str = "inum";
    /// The version of [`Scopes::keys`] ([`Scopes::reindex`]).
    const KEYS_VERSION: u64 = 1;

    /// The scopes kept in `store`.
    pub fn new(store: std::sync::Arc<dyn DocumentStore>) -> Scopes {
        Scopes(
            Collection::new(store.clone(), Self::COLLECTION),
            Collection::new(store, "scope_offers"),
        )
    }

    /// The keys a scope is stored with: its `inum`, unique.
    pub fn keys(scope: &Scope) -> Vec<Key> {
        vec![Key::unique(Self::INUM, scope.inum.as_str())]
    }

    /// Give the scopes stored before [`Scopes::keys`] last changed their keys (engine
    /// start); how many were rewritten.
    pub async fn reindex(&self) -> Result<usize, StoreError> {
        self.0.reindex(Self::KEYS_VERSION, Self::keys).await
    }

    /// Add a scope; `Conflict` if one with this `id` or this `inum` exists. Durable when
    /// it returns.
    pub async fn insert(&self, scope: &Scope) -> Result<(), StoreError> {
        self.0
            .insert(&scope.id, scope, &Self::keys(scope))
            .await
            .map(drop)
    }

    /// Replace the scope with this `id`; `NotFound` if there is none.
    pub async fn update(&self, scope: &Scope) -> Result<(), StoreError> {
        self.0
            .replace(&scope.id, scope, &Self::keys(scope), None)
            .await
            .map(drop)
    }

    /// Replace the scope with this `id` only if it is still at `revision`: `Conflict` when
    /// another write came first (or its new `inum` is another scope's), `NotFound` when it
    /// is gone.
    pub async fn update_at(&self, scope: &Scope, revision: u64) -> Result<(), StoreError> {
        self.0
            .replace(&scope.id, scope, &Self::keys(scope), Some(revision))
            .await
            .map(drop)
    }

    /// The scope with this `inum`, and its revision.
    pub async fn by_inum(&self, inum: &str) -> Result<Option<(u64, Scope)>, StoreError> {
        self.0.find_revision(Self::INUM, inum).await
    }

    /// Remove the scope with this `id` only if it is still at `revision`; whether it was
    /// there.
    pub async fn delete_at(&self, id: &str, revision: u64) -> Result<bool, StoreError> {
        self.0.delete_at(id, revision).await
    }

    /// Remove a scope; whether it existed.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.0.delete(id).await
    }

    /// Every scope, ordered by `id`.
    pub async fn list(&self) -> Result<Vec<Scope>, StoreError> {
        self.0.all().await
    }

    /// Add each of `scopes` this store was never offered, unless a scope with its id or
    /// inum is there; then remember them all as offered. What a store made by an earlier
    /// version gets of the scopes a later one protects its APIs with (engine start); a
    /// scope offered once and deleted since is not added again. Nodes starting together:
    /// each scope lands once (the insert's `Conflict`), and the record is written by
    /// compare-and-set. Returns how many scopes this call added.
    pub async fn offer(&self, scopes: &[Scope]) -> Result<usize, StoreError> {
        let mut added = 0;
        for _ in 0..OFFER_ATTEMPTS {
            let (revision, mut offered) = match self.1.get_fresh(OFFERED).await? {
                Some((r, o)) => (Some(r), o),
                None => (None, Offered::default()),
            };
            let new: Vec<&Scope> = scopes
                .iter()
                .filter(|s| !offered.ids.contains(&s.id))
                .collect();
            if new.is_empty() && revision.is_some() {
                return Ok(added);
            }
            for scope in new {
                match self.insert(scope).await {
                    Ok(()) => added += 1,
                    Err(StoreError::Conflict) => {}
                    Err(e) => return Err(e),
                }
                offered.ids.push(scope.id.clone());
            }
            let written = match revision {
                None => self.1.insert(OFFERED, &offered, &[]).await,
                Some(r) => self.1.replace(OFFERED, &offered, &[], Some(r)).await,
            };
            match written {
                Ok(_) => return Ok(added),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_unique_and_keep_janssen_names() {
        let d = defaults();
        let mut ids: Vec<_> = d.iter().map(|s| s.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), d.len());
        assert_eq!(claims_of(&d, "email"), ["email", "email_verified"]);
        assert!(claims_of(&d, "uma_protection").is_empty());
        assert!(claims_of(&d, "nope").is_empty());
        let json = serde_json::to_value(&d[1]).unwrap();
        assert_eq!(json["scopeType"], "openid");
        assert_eq!(json["defaultScope"], true);
        assert_eq!(json["attributes"]["showInConfigurationEndpoint"], true);
        let back: Scope = serde_json::from_value(json).unwrap();
        assert_eq!(back, d[1]);
    }
}
