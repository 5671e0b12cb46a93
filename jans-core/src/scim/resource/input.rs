//! A resource as a client sends it whole, to create it (POST, RFC 7644 §3.3) or to replace
//! it (PUT, §3.5.1), read against its resource type's schemas:
//!
//! - the body is a JSON object whose `schemas` lists the core schema (and only schemas of
//!   this resource type): else `invalidSyntax` / `invalidValue`;
//! - every member is an attribute of the core schema or the object of a known extension,
//!   named in any case (RFC 7643 §2.1) and renamed as the schema spells it; an unknown one
//!   is `invalidSyntax` (it does not conform to the request schema, §3.12);
//! - values are checked against their types ([`coerce_attr`]);
//! - `readOnly` attributes (`id`, `meta`, `groups`) are ignored (RFC 7643 §7), as are
//!   `null`s and empty lists (unassigned, RFC 7643 §2.5);
//! - `required` attributes of the core schema and of the extensions must have a value
//!   (`invalidValue`), and no multi-valued attribute has two primary values (§2.4).
//!
//! What comes out is the resource in the schemas' spelling, with `schemas` listing the core
//! schema and the extensions it has values of.

use serde_json::{Map, Value};

use crate::error::scim::{ScimError, ScimType};
use crate::scim::patch::{has_value, sync_schemas};
use crate::scim::schema::{Attribute, Mutability, ResourceSchemas, Schema};
use crate::scim::value::coerce_attr;

fn syntax(detail: impl Into<String>) -> ScimError {
    ScimError::new(ScimType::InvalidSyntax, detail)
}

fn invalid_value(detail: impl Into<String>) -> ScimError {
    ScimError::new(ScimType::InvalidValue, detail)
}

/// The resource in `body`, read against `schemas` (see the module's rules).
pub fn read(body: &[u8], schemas: &ResourceSchemas) -> Result<Map<String, Value>, ScimError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| syntax(format!("the body is not JSON: {e}")))?;
    read_value(&v, schemas)
}

/// [`read`] of a resource already parsed (the result of a PATCH).
pub fn read_value(v: &Value, schemas: &ResourceSchemas) -> Result<Map<String, Value>, ScimError> {
    let m = v
        .as_object()
        .ok_or_else(|| syntax("the body is not a JSON object"))?;
    let listed = m
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .and_then(|(_, v)| v.as_array())
        .ok_or_else(|| syntax("`schemas` must list the resource's schemas"))?;
    let mut has_core = false;
    for urn in listed {
        let urn = urn
            .as_str()
            .ok_or_else(|| invalid_value("`schemas` lists URNs"))?;
        if urn.eq_ignore_ascii_case(&schemas.core.id) {
            has_core = true;
        } else if schemas.extension(urn).is_none() {
            return Err(invalid_value(format!(
                "`{urn}` is not a schema of this resource type"
            )));
        }
    }
    if !has_core {
        return Err(syntax(format!("`schemas` must list {}", schemas.core.id)));
    }
    let mut out = Map::new();
    for (k, v) in m {
        if k.eq_ignore_ascii_case("schemas") || v.is_null() {
            continue;
        }
        if let Some(ext) = schemas.extension(k) {
            let members = v
                .as_object()
                .ok_or_else(|| invalid_value(format!("`{}` takes an object", ext.id)))?;
            let mut inner = Map::new();
            // Some clients (scim2-models) put a `schemas` member in extension objects too.
            for (name, value) in members
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("schemas"))
            {
                let attr = ext
                    .attribute(name)
                    .ok_or_else(|| syntax(format!("`{}` has no attribute `{name}`", ext.id)))?;
                put(&mut inner, attr, value)?;
            }
            if !inner.is_empty() {
                out.insert(ext.id.clone(), Value::Object(inner));
            }
            continue;
        }
        let (_, attr) = schemas
            .resolve(None, k)
            .ok_or_else(|| syntax(format!("`{k}` is not an attribute of this resource type")))?;
        put(&mut out, attr, v)?;
    }
    required(&out, &schemas.core)?;
    for ext in &schemas.extensions {
        let empty = Map::new();
        let inner = out
            .get(&ext.id)
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        required(inner, ext)?;
    }
    sync_schemas(&mut out, schemas);
    Ok(out)
}

/// Put `value` of `attr` into `into` under the schema's spelling, unless it is read-only or
/// unassigned.
fn put(into: &mut Map<String, Value>, attr: &Attribute, value: &Value) -> Result<(), ScimError> {
    if attr.mutability == Mutability::ReadOnly || value.is_null() {
        return Ok(());
    }
    let value = coerce_attr(value, attr)?;
    if attr.multi_valued {
        let primaries = value
            .as_array()
            .map_or(0, |a| a.iter().filter(|i| i["primary"] == true).count());
        if primaries > 1 {
            return Err(invalid_value(format!(
                "`{}` has more than one primary value (RFC 7643 §2.4)",
                attr.name
            )));
        }
    }
    if has_value(Some(&value)) {
        into.insert(attr.name.clone(), value);
    }
    Ok(())
}

