//! What a query must read (issue 13 item 4): a bound filter narrowed to the resources it can
//! match, read through the store's keys (DESIGN.md §4's query hook: ranges of sled's key
//! trees, parameterized SQL on PostgreSQL) instead of a scan where the filter allows it.
//!
//! - `id eq "x"` reads the one resource `x`;
//! - a comparison of an indexed attribute becomes a test of its key:
//!
//!   | resource | attribute | key | folded |
//!   |---|---|---|---|
//!   | User | `userName` | `uid` (unique) | yes |
//!   | User | `emails.value` (`emails`, `emails[value ...]`) | `email` | yes |
//!   | User, Group | `externalId` | `externalId` | no |
//!   | User, Group | `meta.lastModified` | `updated` (seconds) | — |
//!   | Group | `displayName` | `displayName` | yes |
//!   | Group | `members.value` (`members`, `members[value ...]`) | `member` | yes |
//!
//!   `eq`, `sw`, `ew`, `co` and `pr` of strings, and the orderings where the key compares as
//!   the attribute does (both folded, or both case-exact); a dateTime comparison becomes the
//!   range of whole seconds that holds it;
//! - `a and b` reads what its narrowed parts read together; `a or b`, when every part is
//!   narrowed, the union; a value filter (`emails[type eq "work" and value co "x"]`) what its
//!   narrowed parts read;
//! - anything else (`ne`, `not`, other attributes) reads every resource of the type.
//!
//! A key test only narrows: it holds for every resource the filter matches (a folded key
//! holds the lowercased value, so it also holds for a case-exact comparison's), and the
//! whole filter is still evaluated on each resource read. A plan never changes a result,
//! only what it costs.

use crate::repo::group::Groups;
use crate::repo::user::{User, Users};
use crate::scim::filter::{Bound, CompareOp, Operand, Target};
use crate::store::document::{Filter, Test};

/// Which resources' keys a plan may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Indexed {
    /// Users.
    Users,
    /// Groups.
    Groups,
    /// Neither (FIDO devices): a query scans.
    Nothing,
}

/// What a query reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// The resources with these ids.
    Ids(Vec<String>),
    /// The resources whose keys pass this filter.
    Keys(Filter),
    /// Every resource.
    Scan,
}

/// How an indexed attribute's key holds its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    /// Lowercased.
    Folded,
    /// As given.
    Exact,
    /// As [`Users::time_key`] of whole seconds.
    Seconds,
}

/// The key of the attribute `name` (sub-attribute `sub`) of the core schema, if indexed.
fn key_of(of: Indexed, name: &str, sub: Option<&str>) -> Option<(&'static str, Held)> {
    let users = of == Indexed::Users;
    Some(match (name, sub) {
        ("externalId", None) => (Users::EXTERNAL_ID, Held::Exact),
        ("meta", Some("lastModified")) => (Users::UPDATED, Held::Seconds),
        ("userName", None) if users => (Users::UID, Held::Folded),
        ("emails", Some("value")) if users => (Users::EMAIL, Held::Folded),
        ("displayName", None) if of == Indexed::Groups => (Groups::DISPLAY_NAME, Held::Folded),
        ("members", Some("value")) if of == Indexed::Groups => (Groups::MEMBER, Held::Folded),
        _ => return None,
    })
}

/// The key test `op operand` of a key holding values as `held` implies, for an attribute
/// compared with case or not (`case_exact`).
fn test_of(held: Held, case_exact: bool, op: CompareOp, operand: &Operand) -> Option<Filter> {
    let ordering = matches!(
        op,
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
    );
    let v = match (held, operand) {
        (Held::Seconds, Operand::DateTime(nanos, _)) if !op.is_substring() => {
            return seconds(op, *nanos);
        }
        (Held::Folded, Operand::String(s)) if !(ordering && case_exact) => s.to_lowercase(),
        (Held::Exact, Operand::String(s)) if case_exact => s.clone(),
        _ => return None,
    };
    let test = match op {
        CompareOp::Eq => Test::Eq(v),
        CompareOp::Sw => Test::StartsWith(v),
        CompareOp::Ew => Test::EndsWith(v),
        CompareOp::Co => Test::Contains(v),
        CompareOp::Gt => Test::Gt(v),
        CompareOp::Ge => Test::Ge(v),
        CompareOp::Lt => Test::Lt(v),
        CompareOp::Le => Test::Le(v),
        CompareOp::Ne => return None,
    };
    Some(Filter::Key {
        name: String::new(),
        test,
    })
}

