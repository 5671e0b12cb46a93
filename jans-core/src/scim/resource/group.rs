//! A group as a SCIM Group (RFC 7643 §4.2), and the `groups` a User shows (§4.1.2: the
//! groups it is a direct member of, read-only).

use serde_json::{Map, Value, json};

use crate::error::scim::{ScimError, ScimType};
use crate::repo::group::{Group, MemberKind};
use crate::scim::schema::GROUP;

/// The SCIM Group of `g`; `base` is the SCIM root URL.
pub fn to_scim(g: &Group, base: &str) -> Value {
    let mut r = Map::new();
    r.insert("schemas".into(), json!([GROUP]));
    r.insert("id".into(), g.inum.clone().into());
    r.insert("displayName".into(), g.display_name.clone().into());
    if let Some(x) = &g.external_id {
        r.insert("externalId".into(), x.clone().into());
    }
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|m| {
            let (kind, path) = match m.kind {
                MemberKind::User => ("User", "Users"),
                MemberKind::Group => ("Group", "Groups"),
            };
            json!({"value": m.value, "type": kind, "$ref": format!("{base}/{path}/{}", m.value)})
        })
        .collect();
    if !members.is_empty() {
        r.insert("members".into(), Value::Array(members));
    }
    r.insert(
        "meta".into(),
        super::meta(
            "Group",
            g.created_at,
            g.updated_at.max(g.created_at),
            format!("{base}/Groups/{}", g.inum),
            super::version_of(g),
        ),
    );
    Value::Object(r)
}

/// `group` as the read resource `r` says it is (POST, PUT, the result of a PATCH): its
/// display name, external id and member ids, each once and in the order given. What each
/// member is, the caller finds out (a member is a user or a group that exists).
pub fn from_scim(
    r: &Map<String, Value>,
    mut group: Group,
) -> Result<(Group, Vec<String>), ScimError> {
    let name = r
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name.trim().is_empty() || name.len() > 1024 || name.chars().any(char::is_control) {
        return Err(ScimError::new(
            ScimType::InvalidValue,
            "`displayName` must be 1 to 1024 characters without control characters",
        ));
    }
    group.display_name = name.to_owned();
    group.external_id = r
        .get("externalId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if group
        .external_id
        .as_ref()
        .is_some_and(|x| x.len() > 1024 || x.chars().any(char::is_control))
    {
        return Err(ScimError::new(
            ScimType::InvalidValue,
            "`externalId` must be at most 1024 characters without control characters",
        ));
    }
    let mut ids: Vec<String> = Vec::new();
    for m in r
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = m.get("value").and_then(Value::as_str).ok_or_else(|| {
            ScimError::new(ScimType::InvalidValue, "every member needs its `value`")
        })?;
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_owned());
        }
    }
    Ok((group, ids))
}

/// The groups of `groups` each member is a direct member of, by the member's `inum`.
pub fn by_member(groups: &[Group]) -> std::collections::HashMap<&str, Vec<&Group>> {
    let mut of: std::collections::HashMap<&str, Vec<&Group>> = std::collections::HashMap::new();
    for g in groups {
        for m in &g.members {
            of.entry(m.value.as_str()).or_default().push(g);
        }
    }
    of
}

/// A User's `groups`: one value per group it is a direct member of.
pub fn memberships(groups: &[&Group], base: &str) -> Value {
    Value::Array(
        groups
            .iter()
            .map(|g| {
                json!({
                    "value": g.inum,
                    "$ref": format!("{base}/Groups/{}", g.inum),
                    "display": g.display_name,
                    "type": "direct",
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::group::Member;

    #[test]
    fn mapping() {
        let g = Group {
            inum: "g1".into(),
            display_name: "Admins".into(),
            members: vec![
                Member {
                    value: "u1".into(),
                    kind: MemberKind::User,
                },
                Member {
                    value: "g2".into(),
                    kind: MemberKind::Group,
                },
            ],
            external_id: Some("ext".into()),
            created_at: 1_305_261_754,
            updated_at: 0,
        };
        let r = to_scim(&g, "https://x/v2");
        assert_eq!(r["displayName"], "Admins");
        assert_eq!(r["externalId"], "ext");
        assert_eq!(
            r["members"][1],
            json!({"value": "g2", "type": "Group", "$ref": "https://x/v2/Groups/g2"})
        );
        assert_eq!(r["meta"]["lastModified"], "2011-05-13T04:42:34Z");
        assert_eq!(
            memberships(&[&g], "https://x/v2")[0],
            json!({"value": "g1", "$ref": "https://x/v2/Groups/g1", "display": "Admins", "type": "direct"})
        );
    }
}
