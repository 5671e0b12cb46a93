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
//! | `emails` | `mail`: the primary email (else the first) |
//! | `phoneNumbers` | `phone_number`: the primary number (else the first) |
//! | `addresses` | `address`: the primary address (else the first) |
//! | `photos` | `picture`: the primary photo (else the first) |
//! | everything else (`externalId`, `title`, all the emails, the extensions, ...) | `scim`, as sent |
//! | `groups` | the groups listing the user as a member (read-only) |
//! | `meta.created`, `meta.lastModified` | `created_at`, `updated_at` |
//!
//! The password is never returned (RFC 7643 §4.1.1 `returned: never`).

use serde_json::{Map, Value, json};

use crate::error::scim::{ScimError, ScimType};
use crate::repo::group::Group;
use crate::repo::user::{Address, User, UserStatus};
use crate::scim::schema::USER;

/// The members of the stored `scim` map that are claims instead (they are never kept in it).
const CLAIMED: [&str; 6] = [
    "userName",
    "displayName",
    "nickName",
    "locale",
    "timezone",
    "active",
];

/// The address sub-attributes kept as the `address` claim (OIDC Core §5.1.1).
fn address_pairs(a: &Address) -> [(&'static str, &Option<String>); 6] {
    [
        ("formatted", &a.formatted),
        ("streetAddress", &a.street_address),
        ("locality", &a.locality),
        ("region", &a.region),
        ("postalCode", &a.postal_code),
        ("country", &a.country),
    ]
}

/// Which value of a multi-valued attribute stands for its claim: the primary one, else the
/// first (RFC 7643 §2.4).
fn primary_index(items: &[Value]) -> Option<usize> {
    if items.is_empty() {
        return None;
    }
    Some(items.iter().position(|i| i["primary"] == true).unwrap_or(0))
}

/// The list `stored` (SCIM's copy) with its primary value made what the claim says now: the
/// claim may have changed outside SCIM (the CLI, the config API), and it wins. `claim` is
/// the members the claim gives the value (all of them `None`: no claim, the value goes).
fn reconcile(stored: Option<&Value>, claim: &[(&str, Option<Value>)], ty: &str) -> Option<Value> {
    let mut items = stored
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let given = claim.iter().any(|(_, v)| v.is_some());
    match (primary_index(&items), given) {
        (Some(i), true) => {
            if let Some(m) = items.get_mut(i).and_then(Value::as_object_mut) {
                for (k, v) in claim {
                    match v {
                        Some(v) => m.insert((*k).to_owned(), v.clone()),
                        None => m.remove(*k),
                    };
                }
            }
        }
        (Some(i), false) => {
            items.remove(i);
        }
        (None, true) => {
            let mut m: Map<String, Value> = claim
                .iter()
                .filter_map(|(k, v)| Some(((*k).to_owned(), v.clone()?)))
                .collect();
            m.insert("type".into(), ty.into());
            m.insert("primary".into(), true.into());
            items.push(Value::Object(m));
        }
        (None, false) => {}
    }
    (!items.is_empty()).then_some(Value::Array(items))
}

/// The SCIM User of `u`, a direct member of `groups`; `base` is the SCIM root URL.
pub fn to_scim(u: &User, groups: &[&Group], base: &str) -> Value {
    to_scim_owned(u.clone(), groups, base)
}

/// [`to_scim`] of a user the caller gives up (a scan's): nothing of it is copied.
pub fn to_scim_owned(mut u: User, groups: &[&Group], base: &str) -> Value {
    // The hash is left out of the version: it is never returned, and a version must not
    // tell whether a password changed. The memberships are in it.
    u.password_hash = None;
    let version = super::version_of(&(&u, groups.iter().map(|g| &g.inum).collect::<Vec<_>>()));
    // What SCIM keeps without a claim, then the claims over it.
    let mut r = std::mem::take(&mut u.scim);
    let unassigned = r.get("active").is_some_and(Value::is_null);
    r.insert("schemas".into(), json!([USER]));
    r.insert("id".into(), u.inum.clone().into());
    r.insert("userName".into(), u.uid.clone().into());
    let mut name = r
        .get("name")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, v) in [("givenName", &u.given_name), ("familyName", &u.family_name)] {
        match v {
            Some(v) => name.insert(k.into(), v.clone().into()),
            None => name.remove(k),
        };
    }
    if name.is_empty() {
        r.remove("name");
    } else {
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
    // `active` unassigned (its marker, a null, in the map) is not shown while the user may
    // sign in; a disabled user always shows `active: false`.
    r.remove("active");
    if !unassigned || u.status != UserStatus::Active {
        r.insert("active".into(), (u.status == UserStatus::Active).into());
    }
    let value = |v: &Option<String>| v.clone().map(Value::String);
    let address: Vec<(&str, Option<Value>)> = match &u.address {
        Some(a) => address_pairs(a)
            .into_iter()
            .map(|(k, v)| (k, value(v)))
            .collect(),
        None => Vec::new(),
    };
    for (attr, claim, ty) in [
        ("emails", vec![("value", value(&u.mail))], "work"),
        (
            "phoneNumbers",
            vec![("value", value(&u.phone_number))],
            "work",
        ),
        ("addresses", address, "work"),
        ("photos", vec![("value", value(&u.picture))], "photo"),
    ] {
        match reconcile(r.get(attr), &claim, ty) {
            Some(list) => r.insert(attr.into(), list),
            None => r.remove(attr),
        };
    }
    // Extensions with values are listed in `schemas` (RFC 7643 §3).
    let extensions: Vec<Value> = r
        .keys()
        .filter(|k| k.starts_with("urn:"))
        .map(|k| Value::String(k.clone()))
        .collect();
    if let Some(Value::Array(list)) = r.get_mut("schemas") {
        list.extend(extensions);
    }
    if !groups.is_empty() {
        r.insert("groups".into(), super::group::memberships(groups, base));
    }
    r.insert(
        "meta".into(),
        super::meta(
            "User",
            u.created_at,
            u.updated_at.max(u.created_at),
            format!("{base}/Users/{}", u.inum),
            version,
        ),
    );
    Value::Object(r)
}

/// What a resource without `active` means for the user's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeftOut {
    /// The status stays (PUT: a client replacing a user without `active` does not enable
    /// a disabled one).
    KeepsStatus,
    /// `active` is unassigned (POST, a PATCH that removes it): the user may sign in, and
    /// `active` is not shown until assigned again.
    Unassigned,
}

