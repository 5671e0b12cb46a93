//! Janssen's `GET /UpdatedUsers?timeStamp=&start=&pageSize=` (jans-scim's incremental sync
//! for provisioning tools): the users created or changed at or after `timeStamp` (an
//! xsd:dateTime), ordered by `userName`, from the 0-based `start`, at most `pageSize` (and
//! at most `maxCount`) of them, for tokens with `https://jans.io/scim/users.read`.
//!
//! The answer is Janssen's, plain JSON: `total` (the results in this page, as Janssen
//! counts), `latestUpdateAt` (the latest change among them, to ask from next time) and
//! `results`, each user as Janssen's person entry: its attribute names (`inum`, `uid`,
//! `mail`, `givenName`, `sn`, `jansStatus`, `updatedAt`, ...) each with the list of its
//! values. No password hash.

use serde_json::{Map, Value, json};

use crate::error::scim::{ScimError, ScimType};
use crate::repo::user::{User, UserStatus};
use crate::scim::datetime;

/// Janssen's person entry for `u`: attribute name to its values.
pub fn entry(u: &User) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), Value::Array(vec![v]));
        }
    };
    let s = |v: &Option<String>| v.clone().map(Value::String);
    put("inum", Some(u.inum.clone().into()));
    put("uid", Some(u.uid.clone().into()));
    put("mail", s(&u.mail));
    put(
        "emailVerified",
        u.mail.is_some().then_some(u.email_verified.into()),
    );
    put("givenName", s(&u.given_name));
    put("sn", s(&u.family_name));
    put("displayName", s(&u.name));
    put("nickname", s(&u.nickname));
    put("preferredUsername", s(&u.preferred_username));
    put("picture", s(&u.picture));
    put("locale", s(&u.locale));
    put("zoneinfo", s(&u.zoneinfo));
    put("birthdate", s(&u.birthdate));
    put("mobile", s(&u.phone_number));
    put(
        "jansStatus",
        Some(
            match u.status {
                UserStatus::Active => "active",
                UserStatus::Inactive => "inactive",
            }
            .into(),
        ),
    );
    put(
        "jansCreationTimestamp",
        Some(datetime::format(u.created_at).into()),
    );
    put(
        "updatedAt",
        Some(datetime::format(u.updated_at.max(u.created_at)).into()),
    );
    if let Some(x) = u.scim.get("externalId").and_then(Value::as_str) {
        put("jansExtUid", Some(x.into()));
    }
    Value::Object(m)
}

/// The parameters: `timeStamp` as seconds since the epoch, `start`, `pageSize`.
pub fn params(
    time_stamp: Option<&str>,
    start: Option<&str>,
    page_size: Option<&str>,
    max_count: usize,
) -> Result<(u64, usize, usize), ScimError> {
    let invalid = |d: String| ScimError::new(ScimType::InvalidValue, d);
    let since = time_stamp
        .and_then(datetime::parse)
        .ok_or_else(|| invalid(format!("unparsable date: {}", time_stamp.unwrap_or(""))))?;
    let since = u64::try_from(since.div_euclid(1_000_000_000)).unwrap_or(0);
    let number = |v: Option<&str>, min: usize| -> Result<usize, ScimError> {
        v.unwrap_or("0")
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= min)
            .ok_or_else(|| invalid("no suitable value for 'start' or 'pageSize'".into()))
    };
    let start = number(start, 0)?;
    let size = number(page_size, 1)?.min(max_count);
    Ok((since, start, size))
}

/// The answer for `users` (every user, or those the `updated` index says changed since
/// `since`: the same ones), given the parameters.
pub fn answer(mut users: Vec<User>, since: u64, start: usize, size: usize) -> Value {
    users.retain(|u| u.created_at >= since || u.updated_at >= since);
    users.sort_by(|a, b| User::uid_key(&a.uid).cmp(&User::uid_key(&b.uid)));
    let page: Vec<&User> = users.iter().skip(start).take(size).collect();
    let mut out = json!({
        "total": page.len(),
        "results": page.iter().map(|u| entry(u)).collect::<Vec<_>>(),
    });
    if let Some(latest) = page.iter().map(|u| u.updated_at.max(u.created_at)).max()
        && let Some(m) = out.as_object_mut()
    {
        m.insert("latestUpdateAt".into(), datetime::format(latest).into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(uid: &str, created: u64, updated: u64) -> User {
        User {
            inum: format!("i-{uid}"),
            uid: uid.into(),
            password_hash: Some("$argon2id$secret".into()),
            created_at: created,
            updated_at: updated,
            ..User::default()
        }
    }

    #[test]
    fn changed_since_in_uid_order_and_paged() {
        let all = vec![
            user("carol", 100, 100),
            user("alice", 10, 200),
            user("Bob", 150, 150),
            user("dave", 10, 20),
        ];
        let (since, start, size) =
            params(Some("1970-01-01T00:01:40Z"), None, Some("2"), 200).unwrap();
        assert_eq!((since, start, size), (100, 0, 2));
        let v = answer(all.clone(), since, start, size);
        assert_eq!(v["total"], 2);
        assert_eq!(v["results"][0]["uid"], json!(["alice"]));
        assert_eq!(v["results"][1]["uid"], json!(["Bob"]));
        assert_eq!(v["latestUpdateAt"], "1970-01-01T00:03:20Z");
        assert!(!v.to_string().contains("argon2"));
        let next = answer(all, since, 2, 2);
        assert_eq!(next["results"][0]["uid"], json!(["carol"]));
        assert_eq!(next["total"], 1);
        for (ts, start, size) in [
            (Some("yesterday"), None, Some("1")),
            (None, None, Some("1")),
            (Some("2020-01-01T00:00:00Z"), Some("-1"), Some("1")),
            (Some("2020-01-01T00:00:00Z"), None, Some("0")),
            (Some("2020-01-01T00:00:00Z"), None, None),
        ] {
            assert!(
                params(ts, start, size, 200).is_err(),
                "{ts:?} {start:?} {size:?}"
            );
        }
        // pageSize is capped by maxCount.
        assert_eq!(
            params(Some("2020-01-01T00:00:00Z"), None, Some("999"), 200)
                .unwrap()
                .2,
            200
        );
    }
}
