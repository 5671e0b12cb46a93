//! Which attributes a response carries (RFC 7644 §3.4.2.5, §3.9; RFC 7643 §7 `returned`):
//! - `returned: never` (the password) is never returned;
//! - `returned: always` (`id`, and `schemas`) is returned whatever the request says;
//! - with `attributes`, only the named attributes (and sub-attributes) are returned, with
//!   the `always` ones; `returned: request` attributes are returned only when named;
//! - otherwise every `default` attribute is, less those named in `excludedAttributes`.
//!
//! Names resolve as in filters: case-insensitively, extension attributes with their URN
//! (`urn:...:enterprise:2.0:User:employeeNumber`), a whole extension by its URN alone.
//! Names of no attribute select nothing.

use serde_json::{Map, Value};

use crate::error::scim::{ScimError, ScimType};
use crate::scim::filter::AttrPath;
use crate::scim::schema::{Attribute, Home, ResourceSchemas, Returned, Schema};

/// A parsed `attributes` or `excludedAttributes` list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    /// Whether the list named anything (even names of no attribute).
    given: bool,
    paths: Vec<Selected>,
}

#[derive(Clone, Debug, PartialEq)]
enum Selected {
    /// A whole extension, by URN.
    Extension(String),
    /// An attribute, or one sub-attribute of it.
    Attribute {
        extension: Option<String>,
        name: String,
        sub: Option<String>,
    },
}

impl Selection {
    /// Parse a comma-separated list of attribute names (the query parameters' form) against
    /// `schemas`; a name that is not an attribute path is `invalidValue`.
    pub fn parse(list: &str, schemas: &ResourceSchemas) -> Result<Selection, ScimError> {
        let mut paths = Vec::new();
        let mut given = false;
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            given = true;
            if let Some(ext) = schemas.extension(item) {
                paths.push(Selected::Extension(ext.id.clone()));
                continue;
            }
            let parsed = crate::scim::filter::parse_patch_path(item)
                .ok()
                .filter(|p| p.filter.is_none())
                .ok_or_else(|| {
                    ScimError::new(
                        ScimType::InvalidValue,
                        format!("`{item}` is not an attribute name"),
                    )
                })?;
            if let Some(s) = resolve(&parsed.attr, schemas) {
                paths.push(s);
            }
        }
        Ok(Selection { given, paths })
    }

    /// Whether the list named anything.
    pub fn is_given(&self) -> bool {
        self.given
    }

    /// Whether the whole extension `urn` is named.
    fn names_extension(&self, urn: &str) -> bool {
        self.paths
            .iter()
            .any(|p| matches!(p, Selected::Extension(u) if u == urn))
    }

    /// How the attribute `name` (of `extension`) is named: `Whole`, some sub-attributes
    /// (`Subs`), or not at all.
    fn names(&self, extension: Option<&str>, name: &str) -> Named<'_> {
        let mut subs = Vec::new();
        for p in &self.paths {
            match p {
                Selected::Extension(u) if Some(u.as_str()) == extension => return Named::Whole,
                Selected::Attribute {
                    extension: e,
                    name: n,
                    sub,
                } if e.as_deref() == extension && n == name => match sub {
                    None => return Named::Whole,
                    Some(s) => subs.push(s.as_str()),
                },
                _ => {}
            }
        }
        if subs.is_empty() {
            Named::No
        } else {
            Named::Subs(subs)
        }
    }
}

enum Named<'a> {
    No,
    Whole,
    Subs(Vec<&'a str>),
}

/// The selected attribute `path` names, spelled as the schemas spell it.
fn resolve(path: &AttrPath, schemas: &ResourceSchemas) -> Option<Selected> {
    let (home, attr) = schemas.resolve(path.urn.as_deref(), &path.name)?;
    let sub = match &path.sub {
        Some(s) => Some(attr.sub(s)?.name.clone()),
        None => None,
    };
    Some(Selected::Attribute {
        extension: match home {
            Home::Core => None,
            Home::Extension(u) => Some(u.to_owned()),
        },
        name: attr.name.clone(),
        sub,
    })
}

