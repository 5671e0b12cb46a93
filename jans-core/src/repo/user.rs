//! People: Janssen's person entry (`jansPerson`) with the OpenID Connect standard claims it
//! carries (OIDC Core §5.1), an internal id (`inum`) and a login name (`uid`).

use serde::{Deserialize, Serialize};

use crate::ctx::UnixTime;
use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::{DocumentStore, Filter, Key};

/// OIDC Core §5.1.1 address claim.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Full mailing address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Street.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// City or locality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// State, province, prefecture or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Zip or postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Janssen's `jansStatus`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// May log in.
    #[default]
    Active,
    /// May not log in.
    Inactive,
}

/// A person. Claim names are OIDC Core §5.1's; `inum` and `uid` are Janssen's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Internal, immutable id (Janssen `inum`); the `sub` of public subject identifiers.
    pub inum: String,
    /// Login name (Janssen `uid`), unique case-insensitively.
    pub uid: String,
    /// Janssen `mail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// OIDC `email_verified`.
    #[serde(default)]
    pub email_verified: bool,
    /// OIDC `given_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// OIDC `family_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// OIDC `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// OIDC `nickname`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// OIDC `preferred_username`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// OIDC `picture`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// OIDC `locale` (BCP 47).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// OIDC `zoneinfo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    /// OIDC `birthdate` (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// OIDC `phone_number` (E.164 recommended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// OIDC `address`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Janssen `jansStatus`.
    #[serde(default)]
    pub status: UserStatus,
    /// argon2id PHC string; never serialized to any client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// The attributes SCIM keeps that have no claim of their own (RFC 7643 §4.1: `externalId`,
    /// every email and phone number beyond the primary, `title`, the extension objects, ...),
    /// as SCIM spells them; the primary email, phone number, address and photo are the
    /// claims above. Written by the SCIM component only.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub scim: serde_json::Map<String, serde_json::Value>,
    /// When the entry was created.
    #[serde(default)]
    pub created_at: UnixTime,
    /// When the entry last changed (OIDC `updated_at`).
    #[serde(default)]
    pub updated_at: UnixTime,
}

/// Why user data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid user attribute {attribute}: {reason}")]
pub struct UserError {
    /// The attribute at fault.
    pub attribute: &'static str,
    /// What is wrong.
    pub reason: &'static str,
}

fn bad(attribute: &'static str, reason: &'static str) -> UserError {
    UserError { attribute, reason }
}

impl User {
    /// The person's roles: the `value` of each of their SCIM `roles` (RFC 7643 §4.1.2),
    /// Janssen's `role` (Casa's administrators have `CasaAdmin`).
    pub fn roles(&self) -> Vec<String> {
        self.scim
            .get("roles")
            .and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.get("value")?.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Give the person `roles` (none: no SCIM `roles`).
    pub fn set_roles(&mut self, roles: &[String]) {
        if roles.is_empty() {
            self.scim.remove("roles");
        } else {
            let list = roles
                .iter()
                .map(|r| serde_json::json!({"value": r}))
                .collect();
            self.scim
                .insert("roles".into(), serde_json::Value::Array(list));
        }
    }

    /// The key of the case-insensitive `uid` index.
    pub fn uid_key(uid: &str) -> String {
        uid.to_lowercase()
    }

    /// The values of the emails SCIM keeps (`scim.emails[].value`).
    fn scim_emails(&self) -> impl Iterator<Item = &str> {
        self.scim
            .get("emails")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("value").and_then(serde_json::Value::as_str))
    }

    /// The provisioning client's id SCIM keeps (`scim.externalId`).
    fn external_id(&self) -> Option<&str> {
        self.scim
            .get("externalId")
            .and_then(serde_json::Value::as_str)
    }

