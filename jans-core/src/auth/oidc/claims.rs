//! Which user claims a client receives: by scope (OIDC Core §5.4) and by the `claims`
//! request parameter (OIDC Core §5.5), read from the [`User`] entry.

use serde_json::{Map, Value};

use crate::repo::user::User;

/// Every claim name this server can release (for discovery's `claims_supported`).
pub const SUPPORTED: [&str; 17] = [
    "sub",
    "name",
    "family_name",
    "given_name",
    "nickname",
    "preferred_username",
    "picture",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
    "email",
    "email_verified",
    "address",
    "phone_number",
    "acr",
    GROUPS,
];

/// The `groups` claim: the display names of the groups the user is a direct member of
/// (managed through SCIM). Not in the user's entry: read from the groups when a release
/// asks for it ([`asks_for_groups`]), released when the user has any.
pub const GROUPS: &str = "groups";

/// Whether a release for `scopes` (as `known` defines their claims) or the `claims`
/// parameter text `claims` may name [`GROUPS`], so its caller reads the groups first.
pub fn asks_for_groups(
    known: &[crate::repo::scope::Scope],
    scopes: &[&str],
    claims: Option<&str>,
) -> bool {
    scopes.iter().any(|s| {
        crate::repo::scope::claims_of(known, s)
            .iter()
            .any(|c| c == GROUPS)
    }) || claims
        .and_then(|c| ClaimsRequest::parse(c).ok())
        .is_some_and(|r| r.userinfo.contains_key(GROUPS) || r.id_token.contains_key(GROUPS))
}

/// The value of claim `name` for `user`, a direct member of the groups named `groups`.
fn claim(user: &User, groups: &[String], name: &str) -> Option<Value> {
    if name == GROUPS {
        return (!groups.is_empty()).then(|| Value::from(groups.to_vec()));
    }
    user_claim(user, name)
}

/// The value of one standard claim for `user`, if the user has it.
pub fn user_claim(user: &User, name: &str) -> Option<Value> {
    let s = |v: &Option<String>| v.clone().map(Value::String);
    match name {
        "name" => s(&user.name),
        "family_name" => s(&user.family_name),
        "given_name" => s(&user.given_name),
        "nickname" => s(&user.nickname),
        "preferred_username" => s(&user.preferred_username),
        "picture" => s(&user.picture),
        "birthdate" => s(&user.birthdate),
        "zoneinfo" => s(&user.zoneinfo),
        "locale" => s(&user.locale),
        "updated_at" => (user.updated_at > 0).then(|| Value::from(user.updated_at)),
        "email" => s(&user.mail),
        "email_verified" => user
            .mail
            .is_some()
            .then_some(Value::Bool(user.email_verified)),
        "address" => user
            .address
            .as_ref()
            .and_then(|a| serde_json::to_value(a).ok()),
        "phone_number" => s(&user.phone_number),
        _ => None,
    }
}

/// Where requested claims go (OIDC Core §5.5: top-level members of `claims`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The `userinfo` member.
    Userinfo,
    /// The `id_token` member.
    IdToken,
}

/// Why a `claims` parameter was refused (`invalid_request`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid claims parameter: {0}")]
pub struct ClaimsError(pub &'static str);

/// A parsed `claims` request parameter (OIDC Core §5.5).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClaimsRequest {
    /// Claim names requested for the userinfo response, with their requests.
    pub userinfo: Map<String, Value>,
    /// Claim names requested for the ID token.
    pub id_token: Map<String, Value>,
}

impl ClaimsRequest {
    /// Parse the JSON text of the `claims` parameter. Each member's value must be `null` or
    /// an object (with `essential`, `value` or `values`).
    pub fn parse(text: &str) -> Result<ClaimsRequest, ClaimsError> {
        if text.len() > 8192 {
            return Err(ClaimsError("too large"));
        }
        let v: Value = serde_json::from_str(text).map_err(|_| ClaimsError("not JSON"))?;
        let Value::Object(top) = v else {
            return Err(ClaimsError("must be a JSON object"));
        };
        let mut out = ClaimsRequest::default();
        for (member, requests) in top {
            let target = match member.as_str() {
                "userinfo" => &mut out.userinfo,
                "id_token" => &mut out.id_token,
                // §5.5: other members may be defined by extensions; ignore them.
                _ => continue,
            };
            let Value::Object(requests) = requests else {
                return Err(ClaimsError("userinfo and id_token must be objects"));
            };
            for (name, req) in requests {
                match &req {
                    Value::Null => {}
                    Value::Object(o) => {
                        if o.get("essential").is_some_and(|e| !e.is_boolean()) {
                            return Err(ClaimsError("essential must be a boolean"));
                        }
                        if o.get("values").is_some_and(|v| !v.is_array()) {
                            return Err(ClaimsError("values must be an array"));
                        }
                    }
                    _ => return Err(ClaimsError("each claim request must be null or an object")),
                }
                target.insert(name, req);
            }
        }
        Ok(out)
    }
}

