//! A person of the user base as a SCIM User (RFC 7643 §4.1): the same `users` the
//! auth-server signs in (issue 13 item 8). The mapping:
//!
//! | SCIM | stored (`repo::user::User`) |
//! |---|---|
//! | `id` | `inum` |
//! | `userName` | `uid` |
//! | `name.givenName`, `name.familyName` | `given_name`, `family_name` |
//! | `displayName`, `nickName` | `name`, `nickname` |
//! | `locale`, `timezone` | `locale`, `zoneinfo` |
//! | `active` | `status` is active |
//! | `emails` | `mail`, the primary work email |
//! | `phoneNumbers` | `phone_number`, the primary work number |
//! | `addresses` | `address`, the primary work address |
//! | `photos` | `picture`, the primary photo |
//! | `groups` | the groups listing the user as a member (read-only) |
//! | `meta.created`, `meta.lastModified` | `created_at`, `updated_at` |
//!
//! The password is never returned (RFC 7643 §4.1.1 `returned: never`).

use serde_json::{Map, Value, json};

use crate::repo::group::Group;
use crate::repo::user::{User, UserStatus};
use crate::scim::schema::USER;

/// The SCIM User of `u`, a direct member of `groups`; `base` is the SCIM root URL.
pub fn to_scim(u: &User, groups: &[&Group], base: &str) -> Value {
    let mut r = Map::new();
    r.insert("schemas".into(), json!([USER]));
    r.insert("id".into(), u.inum.clone().into());
    r.insert("userName".into(), u.uid.clone().into());
    let mut name = Map::new();
    for (k, v) in [("givenName", &u.given_name), ("familyName", &u.family_name)] {
        if let Some(v) = v {
            name.insert(k.into(), v.clone().into());
        }
    }
    if !name.is_empty() {
        r.insert("name".into(), Value::Object(name));
    }
    for (k, v) in [
        ("displayName", &u.name),
        ("nickName", &u.nickname),
        ("locale", &u.locale),
        ("timezone", &u.zoneinfo),
    ] {
        if let Some(v) = v {
            r.insert(k.into(), v.clone().into());
        }
    }
    r.insert("active".into(), (u.status == UserStatus::Active).into());
    if let Some(mail) = &u.mail {
        r.insert(
            "emails".into(),
            json!([{"value": mail, "type": "work", "primary": true}]),
        );
    }
    if let Some(phone) = &u.phone_number {
        r.insert(
            "phoneNumbers".into(),
            json!([{"value": phone, "type": "work", "primary": true}]),
        );
    }
    if let Some(a) = &u.address {
        let mut m = Map::new();
        for (k, v) in [
            ("formatted", &a.formatted),
            ("streetAddress", &a.street_address),
            ("locality", &a.locality),
            ("region", &a.region),
            ("postalCode", &a.postal_code),
            ("country", &a.country),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), v.clone().into());
            }
        }
        if !m.is_empty() {
            m.insert("type".into(), "work".into());
            m.insert("primary".into(), true.into());
            r.insert("addresses".into(), Value::Array(vec![Value::Object(m)]));
        }
    }
    if let Some(p) = &u.picture {
        r.insert(
            "photos".into(),
            json!([{"value": p, "type": "photo", "primary": true}]),
        );
    }
    if !groups.is_empty() {
        r.insert("groups".into(), super::group::memberships(groups, base));
    }
    let mut stored = u.clone();
    stored.password_hash = None;
    r.insert(
        "meta".into(),
        super::meta(
            "User",
            u.created_at,
            u.updated_at.max(u.created_at),
            format!("{base}/Users/{}", u.inum),
            // The hash is left out of the version: it is never returned, and a version
            // must not tell whether a password changed. The memberships are in it.
            super::version_of(&(&stored, groups.iter().map(|g| &g.inum).collect::<Vec<_>>())),
        ),
    );
    Value::Object(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::user::Address;

    #[test]
    fn mapping() {
        let u = User {
            inum: "i-1".into(),
            uid: "bjensen".into(),
            mail: Some("b@example.com".into()),
            given_name: Some("Barbara".into()),
            family_name: Some("Jensen".into()),
            name: Some("Babs Jensen".into()),
            phone_number: Some("+15555550100".into()),
            address: Some(Address {
                locality: Some("Hollywood".into()),
                ..Default::default()
            }),
            status: UserStatus::Inactive,
            password_hash: Some("$argon2id$...".into()),
            created_at: 1_305_261_754,
            updated_at: 1_305_261_800,
            ..Default::default()
        };
        let r = to_scim(&u, &[], "https://id.example.com/jans-scim/restv1/v2");
        assert_eq!(r["id"], "i-1");
        assert_eq!(r["userName"], "bjensen");
        assert_eq!(
            r["name"],
            json!({"givenName": "Barbara", "familyName": "Jensen"})
        );
        assert_eq!(r["displayName"], "Babs Jensen");
        assert_eq!(r["active"], false);
        assert_eq!(r["emails"][0]["value"], "b@example.com");
        assert_eq!(r["emails"][0]["primary"], true);
        assert_eq!(r["addresses"][0]["locality"], "Hollywood");
        assert_eq!(r["meta"]["created"], "2011-05-13T04:42:34Z");
        assert_eq!(r["meta"]["lastModified"], "2011-05-13T04:43:20Z");
        assert_eq!(
            r["meta"]["location"],
            "https://id.example.com/jans-scim/restv1/v2/Users/i-1"
        );
        assert!(!r.to_string().contains("argon2"), "{r}");
        // The version follows what is stored, not the password hash.
        let v = r["meta"]["version"].as_str().unwrap().to_owned();
        assert!(v.starts_with("W/\""));
        let mut same = u.clone();
        same.password_hash = Some("$argon2id$other".into());
        assert_eq!(to_scim(&same, &[], "x")["meta"]["version"], v.as_str());
        let mut changed = u.clone();
        changed.nickname = Some("B".into());
        assert_ne!(to_scim(&changed, &[], "x")["meta"]["version"], v.as_str());
    }
}