    /// Check every attribute's shape and bounds.
    pub fn validate(&self) -> Result<(), UserError> {
        let uid_ok = !self.uid.is_empty()
            && self.uid.len() <= 128
            && self
                .uid
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+'));
        if !uid_ok {
            return Err(bad(
                "uid",
                "1 to 128 letters, digits and . _ - @ + are allowed",
            ));
        }
        if let Some(m) = &self.mail {
            let parts: Vec<&str> = m.split('@').collect();
            let ok = m.len() <= 254
                && !m.chars().any(char::is_control)
                && parts.len() == 2
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && !p.contains(char::is_whitespace));
            if !ok {
                return Err(bad("mail", "not an email address"));
            }
        }
        if let Some(b) = &self.birthdate {
            let ok = b.len() == 10
                && b.chars().enumerate().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        c == '-'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            if !ok {
                return Err(bad("birthdate", "must be YYYY-MM-DD (OIDC Core §5.1)"));
            }
        }
        // What the store indexes (`Users::keys`) is bounded as the claims are.
        let indexed = self.scim_emails().chain(self.external_id());
        for v in indexed {
            if v.len() > 1024 || v.chars().any(char::is_control) {
                return Err(bad(
                    "scim",
                    "an email or externalId is too long or contains control characters",
                ));
            }
        }
        for (name, v) in [
            ("given_name", &self.given_name),
            ("family_name", &self.family_name),
            ("name", &self.name),
            ("nickname", &self.nickname),
            ("preferred_username", &self.preferred_username),
            ("picture", &self.picture),
            ("locale", &self.locale),
            ("zoneinfo", &self.zoneinfo),
            ("phone_number", &self.phone_number),
        ] {
            if v.as_ref()
                .is_some_and(|s| s.len() > 1024 || s.chars().any(char::is_control))
            {
                return Err(bad(name, "too long or contains control characters"));
            }
        }
        Ok(())
    }

    /// The user's public view: every attribute but the password hash.
    pub fn to_public_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self)
            .unwrap_or_else(|_| serde_json::Value::Object(serde_json::Map::new()));
        if let serde_json::Value::Object(m) = &mut v {
            m.remove("password_hash");
        }
        v
    }
}

/// People: the collection `users`, by `inum`, with the unique key `uid` (the login name,
/// lowercased: [`User::uid_key`]).
#[derive(Clone, Debug)]
pub struct Users(Collection<User>);

impl Users {
    /// The collection's name.
    pub const COLLECTION: &'static str = "users";
    /// The unique key of the login name.
    pub const UID: &'static str = "uid";

    /// The users kept in `store`.
    pub fn new(store: std::sync::Arc<dyn DocumentStore>) -> Users {
        Users(Collection::new(store, Self::COLLECTION))
    }

    /// The index key of every email (the `mail` claim and each SCIM email), lowercased.
    pub const EMAIL: &'static str = "email";
    /// The index key of the provisioning client's id (SCIM `externalId`), as given.
    pub const EXTERNAL_ID: &'static str = "externalId";
    /// The index key of when the user last changed (SCIM `meta.lastModified`):
    /// [`Users::time_key`] of the later of `updated_at` and `created_at`.
    pub const UPDATED: &'static str = "updated";
    /// The version of [`Users::keys`]: raised when it changes, so that the users stored
    /// before are given the new keys at the next start ([`Users::reindex`]).
    const KEYS_VERSION: u64 = 1;

    /// The keys a user is stored with: its login name (unique) and the index keys
    /// [`Users::EMAIL`], [`Users::EXTERNAL_ID`] and [`Users::UPDATED`].
    pub fn keys(user: &User) -> Vec<Key> {
        let mut keys = vec![
            Key::unique(Self::UID, User::uid_key(&user.uid)),
            Key::index(
                Self::UPDATED,
                Self::time_key(user.updated_at.max(user.created_at)),
            ),
        ];
        for email in user.mail.as_deref().into_iter().chain(user.scim_emails()) {
            keys.push(Key::index(Self::EMAIL, email.to_lowercase()));
        }
        if let Some(x) = user.external_id() {
            keys.push(Key::index(Self::EXTERNAL_ID, x));
        }
        keys
    }

    /// A time as an index value: seconds, zero-padded to 20 digits, so that times compare
    /// as their values do.
    pub fn time_key(t: UnixTime) -> String {
        format!("{t:020}")
    }

