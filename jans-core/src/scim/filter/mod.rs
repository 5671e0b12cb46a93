//! SCIM filters (RFC 7644 §3.4.2.2): [`parse()`] a filter into its syntax tree ([`ast`]),
//! [`bind()`] it to a resource type's schemas, then [`eval()`] it on resources (or hand the
//! bound tree to a backend that answers it from an index).

pub mod ast;
pub mod eval;
pub mod parse;

pub use ast::{AttrPath, CompValue, CompareOp, Filter};
pub use eval::{Bound, Operand, Target, bind, bind_path, bind_values, eval};
pub use parse::{MAX_DEPTH, MAX_FILTER_LEN, PatchPath, parse, parse_patch_path};

use crate::error::scim::ScimError;
use crate::scim::schema::ResourceSchemas;

/// Parse `input` and bind it to `schemas`.
pub fn compile(input: &str, schemas: &ResourceSchemas) -> Result<Bound, ScimError> {
    bind(&parse(input)?, schemas)
}

/// Whether the attribute (and sub-attribute) `p` names is one of `schemas`'.
pub fn has_attribute(p: &AttrPath, schemas: &ResourceSchemas) -> bool {
    schemas
        .resolve(p.urn.as_deref(), &p.name)
        .is_some_and(|(_, a)| p.sub.as_ref().is_none_or(|s| a.sub(s).is_some()))
}

/// The attribute paths `f` tests, outside value filters (whose names are sub-attributes of
/// their value path's attribute).
pub fn attribute_paths(f: &Filter) -> Vec<&AttrPath> {
    match f {
        Filter::Present(p) | Filter::Compare(p, _, _) | Filter::ValuePath(p, _) => vec![p],
        Filter::Not(inner) => attribute_paths(inner),
        Filter::And(parts) | Filter::Or(parts) => parts.iter().flat_map(attribute_paths).collect(),
    }
}