/// The claims of `user` to release for `target`: those of the granted `openid` scopes as
/// `known` defines them (only into userinfo, or into the ID token when no access token is
/// issued, OIDC Core §5.4) plus those named in the `claims` parameter. `sub` is added by
/// the caller. `groups` are the names of the user's groups when the caller read them
/// ([`asks_for_groups`]), else empty.
pub fn release(
    user: &User,
    groups: &[String],
    known: &[crate::repo::scope::Scope],
    scopes: &[&str],
    scopes_into_target: bool,
    request: Option<&ClaimsRequest>,
    target: Target,
) -> Map<String, Value> {
    let mut out = Map::new();
    if scopes_into_target {
        for scope in scopes {
            for name in crate::repo::scope::claims_of(known, scope) {
                if let Some(v) = claim(user, groups, name) {
                    out.insert(name.clone(), v);
                }
            }
        }
    }
    if let Some(req) = request {
        let asked = match target {
            Target::Userinfo => &req.userinfo,
            Target::IdToken => &req.id_token,
        };
        for name in asked.keys() {
            if let Some(v) = claim(user, groups, name) {
                out.insert(name.clone(), v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::user::Address;

    fn user() -> User {
        User {
            inum: "i".into(),
            uid: "alice".into(),
            mail: Some("alice@example.com".into()),
            email_verified: true,
            given_name: Some("Alice".into()),
            family_name: Some("Liddell".into()),
            address: Some(Address {
                country: Some("UK".into()),
                ..Address::default()
            }),
            updated_at: 7,
            ..User::default()
        }
    }

    #[test]
    fn by_scope() {
        let c = release(
            &user(),
            &[],
            &crate::repo::scope::defaults(),
            &["openid", "email"],
            true,
            None,
            Target::Userinfo,
        );
        assert_eq!(c.get("email").unwrap(), "alice@example.com");
        assert_eq!(c.get("email_verified").unwrap(), true);
        assert!(c.get("given_name").is_none());
        let c = release(
            &user(),
            &[],
            &crate::repo::scope::defaults(),
            &["profile", "address"],
            true,
            None,
            Target::Userinfo,
        );
        assert_eq!(c.get("given_name").unwrap(), "Alice");
        assert_eq!(c.get("updated_at").unwrap(), 7);
        assert_eq!(c["address"]["country"], "UK");
        assert!(
            c.get("nickname").is_none(),
            "absent attributes are not invented"
        );
        assert!(
            release(
                &user(),
                &[],
                &crate::repo::scope::defaults(),
                &["profile"],
                false,
                None,
                Target::IdToken
            )
            .is_empty()
        );
    }

    #[test]
    fn claims_parameter() {
        let r = ClaimsRequest::parse(
            r#"{"id_token":{"email":{"essential":true},"given_name":null},
                "userinfo":{"family_name":null},"x-ext":{"a":1}}"#,
        )
        .unwrap();
        let c = release(
            &user(),
            &[],
            &crate::repo::scope::defaults(),
            &[],
            false,
            Some(&r),
            Target::IdToken,
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c["email"], "alice@example.com");
        let c = release(
            &user(),
            &[],
            &crate::repo::scope::defaults(),
            &[],
            false,
            Some(&r),
            Target::Userinfo,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c["family_name"], "Liddell");
        for bad in [
            "[]",
            "nope",
            r#"{"id_token":[]}"#,
            r#"{"id_token":{"email":true}}"#,
            r#"{"id_token":{"email":{"essential":"yes"}}}"#,
            r#"{"id_token":{"email":{"values":"a"}}}"#,
        ] {
            assert!(ClaimsRequest::parse(bad).is_err(), "{bad}");
        }
        assert!(ClaimsRequest::parse(&"x".repeat(9000)).is_err());
    }

    #[test]
    fn groups_when_asked() {
        let known = crate::repo::scope::defaults();
        let asked = r#"{"id_token":{"groups":null}}"#;
        assert!(asks_for_groups(&known, &["openid"], Some(asked)));
        assert!(!asks_for_groups(&known, &["openid", "profile"], None));
        let r = ClaimsRequest::parse(asked).unwrap();
        let names = ["Admins".to_owned(), "Staff".to_owned()];
        let c = release(
            &user(),
            &names,
            &known,
            &[],
            false,
            Some(&r),
            Target::IdToken,
        );
        assert_eq!(c["groups"], serde_json::json!(["Admins", "Staff"]));
        // No groups: no claim.
        let c = release(&user(), &[], &known, &[], false, Some(&r), Target::IdToken);
        assert!(c.get("groups").is_none());
        // Through a scope that lists the claim.
        let mut with_scope = known.clone();
        with_scope.push(crate::repo::scope::Scope {
            id: "groups".into(),
            claims: vec!["groups".into()],
            ..known.iter().find(|s| s.id == "email").unwrap().clone()
        });
        assert!(asks_for_groups(&with_scope, &["groups"], None));
        let c = release(
            &user(),
            &names,
            &with_scope,
            &["groups"],
            true,
            None,
            Target::Userinfo,
        );
        assert_eq!(c["groups"], serde_json::json!(["Admins", "Staff"]));
    }
}