/// Refuse a resource missing a required attribute of `schema`.
fn required(r: &Map<String, Value>, schema: &Schema) -> Result<(), ScimError> {
    for a in &schema.attributes {
        if a.required && a.mutability != Mutability::ReadOnly && !has_value(r.get(&a.name)) {
            return Err(invalid_value(format!("`{}` is required", a.name)));
        }
    }
    Ok(())
}

/// Refuse a replacement that changes an `immutable` attribute which has a value (RFC 7643
/// §7: `mutability`): `old` and `new` are read resources.
pub fn check_immutable(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    schemas: &ResourceSchemas,
) -> Result<(), ScimError> {
    let scopes = std::iter::once((None, &schemas.core))
        .chain(schemas.extensions.iter().map(|e| (Some(e.id.as_str()), e)));
    for (urn, schema) in scopes {
        let inner = |r: &Map<String, Value>| match urn {
            None => Some(r.clone()),
            Some(u) => r.get(u).and_then(Value::as_object).cloned(),
        };
        let (before, after) = (
            inner(old).unwrap_or_default(),
            inner(new).unwrap_or_default(),
        );
        for a in schema
            .attributes
            .iter()
            .filter(|a| a.mutability == Mutability::Immutable)
        {
            if has_value(before.get(&a.name)) && before.get(&a.name) != after.get(&a.name) {
                return Err(ScimError::new(
                    ScimType::Mutability,
                    format!("`{}` is immutable", a.name),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER, USER};
    use serde_json::json;

    fn users() -> ResourceSchemas {
        ResourceSchemas::users(&[]).unwrap()
    }

    fn read_json(v: Value) -> Result<Map<String, Value>, ScimError> {
        read(&serde_json::to_vec(&v).unwrap(), &users())
    }

    #[test]
    fn reads_in_the_schemas_spelling_and_drops_read_only() {
        let r = read_json(json!({
            "schemas": [USER, ENTERPRISE_USER],
            "id": "chosen-by-client",
            "meta": {"version": "W/\"x\""},
            "USERNAME": "bjensen",
            "Emails": [{"VALUE": "b@example.com", "primary": "True"}],
            "groups": [{"value": "g"}],
            "nickName": null,
            "phoneNumbers": [],
            ENTERPRISE_USER: {"employeeNumber": "701984", "manager": {"value": "m", "displayName": "x"}},
        }))
        .unwrap();
        assert_eq!(r["userName"], "bjensen");
        assert_eq!(
            r["emails"],
            json!([{"value": "b@example.com", "primary": true}])
        );
        for gone in ["id", "meta", "groups", "nickName", "phoneNumbers"] {
            assert!(r.get(gone).is_none(), "{gone}");
        }
        // manager.displayName is read-only in the Enterprise schema.
        assert_eq!(r[ENTERPRISE_USER]["manager"], json!({"value": "m"}));
        assert_eq!(r["schemas"], json!([USER, ENTERPRISE_USER]));
    }

    #[test]
    fn refusals() {
        for (body, scim_type) in [
            (json!([]), "invalidSyntax"),
            (json!({"userName": "a"}), "invalidSyntax"),
            (
                json!({"schemas": ["urn:x"], "userName": "a"}),
                "invalidValue",
            ),
            (
                json!({"schemas": [USER], "userName": "a", "shoeSize": 9}),
                "invalidSyntax",
            ),
            (json!({"schemas": [USER], "userName": 7}), "invalidValue"),
            (json!({"schemas": [USER]}), "invalidValue"),
            (
                json!({"schemas": [USER], "userName": "a", "active": "maybe"}),
                "invalidValue",
            ),
            (
                json!({"schemas": [USER], "userName": "a", "emails": [
                    {"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}]}),
                "invalidValue",
            ),
            (
                json!({"schemas": [USER], "userName": "a", ENTERPRISE_USER: {"nope": 1}}),
                "invalidSyntax",
            ),
        ] {
            let e = read_json(body.clone()).unwrap_err();
            assert_eq!(e.status, 400, "{body}");
            assert_eq!(e.scim_type.unwrap().as_str(), scim_type, "{body}");
        }
        assert_eq!(
            read(b"{", &users()).unwrap_err().scim_type,
            Some(ScimType::InvalidSyntax)
        );
    }

    #[test]
    fn immutable_members_of_a_group() {
        let groups = ResourceSchemas::groups();
        let mut schemas = groups.clone();
        schemas.core.attributes[0].mutability = Mutability::Immutable;
        let name = schemas.core.attributes[0].name.clone();
        let old: Map<String, Value> = [(name.clone(), json!("a"))].into_iter().collect();
        let same = old.clone();
        let changed: Map<String, Value> = [(name, json!("b"))].into_iter().collect();
        check_immutable(&old, &same, &schemas).unwrap();
        let e = check_immutable(&old, &changed, &schemas).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::Mutability));
        // No value yet: it may be set.
        check_immutable(&Map::new(), &changed, &schemas).unwrap();
    }
}