/// `f` as it reads for one resource type in a query across types (the root `/.search`, RFC
/// 7644 §3.4.3): an attribute the type does not have is unassigned there, so a test of it
/// is decided as on an absent value (`pr` and comparisons fail; `ne` holds, as does
/// `eq null`) rather than refusing the filter. Decided tests are written `id pr` (every
/// resource has an `id`) or its negation.
pub fn across_types(f: &Filter, schemas: &ResourceSchemas) -> Filter {
    let always = Filter::Present(AttrPath {
        urn: None,
        name: "id".into(),
        sub: None,
    });
    let never = || Filter::Not(Box::new(always.clone()));
    let known = |p: &AttrPath| has_attribute(p, schemas);
    match f {
        Filter::Present(p) | Filter::ValuePath(p, _) if !known(p) => never(),
        Filter::Compare(p, op, v) if !known(p) => {
            let absent_matches = match (op, v) {
                (CompareOp::Eq, CompValue::Null) => true,
                (CompareOp::Ne, CompValue::Null) => false,
                (CompareOp::Ne, _) => true,
                _ => false,
            };
            if absent_matches {
                always.clone()
            } else {
                never()
            }
        }
        Filter::Not(inner) => Filter::Not(Box::new(across_types(inner, schemas))),
        Filter::And(parts) => Filter::And(parts.iter().map(|p| across_types(p, schemas)).collect()),
        Filter::Or(parts) => Filter::Or(parts.iter().map(|p| across_types(p, schemas)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::error::scim::ScimType;
    use crate::scim::schema::{CustomAttribute, ENTERPRISE_USER, GLUU_USER};

    fn schemas() -> ResourceSchemas {
        ResourceSchemas::users(&[
            CustomAttribute {
                name: "badge".into(),
                ty: "integer".into(),
                multi_valued: false,
                required: false,
            },
            CustomAttribute {
                name: "tags".into(),
                ty: "string".into(),
                multi_valued: true,
                required: false,
            },
        ])
        .unwrap()
    }

    /// Three users that differ in every attribute the table below filters on.
    fn users() -> Vec<Value> {
        vec![
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
                "id": "u1", "externalId": "Ext-1", "userName": "Bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "title": "Tour Guide", "userType": "Employee", "active": true,
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ],
                "meta": {"created": "2011-05-13T04:42:34Z", "lastModified": "2011-05-13T04:42:34Z"},
                ENTERPRISE_USER: {"employeeNumber": "701984", "manager": {"value": "u3"}},
                GLUU_USER: {"badge": 42, "tags": ["a", "b"]},
            }),
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": "u2", "externalId": "ext-2", "userName": "jsmith",
                "name": {"familyName": "O'Malley"},
                "userType": "Intern", "active": false,
                "emails": [{"value": "js@example.org", "type": "work"}],
                "meta": {"created": "2012-01-01T00:00:00Z", "lastModified": "2013-06-01T10:00:00.5+02:00"},
                GLUU_USER: {"badge": 7},
            }),
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": "u3", "userName": "Zed",
                "title": "",
                "ims": [{"value": "zed@foo.com", "type": "xmpp"}],
                "meta": {"created": "2014-01-01T00:00:00Z", "lastModified": "2014-01-01T00:00:00Z"},
            }),
        ]
    }

    fn ids(filter: &str) -> Vec<String> {
        let bound = compile(filter, &schemas()).unwrap_or_else(|e| panic!("{filter}: {e}"));
        users()
            .iter()
            .filter(|u| eval(&bound, u))
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn the_table() {
        let table: &[(&str, &[&str])] = &[
            // eq, case per attribute: userName is not case-exact, id and externalId are.
            (r#"userName eq "bjensen""#, &["u1"]),
            (r#"USERNAME EQ "BJENSEN""#, &["u1"]),
            (r#"externalId eq "ext-1""#, &[]),
            (r#"externalId eq "Ext-1""#, &["u1"]),
            (r#"id eq "U1""#, &[]),
            // ne is not-eq: a user without the attribute matches.
            (r#"userType ne "Employee""#, &["u2", "u3"]),
            (r#"name.familyName co "o'm""#, &["u2"]),
            (r#"userName sw "J""#, &["u2"]),
            (r#"userName ew "SEN""#, &["u1"]),
            (r#"userName gt "jsmith""#, &["u3"]),
            (r#"userName le "jsmith""#, &["u1", "u2"]),
            // pr: an empty string is not present.
            ("title pr", &["u1"]),
            ("name pr", &["u1", "u2"]),
            ("emails pr", &["u1", "u2"]),
            // Booleans.
            ("active eq true", &["u1"]),
            ("active eq false", &["u2"]),
            ("active ne true", &["u2", "u3"]),
            // null.
            ("title eq null", &["u2", "u3"]),
            ("externalId ne null", &["u1", "u2"]),
            // dateTime, chronologically (u2's offset puts it at 08:00:00.5 UTC).
            (
                r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
                &["u2", "u3"],
            ),
            (
                r#"meta.lastModified ge "2011-05-13T06:42:34+02:00""#,
                &["u1", "u2", "u3"],
            ),
            (
                r#"meta.lastModified lt "2013-06-01T08:00:00.6Z""#,
                &["u1", "u2"],
            ),
            (
                r#"meta.lastModified eq "2013-06-01T08:00:00.500Z""#,
                &["u2"],
            ),
            (r#"meta.created sw "2012""#, &["u2"]),
            // Multi-valued: any value; complex without a sub-attribute compares `value`.
            (r#"emails co "example.com""#, &["u1"]),
            (r#"emails.value ew ".org""#, &["u1", "u2"]),
            (r#"emails.type eq "home""#, &["u1"]),
            (
                r#"emails[type eq "work" and value co "@example.com"]"#,
                &["u1"],
            ),
            (r#"emails[type eq "home" and value co "@example.com"]"#, &[]),
            (
                r#"emails[type eq "work"] and not (emails[primary eq true])"#,
                &["u2"],
            ),
            (
                r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
                &["u1", "u3"],
            ),
            // Precedence and grouping.
            (
                r#"userType eq "Intern" or title pr and active eq true"#,
                &["u1", "u2"],
            ),
            (
                r#"(userType eq "Intern" or title pr) and active eq true"#,
                &["u1"],
            ),
            (
                r#"not (userType eq "Employee") and not (userName eq "zed")"#,
                &["u2"],
            ),
            // Extensions through their URN, case-insensitively; custom attributes.
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"701984\"",
                &["u1"],
            ),
            (
                "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:manager.value eq \"u3\"",
                &["u1"],
            ),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"z\"",
                &["u3"],
            ),
            (
                "urn:ietf:params:scim:schemas:extension:gluu:2.0:User:badge gt 10",
                &["u1"],
            ),
            (
                "urn:ietf:params:scim:schemas:extension:gluu:2.0:User:badge le 7.0",
                &["u2"],
            ),
            (
                "urn:ietf:params:scim:schemas:extension:gluu:2.0:User:tags eq \"B\"",
                &["u1"],
            ),
            // schemas.
            (
                "schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"",
                &["u1"],
            ),
        ];
        for (filter, want) in table {
            assert_eq!(ids(filter), *want, "{filter}");
        }
    }

    #[test]
    fn what_cannot_be_compared_is_invalid_filter() {
        for f in [
            r#"nickname2 eq "x""#,
            r#"name.nope eq "x""#,
            r#"employeeNumber eq "1""#,
            r#"urn:x:y:attr eq "1""#,
            r#"name eq "x""#,
            "active eq 1",
            r#"active eq "true""#,
            "active gt true",
            r#"active co "t""#,
            r#"userName eq 1"#,
            "userName eq true",
            r#"meta.lastModified gt "yesterday""#,
            "meta.lastModified gt 5",
            r#"x509Certificates.value gt "AAAA""#,
            r#"urn:ietf:params:scim:schemas:extension:gluu:2.0:User:badge co "4""#,
            "urn:ietf:params:scim:schemas:extension:gluu:2.0:User:badge eq \"42\"",
            r#"userName gt null"#,
            r#"userName[value eq "x"]"#,
            r#"emails[nope eq "x"]"#,
            r#"schemas.value eq "x""#,
        ] {
            let e = compile(f, &schemas()).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{f}");
            assert_eq!(e.status, 400);
        }
    }

    #[test]
    fn groups_resolve_their_own_schema() {
        let g = ResourceSchemas::groups();
        let bound = compile(r#"displayName eq "Admins" and members[value eq "u1"]"#, &g).unwrap();
        let group = json!({"id": "g", "displayName": "admins", "members": [{"value": "u1"}, {"value": "u2"}]});
        assert!(eval(&bound, &group));
        let bound = compile(r#"members.value eq "U1""#, &g).unwrap();
        assert!(
            eval(&bound, &group),
            "members.value is not case-exact by the RFC's schema"
        );
        assert!(compile(r#"userName eq "x""#, &g).is_err());
    }

    #[test]
    fn across_types_reads_a_missing_attribute_as_absent() {
        let g = ResourceSchemas::groups();
        let group = json!({"id": "g1", "displayName": "Staff"});
        let judged = |f: &str| {
            let relaxed = across_types(&parse(f).unwrap(), &g);
            eval(&bind(&relaxed, &g).unwrap(), &group)
        };
        for (f, expected) in [
            (r#"userName eq "x""#, false),
            (r#"userName ne "x""#, true),
            ("userName eq null", true),
            ("userName ne null", false),
            ("userName pr", false),
            (r#"emails[value eq "x"]"#, false),
            (r#"not (userName eq "x")"#, true),
            (r#"userName eq "x" or displayName eq "staff""#, true),
            (r#"name.givenName sw "S" and displayName pr"#, false),
            (r#"displayName.nope eq "x""#, false),
        ] {
            assert_eq!(judged(f), expected, "{f}");
        }
        let paths: Vec<String> =
            attribute_paths(&parse(r#"a pr or (b eq 1 and not (c[d eq 2]))"#).unwrap())
                .iter()
                .map(|p| p.to_string())
                .collect();
        assert_eq!(paths, ["a", "b", "c"]);
    }
}