/// The request's choice: `attributes` or `excludedAttributes` (RFC 7644 §3.4.2.5; when both
/// are given, `attributes` wins).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Projection {
    /// `attributes`.
    pub attributes: Selection,
    /// `excludedAttributes`.
    pub excluded: Selection,
}

impl Projection {
    /// `resource` as the response carries it.
    pub fn apply(&self, resource: &Value, schemas: &ResourceSchemas) -> Value {
        let Some(members) = resource.as_object() else {
            return resource.clone();
        };
        let mut out = Map::new();
        for (key, value) in members {
            if key == "schemas" {
                out.insert(key.clone(), value.clone());
                continue;
            }
            if let Some(ext) = schemas.extension(key) {
                if let Some(v) = self.object(value, ext, Some(&ext.id)) {
                    out.insert(ext.id.clone(), v);
                }
                continue;
            }
            let attr = schemas.core.attribute(key).or_else(|| {
                schemas
                    .common
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(key))
            });
            if let Some(v) = attr.and_then(|a| self.attribute(value, a, None)) {
                out.insert(key.clone(), v);
            }
        }
        Value::Object(out)
    }

    /// The members of an extension's object that are returned, or `None` when none is.
    fn object(&self, value: &Value, schema: &Schema, extension: Option<&str>) -> Option<Value> {
        let members = value.as_object()?;
        let whole = extension.is_some_and(|u| self.attributes.names_extension(u));
        let mut out = Map::new();
        for (key, v) in members {
            let Some(attr) = schema.attribute(key) else {
                continue;
            };
            let kept = if whole && attr.returned != Returned::Never {
                Some(v.clone())
            } else {
                self.attribute(v, attr, extension)
            };
            if let Some(kept) = kept {
                out.insert(key.clone(), kept);
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }

    /// `value` of the attribute `attr` as returned, or `None` when it is not.
    fn attribute(&self, value: &Value, attr: &Attribute, extension: Option<&str>) -> Option<Value> {
        if attr.returned == Returned::Never {
            return None;
        }
        let subs_of = |keep: &dyn Fn(&Attribute) -> bool| -> Option<Value> {
            let project = |item: &Value| -> Option<Value> {
                let m = item.as_object()?;
                let kept: Map<String, Value> = m
                    .iter()
                    .filter(|(k, _)| attr.sub(k).is_some_and(keep))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                (!kept.is_empty()).then_some(Value::Object(kept))
            };
            match value {
                Value::Array(items) => {
                    let kept: Vec<Value> = items.iter().filter_map(project).collect();
                    (!kept.is_empty()).then_some(Value::Array(kept))
                }
                other => project(other),
            }
        };
        let sub_default =
            |s: &Attribute| !matches!(s.returned, Returned::Never | Returned::Request);
        if self.attributes.is_given() {
            return match self.attributes.names(extension, &attr.name) {
                Named::Whole => subs_or_value(value, attr, &|s| s.returned != Returned::Never),
                Named::Subs(names) => subs_of(&|s: &Attribute| {
                    s.returned == Returned::Always
                        || names.iter().any(|n| n.eq_ignore_ascii_case(&s.name))
                }),
                Named::No if attr.returned == Returned::Always => Some(value.clone()),
                Named::No => None,
            };
        }
        if attr.returned == Returned::Request {
            return None;
        }
        match self.excluded.names(extension, &attr.name) {
            Named::Whole if attr.returned != Returned::Always => None,
            Named::Subs(names) => subs_of(&|s: &Attribute| {
                sub_default(s)
                    && (s.returned == Returned::Always
                        || !names.iter().any(|n| n.eq_ignore_ascii_case(&s.name)))
            }),
            _ => subs_or_value(value, attr, &sub_default),
        }
    }
}

/// A complex attribute's value with only the sub-attributes `keep` accepts; a simple one
/// as it is.
fn subs_or_value(
    value: &Value,
    attr: &Attribute,
    keep: &dyn Fn(&Attribute) -> bool,
) -> Option<Value> {
    if attr.sub_attributes.is_empty() {
        return Some(value.clone());
    }
    let project = |item: &Value| -> Value {
        match item.as_object() {
            Some(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| attr.sub(k).is_none_or(keep))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            None => item.clone(),
        }
    };
    Some(match value {
        Value::Array(items) => Value::Array(items.iter().map(project).collect()),
        other => project(other),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::schema::ENTERPRISE_USER;

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
            "id": "u1",
            "externalId": "e1",
            "userName": "bjensen",
            "password": "secret",
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "emails": [{"value": "b@example.com", "type": "work"}, {"value": "b@home.org", "type": "home"}],
            "meta": {"resourceType": "User", "version": "W/\"1\""},
            ENTERPRISE_USER: {"employeeNumber": "7", "department": "Tours"},
        })
    }

    fn project(attributes: &str, excluded: &str) -> Value {
        let s = ResourceSchemas::users(&[]).unwrap();
        let p = Projection {
            attributes: Selection::parse(attributes, &s).unwrap(),
            excluded: Selection::parse(excluded, &s).unwrap(),
        };
        p.apply(&user(), &s)
    }

    #[test]
    fn default_set_never_has_the_password() {
        let mut want = user();
        want.as_object_mut().unwrap().remove("password");
        assert_eq!(project("", ""), want);
    }

    #[test]
    fn attributes_name_what_is_returned_with_id_and_schemas() {
        assert_eq!(
            project("userName, name.givenName", ""),
            json!({
                "schemas": user()["schemas"],
                "id": "u1",
                "userName": "bjensen",
                "name": {"givenName": "Barbara"},
            })
        );
        assert_eq!(
            project("EMAILS.VALUE,password", ""),
            json!({
                "schemas": user()["schemas"],
                "id": "u1",
                "emails": [{"value": "b@example.com"}, {"value": "b@home.org"}],
            })
        );
        assert_eq!(
            project(&format!("{ENTERPRISE_USER}:employeeNumber"), ""),
            json!({"schemas": user()["schemas"], "id": "u1", ENTERPRISE_USER: {"employeeNumber": "7"}})
        );
        assert_eq!(
            project(ENTERPRISE_USER, "")[ENTERPRISE_USER],
            json!({"employeeNumber": "7", "department": "Tours"})
        );
        // Names of no attribute select nothing.
        assert_eq!(
            project("nope,emails.nope", ""),
            json!({"schemas": user()["schemas"], "id": "u1"})
        );
    }

    #[test]
    fn excluded_attributes_leave_the_rest_and_never_id() {
        let got = project("", "name, emails.type, id, meta");
        assert_eq!(got["id"], "u1");
        assert!(got.get("name").is_none() && got.get("meta").is_none());
        assert_eq!(
            got["emails"],
            json!([{"value": "b@example.com"}, {"value": "b@home.org"}])
        );
        assert_eq!(got["userName"], "bjensen");
        assert!(got.get("password").is_none());
        let got = project("", &format!("{ENTERPRISE_USER}:employeeNumber"));
        assert_eq!(got[ENTERPRISE_USER], json!({"department": "Tours"}));
        let got = project(
            "",
            &format!("{ENTERPRISE_USER}:employeeNumber,{ENTERPRISE_USER}:department"),
        );
        assert!(
            got.get(ENTERPRISE_USER).is_none(),
            "an emptied extension is dropped"
        );
    }

    #[test]
    fn malformed_names_are_invalid_value() {
        let s = ResourceSchemas::users(&[]).unwrap();
        for bad in ["a b", "emails[type eq \"work\"]", "1x", "a.b.c"] {
            let e = Selection::parse(bad, &s).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{bad}");
        }
    }
}
