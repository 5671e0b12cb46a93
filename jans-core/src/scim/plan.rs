//! What a query must read (issue 13 item 4): a bound filter narrowed to the resources it can
//! match, read through the stores' keys instead of a scan where the filter allows it.
//!
//! - `id eq "x"` reads the one resource `x` (its id);
//! - `userName eq "x"` reads the one user whose login name is `x`, case-insensitively,
//!   through the users' unique `uid` key: one indexed lookup on every backend;
//! - `a and b` reads what the first narrowed part reads; `a or b` the union when every
//!   part is narrowed;
//! - anything else reads every resource of the type.
//!
//! The plan only narrows what is read: the whole filter is still evaluated on each resource
//! read, so a plan never changes a result, only what it costs.

use crate::scim::filter::{Bound, CompareOp, Operand, Target};

/// What a query reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// The resources with these ids.
    Ids(Vec<String>),
    /// The users with these login names (folded to lower case).
    UserNames(Vec<String>),
    /// Every resource.
    Scan,
}

/// `target` is the top-level core attribute `name`.
fn is(target: &Target, name: &str) -> bool {
    target.extension.is_none() && target.sub.is_none() && target.name == name
}

/// The plan of `filter` over users (`users`) or another resource type.
pub fn plan(filter: Option<&Bound>, users: bool) -> Plan {
    let Some(f) = filter else {
        return Plan::Scan;
    };
    match f {
        Bound::Compare(t, CompareOp::Eq, Operand::String(s)) if is(t, "id") => {
            Plan::Ids(vec![s.clone()])
        }
        Bound::Compare(t, CompareOp::Eq, Operand::String(s)) if users && is(t, "userName") => {
            Plan::UserNames(vec![crate::repo::user::User::uid_key(s)])
        }
        Bound::And(parts) => parts
            .iter()
            .map(|p| plan(Some(p), users))
            .find(|p| *p != Plan::Scan)
            .unwrap_or(Plan::Scan),
        Bound::Or(parts) => {
            let mut ids = Vec::new();
            let mut names = Vec::new();
            for p in parts {
                match plan(Some(p), users) {
                    Plan::Ids(v) => ids.extend(v),
                    Plan::UserNames(v) => names.extend(v),
                    Plan::Scan => return Plan::Scan,
                }
            }
            match (ids.is_empty(), names.is_empty()) {
                (false, true) => Plan::Ids(ids),
                (true, false) => Plan::UserNames(names),
                // A mix of ids and names, or nothing: read everything.
                _ => Plan::Scan,
            }
        }
        _ => Plan::Scan,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::compile;
    use crate::scim::schema::ResourceSchemas;

    fn plan_of(f: &str) -> Plan {
        let schemas = ResourceSchemas::users(&[]).unwrap();
        plan(Some(&compile(f, &schemas).unwrap()), true)
    }

    #[test]
    fn narrowed_where_a_key_answers() {
        assert_eq!(
            plan_of(r#"userName eq "BJensen""#),
            Plan::UserNames(vec!["bjensen".into()])
        );
        assert_eq!(
            plan_of(r#"USERNAME Eq "a" or userName eq "b""#),
            Plan::UserNames(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            plan_of(r#"id eq "2819c223""#),
            Plan::Ids(vec!["2819c223".into()])
        );
        assert_eq!(
            plan_of(r#"title pr and (userName eq "a") and emails co "x""#),
            Plan::UserNames(vec!["a".into()])
        );
        for scan in [
            r#"userName ne "a""#,
            r#"userName sw "a""#,
            r#"userName eq "a" or title pr"#,
            r#"userName eq "a" or id eq "b""#,
            r#"not (userName eq "a")"#,
            r#"emails[value eq "a"]"#,
            r#"name.givenName eq "a""#,
        ] {
            assert_eq!(plan_of(scan), Plan::Scan, "{scan}");
        }
        let groups = ResourceSchemas::groups();
        let f = compile(r#"displayName eq "x""#, &groups).unwrap();
        assert_eq!(plan(Some(&f), false), Plan::Scan);
        assert_eq!(plan(None, true), Plan::Scan);
    }
}