/// The range of whole seconds holding every time `op nanos` accepts (a time shown is whole
/// seconds: `meta.lastModified` is `updated_at`).
fn seconds(op: CompareOp, nanos: i128) -> Option<Filter> {
    const NANOS: i128 = 1_000_000_000;
    let key = |s: i128| Users::time_key(u64::try_from(s.max(0)).unwrap_or(u64::MAX));
    let floor = key(nanos.div_euclid(NANOS));
    let ceil = key(nanos.div_euclid(NANOS) + i128::from(nanos.rem_euclid(NANOS) != 0));
    let k = |test| Filter::Key {
        name: String::new(),
        test,
    };
    Some(match op {
        CompareOp::Gt | CompareOp::Ge => k(Test::Ge(floor)),
        CompareOp::Lt | CompareOp::Le => k(Test::Le(ceil)),
        CompareOp::Eq => Filter::And(vec![k(Test::Ge(floor)), k(Test::Le(ceil))]),
        _ => return None,
    })
}

/// Name every key test of `f` `name` (the tests are built before their key is known).
fn named(f: Filter, name: &str) -> Filter {
    match f {
        Filter::Key { test, .. } => Filter::key(name, test),
        Filter::And(parts) => Filter::And(parts.into_iter().map(|p| named(p, name)).collect()),
        Filter::Or(parts) => Filter::Or(parts.into_iter().map(|p| named(p, name)).collect()),
    }
}

/// The key filter `f` implies, when it narrows; `within` is the attribute whose values a
/// value filter's targets are sub-attributes of.
fn narrow(f: &Bound, of: Indexed, within: Option<&Target>) -> Option<Filter> {
    // The (attribute, sub-attribute) a target names, in the core schema.
    let names = |t: &Target| -> Option<(String, Option<String>)> {
        match within {
            Some(w) if w.extension.is_none() && t.sub.is_none() => {
                Some((w.name.clone(), Some(t.name.clone())))
            }
            None if t.extension.is_none() => Some((t.name.clone(), t.sub.clone())),
            _ => None,
        }
    };
    match f {
        Bound::Compare(t, op, operand) => {
            let (name, sub) = names(t)?;
            let (key, held) = key_of(of, &name, sub.as_deref())?;
            test_of(held, t.case_exact, *op, operand).map(|f| named(f, key))
        }
        Bound::Present(t) => {
            let (name, sub) = names(t)?;
            let (key, _) = key_of(of, &name, sub.as_deref())?;
            Some(Filter::key(key, Test::Present))
        }
        Bound::And(parts) => {
            let mut narrowed: Vec<Filter> =
                parts.iter().filter_map(|p| narrow(p, of, within)).collect();
            match narrowed.len() {
                0 => None,
                1 => narrowed.pop(),
                _ => Some(Filter::And(narrowed)),
            }
        }
        Bound::Or(parts) => parts
            .iter()
            .map(|p| narrow(p, of, within))
            .collect::<Option<Vec<_>>>()
            .map(Filter::Or),
        Bound::ValuePath(t, inner) if within.is_none() => narrow(inner, of, Some(t)),
        _ => None,
    }
}

/// `target` is the top-level core attribute `name`.
fn is(target: &Target, name: &str) -> bool {
    target.extension.is_none() && target.sub.is_none() && target.name == name
}

/// The ids `filter` names, when it is `id eq` or an `or` of them.
fn ids(filter: &Bound) -> Option<Vec<String>> {
    match filter {
        Bound::Compare(t, CompareOp::Eq, Operand::String(s)) if is(t, "id") => {
            Some(vec![s.clone()])
        }
        Bound::Or(parts) => parts
            .iter()
            .map(ids)
            .collect::<Option<Vec<_>>>()
            .map(|v| v.concat()),
        Bound::And(parts) => parts.iter().find_map(ids),
        _ => None,
    }
}

/// The plan of `filter` over the resources `of`.
pub fn plan(filter: Option<&Bound>, of: Indexed) -> Plan {
    let Some(f) = filter else {
        return Plan::Scan;
    };
    if let Some(ids) = ids(f) {
        return Plan::Ids(ids);
    }
    match of {
        Indexed::Nothing => Plan::Scan,
        _ => narrow(f, of, None)
            // Within the store's bound (a filter of 8 KiB stays well inside it).
            .filter(|k| k.size() <= crate::store::document::MAX_FILTER_SIZE)
            .map_or(Plan::Scan, Plan::Keys),
    }
}

