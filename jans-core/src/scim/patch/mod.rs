//! PATCH (RFC 7644 §3.5.2): `add`, `remove` and `replace` operations applied to a resource
//! as one unit: every operation applies to a copy, and the first refusal leaves the
//! resource as it was.
//!
//! - Paths are `attrPath` or `valuePath [subAttr]` (§3.5.2, Figure 7), names resolved
//!   case-insensitively through the resource type's schemas; an extension's URN alone names
//!   its whole object.
//! - `add` without a path merges the value's members; on a multi-valued attribute it
//!   appends the values not already there; on a complex one it merges sub-attributes
//!   (§3.5.2.1). Through a value filter that matches nothing, an `add` whose filter is only
//!   `eq` comparisons joined by `and` creates the value those comparisons describe (what
//!   Entra ID sends for `emails[type eq "work"].value`); any other filter is `noTarget`.
//! - `remove` needs a path (`noTarget` without one, §3.5.2.2); on a multi-valued attribute
//!   with a `value` list, it removes the values whose `value` matches (how Okta and Entra
//!   remove group members).
//! - `replace` replaces the target, and is an `add` where the target has no value
//!   (§3.5.2.3); through a value filter that matches nothing it is `noTarget`.
//! - `readOnly` attributes are refused with `mutability`; `immutable` ones too once they
//!   have a value; read-only sub-attributes in values are ignored (RFC 7643 §7).
//! - When an operation makes a value `primary`, the other values of that attribute stop
//!   being primary (RFC 7643 §2.4); two new primary values in one operation are refused.
//! - Values are checked against their types; booleans sent as `"True"`/`"false"` strings
//!   (Entra ID) are read as booleans.

use serde_json::{Map, Value};

use crate::error::scim::{ScimError, ScimType};
use crate::scim::filter::{
    Bound, CompValue, CompareOp, Filter, bind_values, eval, parse_patch_path,
};
use crate::scim::names::{key_of, member_of as member, take};
use crate::scim::schema::{AttrType, Attribute, Home, Mutability, ResourceSchemas};
use crate::scim::value::{coerce_attr, coerce_one};

/// The PatchOp message schema (RFC 7644 §3.5.2).
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// An operation's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `add`.
    Add,
    /// `remove`.
    Remove,
    /// `replace`.
    Replace,
}

/// One operation of a PATCH request.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// What it does.
    pub op: Op,
    /// Its target, when it names one.
    pub path: Option<String>,
    /// Its value.
    pub value: Option<Value>,
}

fn syntax(detail: impl Into<String>) -> ScimError {
    ScimError::new(ScimType::InvalidSyntax, detail)
}

fn invalid_value(detail: impl Into<String>) -> ScimError {
    ScimError::new(ScimType::InvalidValue, detail)
}

fn invalid_path(detail: impl Into<String>) -> ScimError {
    ScimError::new(ScimType::InvalidPath, detail)
}

fn mutability(detail: impl Into<String>) -> ScimError {
    ScimError::new(ScimType::Mutability, detail)
}

/// The operations of a PATCH request body (`schemas` must name [`PATCH_OP`]; `op` is
/// case-insensitive, as Entra ID sends `Replace`).
pub fn parse_request(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let m = crate::scim::message(body, PATCH_OP)?;
    let ops = member(m, "Operations")
        .and_then(Value::as_array)
        .filter(|o| !o.is_empty())
        .ok_or_else(|| syntax("`Operations` must be a list of operations"))?;
    ops.iter()
        .map(|o| {
            let o = o
                .as_object()
                .ok_or_else(|| syntax("an operation is not a JSON object"))?;
            let op = match member(o, "op").and_then(Value::as_str) {
                Some(s) if s.eq_ignore_ascii_case("add") => Op::Add,
                Some(s) if s.eq_ignore_ascii_case("remove") => Op::Remove,
                Some(s) if s.eq_ignore_ascii_case("replace") => Op::Replace,
                _ => return Err(syntax("`op` must be add, remove or replace")),
            };
            let path = match member(o, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) => Some(p.clone()),
                Some(_) => return Err(invalid_path("`path` must be a string")),
            };
            let value = member(o, "value").filter(|v| !v.is_null()).cloned();
            if op != Op::Remove && value.is_none() {
                return Err(invalid_value("`add` and `replace` need a `value`"));
            }
            Ok(Operation { op, path, value })
        })
        .collect()
}