/// `user` as the read resource `r` says it is (POST, PUT, the result of a PATCH): the claims
/// from their attributes, the rest kept in its `scim` map; with the cleartext password `r`
/// sets, if any. `id`, `meta` and the password hash are the caller's; `active` left out
/// means what `left_out` says. A changed email is no longer verified.
pub fn from_scim(
    r: &Map<String, Value>,
    mut user: User,
    left_out: LeftOut,
) -> Result<(User, Option<String>), ScimError> {
    let mut rest = r.clone();
    for k in ["schemas", "id", "meta", "groups"] {
        rest.remove(k);
    }
    let password = match rest.remove("password") {
        Some(Value::String(p)) => Some(p),
        Some(_) => return Err(invalid_value("`password` takes a string")),
        None => None,
    };
    let text = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
    user.uid = text("userName").unwrap_or_default();
    user.name = text("displayName");
    user.nickname = text("nickName");
    user.locale = text("locale");
    user.zoneinfo = text("timezone");
    for k in CLAIMED {
        rest.remove(k);
    }
    match (r.get("active").and_then(Value::as_bool), left_out) {
        (Some(true), _) => user.status = UserStatus::Active,
        (Some(false), _) => user.status = UserStatus::Inactive,
        (None, LeftOut::KeepsStatus) => {}
        (None, LeftOut::Unassigned) => {
            user.status = UserStatus::Active;
            rest.insert("active".into(), Value::Null);
        }
    }
    let name = r.get("name").and_then(Value::as_object);
    let name_part = |k: &str| {
        name.and_then(|n| n.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    user.given_name = name_part("givenName");
    user.family_name = name_part("familyName");
    let primary = |attr: &str| -> Option<Map<String, Value>> {
        let items = r.get(attr)?.as_array()?;
        items.get(primary_index(items)?)?.as_object().cloned()
    };
    let primary_value =
        |attr: &str| primary(attr).and_then(|m| m.get("value")?.as_str().map(str::to_owned));
    let mail = primary_value("emails");
    if mail != user.mail {
        user.email_verified = false;
    }
    user.mail = mail;
    user.phone_number = primary_value("phoneNumbers");
    user.picture = primary_value("photos");
    user.address = primary("addresses").map(|m| {
        let part = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
        Address {
            formatted: part("formatted"),
            street_address: part("streetAddress"),
            locality: part("locality"),
            region: part("region"),
            postal_code: part("postalCode"),
            country: part("country"),
        }
    });
    user.scim = rest;
    user.validate()
        .map_err(|e| invalid_value(format!("{}: {}", e.attribute, e.reason)))?;
    Ok((user, password))
}

fn invalid_value(detail: impl Into<String>) -> ScimError {
    ScimError::new(ScimType::InvalidValue, detail)
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

    #[test]
    fn round_trip_keeps_what_has_no_claim() {
        use crate::scim::schema::{ENTERPRISE_USER, ResourceSchemas};
        let sent = json!({
            "schemas": [USER, ENTERPRISE_USER],
            "userName": "bjensen",
            "externalId": "701984",
            "name": {"givenName": "Barbara", "familyName": "Jensen", "middleName": "Jane"},
            "title": "Tour Guide",
            "emails": [
                {"value": "home@example.com", "type": "home"},
                {"value": "work@example.com", "type": "work", "primary": true},
            ],
            "addresses": [{"locality": "Hollywood", "type": "work"}],
            "password": "t1meMa$heen",
            "active": false,
            ENTERPRISE_USER: {"employeeNumber": "42"},
        });
        let schemas = ResourceSchemas::users(&[]).unwrap();
        let r = crate::scim::resource::input::read(&serde_json::to_vec(&sent).unwrap(), &schemas)
            .unwrap();
        let (u, password) = from_scim(&r, User::default(), LeftOut::Unassigned).unwrap();
        assert_eq!(password.as_deref(), Some("t1meMa$heen"));
        assert_eq!(u.uid, "bjensen");
        assert_eq!(u.mail.as_deref(), Some("work@example.com"), "the primary");
        assert_eq!(u.given_name.as_deref(), Some("Barbara"));
        assert_eq!(
            u.address.as_ref().unwrap().locality.as_deref(),
            Some("Hollywood")
        );
        assert_eq!(u.status, UserStatus::Inactive);
        assert!(u.scim.get("password").is_none() && u.scim.get("userName").is_none());
        let back = to_scim(&u, &[], "x");
        for k in [
            "externalId",
            "title",
            "emails",
            "addresses",
            "name",
            ENTERPRISE_USER,
        ] {
            assert_eq!(back[k], sent[k], "{k}");
        }
        assert_eq!(back["schemas"], json!([USER, ENTERPRISE_USER]));
        assert!(back.get("password").is_none());

        // A claim changed elsewhere (the CLI) wins over SCIM's copy; one removed goes.
        let mut elsewhere = u.clone();
        elsewhere.mail = Some("new@example.com".into());
        elsewhere.family_name = None;
        let shown = to_scim(&elsewhere, &[], "x");
        assert_eq!(shown["emails"][1]["value"], "new@example.com");
        assert_eq!(shown["emails"][0]["value"], "home@example.com");
        assert!(shown["name"].get("familyName").is_none());
        elsewhere.mail = None;
        let shown = to_scim(&elsewhere, &[], "x");
        assert_eq!(shown["emails"].as_array().unwrap().len(), 1);
        // A claim set where SCIM had no list yet.
        let cli = User {
            uid: "c".into(),
            phone_number: Some("+1555".into()),
            ..User::default()
        };
        assert_eq!(
            to_scim(&cli, &[], "x")["phoneNumbers"],
            json!([{"value": "+1555", "type": "work", "primary": true}])
        );
        // `active` removed: the user may sign in and `active` is not shown; left out of a
        // replacement, the status stays.
        let mut r2 = r.clone();
        r2.remove("active");
        let (unassigned, _) = from_scim(&r2, u.clone(), LeftOut::Unassigned).unwrap();
        assert_eq!(unassigned.status, UserStatus::Active);
        assert!(to_scim(&unassigned, &[], "x").get("active").is_none());
        let (kept, _) = from_scim(&r2, u.clone(), LeftOut::KeepsStatus).unwrap();
        assert_eq!(kept.status, UserStatus::Inactive);
        assert_eq!(to_scim(&kept, &[], "x")["active"], false);
        let mut disabled = unassigned.clone();
        disabled.status = UserStatus::Inactive;
        assert_eq!(
            to_scim(&disabled, &[], "x")["active"],
            false,
            "disabled elsewhere"
        );
        // A userName the user base refuses, an email that is none.
        for bad in [
            json!({"userName": "a b"}),
            json!({"userName": "a", "emails": [{"value": "nope"}]}),
        ] {
            let m = bad.as_object().unwrap();
            assert_eq!(
                from_scim(m, User::default(), LeftOut::Unassigned)
                    .unwrap_err()
                    .scim_type,
                Some(ScimType::InvalidValue)
            );
        }
    }
}