    /// Give the users stored before [`Users::keys`] last changed their keys (engine start);
    /// how many were rewritten.
    pub async fn reindex(&self) -> Result<usize, StoreError> {
        self.0.reindex(Self::KEYS_VERSION, Self::keys).await
    }

    /// The collection under the repository (for a read joined with another).
    pub(crate) fn collection(&self) -> &Collection<User> {
        &self.0
    }

    /// Up to `limit` users whose keys pass `filter` (names [`Users::UID`],
    /// [`Users::EMAIL`], [`Users::EXTERNAL_ID`], [`Users::UPDATED`]), in `inum` order: the
    /// store's indexed evaluation.
    pub async fn query(&self, filter: &Filter, limit: usize) -> Result<Vec<User>, StoreError> {
        Ok(self
            .0
            .query(filter, limit)
            .await?
            .into_iter()
            .map(|(_, u)| u)
            .collect())
    }

    /// Store a new user; `Conflict` if the `inum` or the `uid` is taken. Durable when it
    /// returns.
    pub async fn insert(&self, user: &User) -> Result<(), StoreError> {
        self.0
            .insert(&user.inum, user, &Self::keys(user))
            .await
            .map(drop)
    }

    /// The user with this `inum`.
    pub async fn get(&self, inum: &str) -> Result<Option<User>, StoreError> {
        self.0.get(inum).await
    }

    /// The user with this login name (case-insensitive).
    pub async fn by_uid(&self, uid: &str) -> Result<Option<User>, StoreError> {
        self.0.find(Self::UID, &User::uid_key(uid)).await
    }

    /// The user with this `inum` and its revision as stored now (for
    /// [`Users::update_at`]: [`Collection::get_fresh`]).
    pub async fn get_revision(&self, inum: &str) -> Result<Option<(u64, User)>, StoreError> {
        self.0.get_fresh(inum).await
    }

    /// Replace a user by `inum`; `NotFound` if absent, `Conflict` if a changed `uid` is
    /// taken. Durable when it returns.
    pub async fn update(&self, user: &User) -> Result<(), StoreError> {
        self.0
            .replace(&user.inum, user, &Self::keys(user), None)
            .await
            .map(drop)
    }

    /// Replace a user only if it is still at `revision`: `Conflict` when another write came
    /// first or a changed `uid` is taken, `NotFound` when it is gone. Returns the new
    /// revision. Durable when it returns.
    pub async fn update_at(&self, user: &User, revision: u64) -> Result<u64, StoreError> {
        self.0
            .replace(&user.inum, user, &Self::keys(user), Some(revision))
            .await
    }

    /// Delete by `inum`; `false` if absent. Durable when it returns.
    pub async fn delete(&self, inum: &str) -> Result<bool, StoreError> {
        self.0.delete(inum).await
    }

    /// Every user, ordered by `inum`.
    pub async fn list(&self) -> Result<Vec<User>, StoreError> {
        self.0.all().await
    }

    /// Up to `limit` users after the `inum` `after`, ordered by `inum`, with where the next
    /// page starts (`None` after the last): a scan that holds one page at a time.
    pub async fn page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<User>, Option<String>), StoreError> {
        self.0.page(after, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        let ok = User {
            inum: "i".into(),
            uid: "Alice.Smith@example".into(),
            mail: Some("alice@example.com".into()),
            birthdate: Some("1990-01-31".into()),
            ..User::default()
        };
        ok.validate().unwrap();
        assert_eq!(User::uid_key("Alice"), "alice");
        for bad in [
            User {
                uid: "".into(),
                ..ok.clone()
            },
            User {
                uid: "a b".into(),
                ..ok.clone()
            },
            User {
                mail: Some("nope".into()),
                ..ok.clone()
            },
            User {
                mail: Some("a\u{0}b@example.com".into()),
                ..ok.clone()
            },
            User {
                birthdate: Some("31/01/1990".into()),
                ..ok.clone()
            },
            User {
                name: Some("a\u{0}b".into()),
                ..ok.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        let public = User {
            password_hash: Some("$argon2id$...".into()),
            ..ok
        }
        .to_public_json();
        assert!(public.get("password_hash").is_none());
    }
}