/// What a path names.
struct Target<'s> {
    extension: Option<&'s str>,
    attr: &'s Attribute,
    /// The value filter.
    filter: Option<Bound>,
    /// The sub-attribute (of the attribute, or of the filtered values).
    sub: Option<&'s Attribute>,
    /// The filter's `eq` comparisons, when it is only those joined by `and`.
    creates: Option<Vec<(String, Value)>>,
}

/// `sub eq value [and ...]` as members, or `None` for any other filter.
fn equalities(f: &Filter, attr: &Attribute) -> Option<Vec<(String, Value)>> {
    let one = |f: &Filter| -> Option<(String, Value)> {
        let Filter::Compare(p, CompareOp::Eq, v) = f else {
            return None;
        };
        let sub = attr.sub(&p.name)?;
        let v = match v {
            CompValue::Bool(b) => Value::Bool(*b),
            CompValue::Number(n) => Value::Number(n.clone()),
            CompValue::String(s) => Value::String(s.clone()),
            CompValue::Null => return None,
        };
        Some((sub.name.clone(), v))
    };
    match f {
        Filter::And(parts) => parts.iter().map(one).collect(),
        other => one(other).map(|e| vec![e]),
    }
}

fn target<'s>(path: &str, schemas: &'s ResourceSchemas) -> Result<Target<'s>, ScimError> {
    let parsed = parse_patch_path(path)?;
    let unknown = || invalid_path(format!("`{path}` names no attribute of this resource type"));
    let (home, attr) = schemas
        .resolve(parsed.attr.urn.as_deref(), &parsed.attr.name)
        .ok_or_else(unknown)?;
    let extension = match home {
        Home::Core => None,
        Home::Extension(u) => Some(u),
    };
    let sub_name = parsed.attr.sub.as_deref().or(parsed.sub.as_deref());
    let sub = match sub_name {
        Some(s) => Some(attr.sub(s).ok_or_else(unknown)?),
        None => None,
    };
    let (filter, creates) = match &parsed.filter {
        Some(f) => {
            if !attr.multi_valued || attr.ty != AttrType::Complex {
                return Err(invalid_path(format!(
                    "`{}` is not a multi-valued complex attribute: it takes no value filter",
                    attr.name
                )));
            }
            let bound = bind_values(f, schemas, attr)
                .map_err(|e| invalid_path(format!("`{path}`: {}", e.detail)))?;
            (Some(bound), equalities(f, attr))
        }
        None => (None, None),
    };
    Ok(Target {
        extension,
        attr,
        filter,
        sub,
        creates,
    })
}

/// The object holding `extension`'s attributes (the resource itself for the core schema),
/// created when `create`.
fn container<'r>(
    resource: &'r mut Map<String, Value>,
    extension: Option<&str>,
    create: bool,
) -> Option<&'r mut Map<String, Value>> {
    let Some(urn) = extension else {
        return Some(resource);
    };
    let key = match key_of(resource, urn) {
        Some(k) => k,
        None if create => {
            resource.insert(urn.to_owned(), Value::Object(Map::new()));
            urn.to_owned()
        }
        None => return None,
    };
    resource.get_mut(&key)?.as_object_mut()
}