/// The `uid` key test of a login name (what `userName eq` reads).
pub fn user_name(name: &str) -> Filter {
    Filter::key(Users::UID, Test::Eq(User::uid_key(name)))
}

/// Panic unless `filter`'s plan holds for every sample user it matches (the property a plan
/// has: it only narrows): the users' keys ([`Users::keys`]) pass its key filter, or its ids
/// name them. For the fuzz target (`internal::fuzz_scim_filter`) and the tests.
#[doc(hidden)]
pub fn assert_narrows(filter: &Bound) {
    use crate::scim::filter::eval;
    use crate::scim::resource::user::to_scim;
    let plan = plan(Some(filter), Indexed::Users);
    for user in samples() {
        let shown = to_scim(&user, &[], "https://id.example.com/jans-scim/restv1/v2");
        if !eval(filter, &shown) {
            continue;
        }
        let keys = Users::keys(&user);
        let narrowed = match &plan {
            Plan::Keys(k) => k.matches(keys.iter().map(|k| (k.name.as_str(), k.value.as_str()))),
            Plan::Ids(ids) => ids.contains(&user.inum),
            Plan::Scan => true,
        };
        assert!(
            narrowed,
            "{plan:?} leaves out {shown}, which {filter:?} matches"
        );
    }
}

/// Users with every indexed attribute in its corners: case, a claim that differs from SCIM's
/// copy, several emails, whole and fractional times.
fn samples() -> Vec<User> {
    let scim = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
    vec![
        User {
            inum: "i-1".into(),
            uid: "BJensen".into(),
            mail: Some("BJensen@Example.com".into()),
            scim: scim(serde_json::json!({
                "emails": [
                    {"value": "BJensen@Example.com", "type": "work", "primary": true},
                    {"value": "babs@HOME.example.org", "type": "home"},
                ],
                "externalId": "Ext-701",
            })),
            created_at: 1_305_261_700,
            updated_at: 1_305_261_754,
            ..User::default()
        },
        User {
            inum: "i-2".into(),
            uid: "zed".into(),
            // Changed elsewhere: the claim wins over SCIM's copy.
            mail: Some("new@example.net".into()),
            scim: scim(serde_json::json!({
                "emails": [{"value": "old@example.net", "type": "work", "primary": true}],
            })),
            created_at: 1_305_261_800,
            ..User::default()
        },
        User {
            inum: "i-3".into(),
            uid: "İstanbul".into(),
            created_at: 0,
            ..User::default()
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::compile;
    use crate::scim::schema::ResourceSchemas;

    fn plan_of(f: &str) -> Plan {
        let schemas = ResourceSchemas::users(&[]).unwrap();
        plan(Some(&compile(f, &schemas).unwrap()), Indexed::Users)
    }

    fn key(name: &str, test: Test) -> Filter {
        Filter::key(name, test)
    }

    #[test]
    fn narrowed_where_a_key_answers() {
        let s = |v: &str| v.to_owned();
        assert_eq!(
            plan_of(r#"userName eq "BJensen""#),
            Plan::Keys(user_name("bjensen"))
        );
        assert_eq!(
            plan_of(r#"USERNAME Eq "a" or userName sw "B""#),
            Plan::Keys(Filter::Or(vec![
                key("uid", Test::Eq(s("a"))),
                key("uid", Test::StartsWith(s("b"))),
            ]))
        );
        assert_eq!(
            plan_of(r#"id eq "2819c223""#),
            Plan::Ids(vec!["2819c223".into()])
        );
        assert_eq!(
            plan_of(r#"id eq "a" or id eq "b""#),
            Plan::Ids(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            plan_of(r#"title pr and (userName eq "a") and emails co "X""#),
            Plan::Keys(Filter::And(vec![
                key("uid", Test::Eq(s("a"))),
                key("email", Test::Contains(s("x"))),
            ]))
        );
        assert_eq!(
            plan_of(r#"emails[type eq "work" and value ew "@Example.org"] or externalId eq "E1""#),
            Plan::Keys(Filter::Or(vec![
                key("email", Test::EndsWith(s("@example.org"))),
                key("externalId", Test::Eq(s("E1"))),
            ]))
        );
        assert_eq!(
            plan_of(r#"emails.value pr"#),
            Plan::Keys(key("email", Test::Present))
        );
        assert_eq!(
            plan_of(r#"meta.lastModified gt "2011-05-13T04:42:34.5Z""#),
            Plan::Keys(key("updated", Test::Ge(Users::time_key(1_305_261_754))))
        );
        assert_eq!(
            plan_of(r#"meta.lastModified le "2011-05-13T04:42:34.5Z""#),
            Plan::Keys(key("updated", Test::Le(Users::time_key(1_305_261_755))))
        );
        assert_eq!(
            plan_of(r#"meta.lastModified eq "2011-05-13T04:42:34Z""#),
            Plan::Keys(Filter::And(vec![
                key("updated", Test::Ge(Users::time_key(1_305_261_754))),
                key("updated", Test::Le(Users::time_key(1_305_261_754))),
            ]))
        );
        assert_eq!(
            plan_of(r#"userName gt "M""#),
            Plan::Keys(key("uid", Test::Gt(s("m"))))
        );
        for scan in [
            r#"userName ne "a""#,
            r#"userName eq "a" or title pr"#,
            r#"userName eq "a" or id eq "b""#,
            r#"not (userName eq "a")"#,
            r#"emails[type eq "work"]"#,
            r#"emails pr"#,
            r#"emails.value eq null"#,
            r#"name.givenName eq "a""#,
            r#"meta.lastModified sw "2011""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1""#,
        ] {
            assert_eq!(plan_of(scan), Plan::Scan, "{scan}");
        }
        // externalId is case-exact, and so is its key: an ordering narrows.
        assert_eq!(
            plan_of(r#"externalId gt "a" and title pr"#),
            Plan::Keys(key("externalId", Test::Gt(s("a"))))
        );
        let groups = ResourceSchemas::groups();
        let g = |f: &str| plan(Some(&compile(f, &groups).unwrap()), Indexed::Groups);
        assert_eq!(
            g(r#"displayName eq "Admins""#),
            Plan::Keys(key("displayName", Test::Eq(s("admins"))))
        );
        assert_eq!(
            g(r#"members[value eq "ABC"] and members.value sw "a""#),
            Plan::Keys(Filter::And(vec![
                key("member", Test::Eq(s("abc"))),
                key("member", Test::StartsWith(s("a"))),
            ]))
        );
        let f = compile(r#"displayName eq "x""#, &groups).unwrap();
        assert_eq!(plan(Some(&f), Indexed::Nothing), Plan::Scan);
        assert_eq!(plan(None, Indexed::Users), Plan::Scan);
    }

    /// Every plan holds for every sample user its filter matches.
    #[test]
    fn a_plan_only_narrows() {
        let schemas = ResourceSchemas::users(&[]).unwrap();
        let mut matched = 0;
        for f in [
            r#"userName eq "bjensen""#,
            r#"userName sw "İ""#,
            r#"userName eq "i̇stanbul""#,
            r#"userName gt "a" and userName lt "c""#,
            r#"userName ge "Z""#,
            r#"emails co "EXAMPLE""#,
            r#"emails.value ew ".org""#,
            r#"emails[value eq "new@example.net"]"#,
            r#"emails[value eq "old@example.net"]"#,
            r#"emails[type eq "home" and value sw "BABS"]"#,
            r#"emails.value pr"#,
            r#"externalId eq "Ext-701""#,
            r#"externalId lt "F" or userName eq "zed""#,
            r#"externalId pr"#,
            r#"meta.lastModified gt "2011-05-13T04:42:33.9Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified lt "2011-05-13T04:43:20.5Z""#,
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified eq "2011-05-13T04:43:20Z""#,
            r#"meta.lastModified gt "1970-01-01T00:00:00.5Z""#,
            r#"(emails co "x" or userName sw "b") and externalId pr"#,
            r#"id eq "i-2" or id eq "i-9""#,
        ] {
            let bound = compile(f, &schemas).unwrap();
            assert_ne!(plan(Some(&bound), Indexed::Users), Plan::Scan, "{f}");
            assert_narrows(&bound);
            matched += samples()
                .iter()
                .filter(|u| {
                    let shown = crate::scim::resource::user::to_scim(u, &[], "https://x");
                    crate::scim::filter::eval(&bound, &shown)
                })
                .count();
        }
        assert!(matched >= 20, "the table matches the samples ({matched})");
    }
}