pub(crate) fn has_value(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

/// Refuse writing `attr` (`sub`) when its mutability forbids it, given its current value.
fn check_mutability(
    attr: &Attribute,
    sub: Option<&Attribute>,
    current: Option<&Value>,
) -> Result<(), ScimError> {
    for a in [Some(attr), sub].into_iter().flatten() {
        match a.mutability {
            Mutability::ReadOnly => {
                return Err(mutability(format!("`{}` is read-only", a.name)));
            }
            Mutability::Immutable if has_value(current) => {
                return Err(mutability(format!(
                    "`{}` is immutable and has a value",
                    a.name
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The values `attr` holds in `c`, as a mutable list (created empty).
fn list<'c>(
    c: &'c mut Map<String, Value>,
    attr: &Attribute,
) -> Result<&'c mut Vec<Value>, ScimError> {
    let key = key_of(c, &attr.name).unwrap_or_else(|| attr.name.clone());
    let slot = c.entry(key).or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        let single = std::mem::take(slot);
        *slot = Value::Array(if single.is_null() {
            Vec::new()
        } else {
            vec![single]
        });
    }
    slot.as_array_mut()
        .ok_or_else(|| invalid_value(format!("`{}` is not a list", attr.name)))
}

/// Keep one primary value: when values at `written` became primary, the others stop being
/// (RFC 7643 §2.4).
fn one_primary(items: &mut [Value], written: &[usize]) -> Result<(), ScimError> {
    let is_primary = |v: &Value| v.get("primary").and_then(Value::as_bool) == Some(true);
    let new: Vec<usize> = written
        .iter()
        .copied()
        .filter(|i| items.get(*i).is_some_and(is_primary))
        .collect();
    if new.len() > 1 {
        return Err(invalid_value("only one value may be primary"));
    }
    if let Some(keep) = new.first() {
        for (i, item) in items.iter_mut().enumerate() {
            if i != *keep
                && let Some(m) = item.as_object_mut()
            {
                m.remove("primary");
            }
        }
    }
    Ok(())
}

/// Merge `value` (an object of sub-attributes) into `into`.
fn merge(into: &mut Value, value: Value) {
    match (into.as_object_mut(), value) {
        (Some(m), Value::Object(v)) => {
            for (k, val) in v {
                take(m, &k);
                m.insert(k, val);
            }
        }
        (_, v) => *into = v,
    }
}

/// `add` or `replace` of `value` at `t`.
fn write(
    resource: &mut Map<String, Value>,
    t: &Target<'_>,
    value: &Value,
    op: Op,
) -> Result<(), ScimError> {
    let c = container(resource, t.extension, true)
        .ok_or_else(|| invalid_value("the extension's value is not an object"))?;
    let current = member(c, &t.attr.name).cloned();
    if let Some(filter) = &t.filter {
        // Through a value filter: the matching values of a multi-valued complex attribute.
        check_mutability(t.attr, t.sub, None)?;
        let new = match t.sub {
            Some(sub) => coerce_attr(value, sub)?,
            None => coerce_one(value, t.attr)?,
        };
        let items = list(c, t.attr)?;
        let hits: Vec<usize> = (0..items.len())
            .filter(|i| items.get(*i).is_some_and(|v| eval(filter, v)))
            .collect();
        if hits.is_empty() {
            let created = match (&t.creates, op) {
                (Some(eqs), Op::Add) => {
                    let mut m: Map<String, Value> = eqs.iter().cloned().collect();
                    match t.sub {
                        Some(sub) => {
                            m.insert(sub.name.clone(), new);
                        }
                        None => {
                            if let Value::Object(v) = new {
                                m.extend(v);
                            }
                        }
                    }
                    Value::Object(m)
                }
                _ => {
                    return Err(ScimError::new(
                        ScimType::NoTarget,
                        format!("no value of `{}` matches the filter", t.attr.name),
                    ));
                }
            };
            items.push(created);
            let last = items.len() - 1;
            return one_primary(items, &[last]);
        }
        for i in &hits {
            if let Some(item) = items.get_mut(*i) {
                match t.sub {
                    Some(sub) => {
                        if let Some(m) = item.as_object_mut() {
                            take(m, &sub.name);
                            m.insert(sub.name.clone(), new.clone());
                        }
                    }
                    None if op == Op::Add => merge(item, new.clone()),
                    None => *item = new.clone(),
                }
            }
        }
        return one_primary(items, &hits);
    }
    match t.sub {
        Some(sub) if t.attr.multi_valued => {
            // `emails.value` without a filter: every value's sub-attribute.
            check_mutability(t.attr, Some(sub), None)?;
            let new = coerce_attr(value, sub)?;
            for item in list(c, t.attr)?.iter_mut() {
                if let Some(m) = item.as_object_mut() {
                    take(m, &sub.name);
                    m.insert(sub.name.clone(), new.clone());
                }
            }
            Ok(())
        }
        Some(sub) => {
            let current_sub = current.as_ref().and_then(|c| c.get(&sub.name));
            check_mutability(t.attr, Some(sub), current_sub)?;
            let new = coerce_attr(value, sub)?;
            let key = key_of(c, &t.attr.name).unwrap_or_else(|| t.attr.name.clone());
            let slot = c.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Some(m) = slot.as_object_mut() {
                take(m, &sub.name);
                m.insert(sub.name.clone(), new);
            }
            Ok(())
        }
        None => {
            check_mutability(t.attr, None, current.as_ref())?;
            let new = coerce_attr(value, t.attr)?;
            if t.attr.multi_valued && op == Op::Add {
                let items = list(c, t.attr)?;
                let mut written = Vec::new();
                for v in new.as_array().cloned().unwrap_or_default() {
                    match items.iter().position(|i| *i == v) {
                        Some(at) => written.push(at),
                        None => {
                            items.push(v);
                            written.push(items.len() - 1);
                        }
                    }
                }
                return one_primary(items, &written);
            }
            if t.attr.multi_valued {
                let items = new.as_array().cloned().unwrap_or_default();
                let all: Vec<usize> = (0..items.len()).collect();
                let mut items = items;
                one_primary(&mut items, &all)?;
                take(c, &t.attr.name);
                c.insert(t.attr.name.clone(), Value::Array(items));
                return Ok(());
            }
            match (t.attr.ty, key_of(c, &t.attr.name)) {
                // A complex attribute merges the sub-attributes given (§3.5.2.1, §3.5.2.3).
                (AttrType::Complex, Some(key)) => {
                    if let Some(slot) = c.get_mut(&key) {
                        merge(slot, new);
                    }
                }
                _ => {
                    take(c, &t.attr.name);
                    c.insert(t.attr.name.clone(), new);
                }
            }
            Ok(())
        }
    }
}

/// `remove` at `t`, with the values to remove when the operation lists them.
fn remove(
    resource: &mut Map<String, Value>,
    t: &Target<'_>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let Some(c) = container(resource, t.extension, false) else {
        return match t.filter {
            Some(_) => Err(ScimError::new(
                ScimType::NoTarget,
                "nothing matches the path",
            )),
            None => Ok(()),
        };
    };
    let current = member(c, &t.attr.name).cloned();
    check_mutability(t.attr, t.sub, None).or_else(|e| {
        // Removing an immutable value is changing it; removing nothing is allowed.
        if has_value(current.as_ref()) {
            Err(e)
        } else {
            Ok(())
        }
    })?;
    if let Some(filter) = &t.filter {
        let items = list(c, t.attr)?;
        let before = items.len();
        match t.sub {
            None => items.retain(|v| !eval(filter, v)),
            Some(sub) => {
                let mut hit = false;
                for item in items.iter_mut().filter(|v| eval(filter, v)) {
                    hit = true;
                    if let Some(m) = item.as_object_mut() {
                        take(m, &sub.name);
                    }
                }
                if !hit {
                    return Err(ScimError::new(
                        ScimType::NoTarget,
                        "nothing matches the path",
                    ));
                }
                return Ok(());
            }
        }
        if items.len() == before {
            return Err(ScimError::new(
                ScimType::NoTarget,
                "nothing matches the path",
            ));
        }
        if items.is_empty() {
            take(c, &t.attr.name);
        }
        return Ok(());
    }
    match (t.sub, value) {
        (None, Some(listed)) if t.attr.multi_valued => {
            // Remove the listed values (matched by their `value`, else whole).
            let listed = coerce_attr(listed, t.attr)?;
            let listed = listed.as_array().cloned().unwrap_or_default();
            let key_of_value = |v: &Value| v.get("value").cloned().unwrap_or_else(|| v.clone());
            let gone: Vec<Value> = listed.iter().map(key_of_value).collect();
            let items = list(c, t.attr)?;
            items.retain(|v| !gone.contains(&key_of_value(v)));
            if items.is_empty() {
                take(c, &t.attr.name);
            }
            Ok(())
        }
        (None, _) => {
            take(c, &t.attr.name);
            Ok(())
        }
        (Some(sub), _) => {
            if let Some(slot) = key_of(c, &t.attr.name).and_then(|k| c.get_mut(&k)) {
                match slot {
                    Value::Array(items) => {
                        for item in items.iter_mut().filter_map(Value::as_object_mut) {
                            take(item, &sub.name);
                        }
                    }
                    Value::Object(m) => {
                        take(m, &sub.name);
                    }
                    _ => {}
                }
            }
            Ok(())
        }
    }
}

/// Apply `ops` to `resource` (its JSON form), all or nothing: the patched resource, or the
/// first refusal.
pub fn apply(
    resource: &Value,
    ops: &[Operation],
    schemas: &ResourceSchemas,
) -> Result<Value, ScimError> {
    let mut out = resource.clone();
    let r = out.as_object_mut().ok_or_else(ScimError::server_error)?;
    for o in ops {
        match (&o.path, o.op) {
            (None, Op::Remove) => {
                return Err(ScimError::new(
                    ScimType::NoTarget,
                    "`remove` needs a `path`",
                ));
            }
            (None, op) => {
                let value = o.value.as_ref().unwrap_or(&Value::Null);
                let members = value.as_object().ok_or_else(|| {
                    invalid_value("without a `path`, the value must be an object of attributes")
                })?;
                for (name, v) in members {
                    if name.eq_ignore_ascii_case("schemas") {
                        continue;
                    }
                    apply_member(r, name, v, op, schemas)?;
                }
            }
            (Some(path), op) => {
                if let Some(ext) = schemas.extension(path) {
                    if op == Op::Remove {
                        take(r, &ext.id);
                        continue;
                    }
                    apply_member(
                        r,
                        &ext.id,
                        o.value.as_ref().unwrap_or(&Value::Null),
                        op,
                        schemas,
                    )?;
                    continue;
                }
                let t = target(path, schemas)?;
                match op {
                    Op::Remove => remove(r, &t, o.value.as_ref())?,
                    _ => write(r, &t, o.value.as_ref().unwrap_or(&Value::Null), op)?,
                }
            }
        }
    }
    sync_schemas(r, schemas);
    Ok(out)
}

/// One member of a path-less value: an attribute of the core schema, or an extension's
/// object whose members are each applied.
fn apply_member(
    r: &mut Map<String, Value>,
    name: &str,
    value: &Value,
    op: Op,
    schemas: &ResourceSchemas,
) -> Result<(), ScimError> {
    if let Some(ext) = schemas.extension(name) {
        let members = value
            .as_object()
            .ok_or_else(|| invalid_value(format!("`{}` takes an object", ext.id)))?;
        // Some clients (scim2-models) put a `schemas` member in extension objects too.
        for (k, v) in members
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("schemas"))
        {
            let attr = ext
                .attribute(k)
                .ok_or_else(|| invalid_path(format!("`{}` has no attribute `{k}`", ext.id)))?;
            let t = Target {
                extension: Some(&ext.id),
                attr,
                filter: None,
                sub: None,
                creates: None,
            };
            write(r, &t, v, op)?;
        }
        return Ok(());
    }
    let (_, attr) = schemas.resolve(None, name).ok_or_else(|| {
        invalid_path(format!(
            "`{name}` is not an attribute of this resource type"
        ))
    })?;
    let t = Target {
        extension: None,
        attr,
        filter: None,
        sub: None,
        creates: None,
    };
    write(r, &t, value, op)
}

/// `schemas` lists the core schema and exactly the extensions the resource has values of
/// (RFC 7643 §3).
pub(crate) fn sync_schemas(r: &mut Map<String, Value>, schemas: &ResourceSchemas) {
    let mut list = vec![Value::String(schemas.core.id.clone())];
    for ext in &schemas.extensions {
        let has = key_of(r, &ext.id)
            .and_then(|k| r.get(&k))
            .is_some_and(|v| has_value(Some(v)));
        if has {
            list.push(Value::String(ext.id.clone()));
        } else if let Some(k) = key_of(r, &ext.id) {
            r.remove(&k);
        }
    }
    r.insert("schemas".into(), Value::Array(list));
}

#[cfg(test)]
mod tests;
