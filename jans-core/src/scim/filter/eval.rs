//! Filters bound to a resource type's schemas and evaluated on resources (RFC 7644
//! §3.4.2.2). Binding resolves every name (URNs, attributes, sub-attributes,
//! case-insensitively), applies each attribute's type and `caseExact`, and refuses what
//! cannot be compared, so a filter is judged the same whether a backend answers it from an
//! index or by scanning:
//! - an unknown attribute, a comparison of a complex attribute that has no `value`
//!   sub-attribute, an operand of the wrong type, `gt`/`ge`/`lt`/`le` on a boolean or
//!   binary, `co`/`sw`/`ew` on a boolean or number: `invalidFilter`;
//! - a complex attribute compared without a sub-attribute compares its `value`
//!   (`emails co "@example.com"` is `emails.value co "@example.com"`);
//! - a multi-valued attribute matches when any of its values does;
//! - `ne` is the negation of `eq` (so a resource without the attribute matches `ne`);
//!   `eq null` matches when the attribute is absent, `ne null` when present;
//! - `dateTime` values compare chronologically, numbers numerically, strings by code point
//!   after case folding unless the attribute is case-exact.

use serde_json::Value;

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use crate::error::scim::ScimError;
use crate::scim::datetime;
use crate::scim::names::member;
use crate::scim::schema::{AttrType, Attribute, Home, ResourceSchemas};

/// Where a compared value is found and how it compares.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The extension holding the attribute (its URN as the schema spells it); `None` for
    /// the core schema and the common attributes.
    pub extension: Option<String>,
    /// The attribute, spelled as the schema spells it.
    pub name: String,
    /// The sub-attribute, spelled as the schema spells it.
    pub sub: Option<String>,
    /// The type of the compared values.
    pub ty: AttrType,
    /// Whether strings compare with case.
    pub case_exact: bool,
}

/// A comparison's operand, prepared for its attribute's type.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string, folded to lower case when the attribute is not case-exact.
    String(String),
    /// A dateTime, in nanoseconds since the epoch, with the text the client sent (for
    /// `co`/`sw`/`ew`, which compare text).
    DateTime(i128, String),
}

/// A filter bound to a resource type's schemas.
#[derive(Clone, Debug, PartialEq)]
pub enum Bound {
    /// The attribute has a value.
    Present(Target),
    /// The attribute compares to the operand.
    Compare(Target, CompareOp, Operand),
    /// Negation.
    Not(Box<Bound>),
    /// Every part holds.
    And(Vec<Bound>),
    /// Some part holds.
    Or(Vec<Bound>),
    /// Some value of the (complex) attribute satisfies the inner filter, whose targets are
    /// relative to that value.
    ValuePath(Target, Box<Bound>),
}

fn invalid(detail: String) -> ScimError {
    ScimError::invalid_filter(detail)
}

/// `schemas`, which every resource carries and filters may name (RFC 7644 §3.4.2.2 has
/// `schemas eq "urn:...:enterprise:2.0:User"` among its examples).
fn schemas_target() -> Target {
    Target {
        extension: None,
        name: "schemas".into(),
        sub: None,
        ty: AttrType::Reference,
        case_exact: false,
    }
}

/// The target of `path`, and the attribute it names (for value paths).
fn target<'s>(
    path: &AttrPath,
    schemas: &'s ResourceSchemas,
    parent: Option<&'s Attribute>,
) -> Result<(Target, Option<&'s Attribute>), ScimError> {
    let unknown = || {
        invalid(format!(
            "`{path}` is not an attribute of this resource type"
        ))
    };
    let (extension, attr) = match parent {
        Some(p) => (None, p.sub(&path.name).ok_or_else(unknown)?),
        None if path.urn.is_none() && path.name.eq_ignore_ascii_case("schemas") => {
            if path.sub.is_some() {
                return Err(unknown());
            }
            return Ok((schemas_target(), None));
        }
        None => {
            let (home, attr) = schemas
                .resolve(path.urn.as_deref(), &path.name)
                .ok_or_else(unknown)?;
            let extension = match home {
                Home::Core => None,
                Home::Extension(urn) => Some(urn.to_owned()),
            };
            (extension, attr)
        }
    };
    let leaf = match &path.sub {
        Some(s) => Some(attr.sub(s).ok_or_else(unknown)?),
        None => None,
    };
    let compared = leaf.unwrap_or(attr);
    Ok((
        Target {
            extension,
            name: attr.name.clone(),
            sub: leaf.map(|l| l.name.clone()),
            ty: compared.ty,
            case_exact: compared.case_exact,
        },
        Some(attr),
    ))
}

/// A complex attribute compared without a sub-attribute compares its `value`.
fn implied_value(mut t: Target, attr: Option<&Attribute>) -> Result<Target, ScimError> {
    if t.ty != AttrType::Complex {
        return Ok(t);
    }
    let value = attr.and_then(|a| a.sub("value")).ok_or_else(|| {
        invalid(format!(
            "`{}` is complex: name one of its sub-attributes",
            t.name
        ))
    })?;
    t.sub = Some(value.name.clone());
    t.ty = value.ty;
    t.case_exact = value.case_exact;
    Ok(t)
}

/// The operand of `op` against `target`, or `invalidFilter` when they cannot be compared.
fn operand(target: &Target, op: CompareOp, value: &CompValue) -> Result<Operand, ScimError> {
    let name = target.sub.as_deref().unwrap_or(&target.name);
    let refuse = || {
        invalid(format!(
            "`{name}` ({}) cannot be compared with `{} {value}`",
            target.ty.as_str(),
            op.as_str()
        ))
    };
    if *value == CompValue::Null {
        return match op {
            CompareOp::Eq | CompareOp::Ne => Ok(Operand::Null),
            _ => Err(refuse()),
        };
    }
    match (target.ty, value) {
        (AttrType::Boolean, CompValue::Bool(b)) if matches!(op, CompareOp::Eq | CompareOp::Ne) => {
            Ok(Operand::Bool(*b))
        }
        (AttrType::Integer | AttrType::Decimal, CompValue::Number(n)) if !op.is_substring() => {
            n.as_f64().map(Operand::Number).ok_or_else(refuse)
        }
        (AttrType::DateTime, CompValue::String(s)) if op.is_substring() => {
            Ok(Operand::DateTime(0, s.clone()))
        }
        (AttrType::DateTime, CompValue::String(s)) => datetime::parse(s)
            .map(|t| Operand::DateTime(t, s.clone()))
            .ok_or_else(|| invalid(format!("{value} is not an xsd:dateTime"))),
        (AttrType::Binary, CompValue::String(_)) if op.is_ordering() => Err(refuse()),
        (AttrType::String | AttrType::Reference | AttrType::Binary, CompValue::String(s)) => {
            Ok(Operand::String(if target.case_exact {
                s.clone()
            } else {
                s.to_lowercase()
            }))
        }
        _ => Err(refuse()),
    }
}

fn bind_in(
    f: &Filter,
    schemas: &ResourceSchemas,
    parent: Option<&Attribute>,
) -> Result<Bound, ScimError> {
    Ok(match f {
        Filter::Present(p) => Bound::Present(target(p, schemas, parent)?.0),
        Filter::Compare(p, op, v) => {
            let (t, attr) = target(p, schemas, parent)?;
            let t = implied_value(t, attr)?;
            let operand = operand(&t, *op, v)?;
            Bound::Compare(t, *op, operand)
        }
        Filter::Not(inner) => Bound::Not(Box::new(bind_in(inner, schemas, parent)?)),
        Filter::And(parts) => Bound::And(
            parts
                .iter()
                .map(|p| bind_in(p, schemas, parent))
                .collect::<Result<_, _>>()?,
        ),
        Filter::Or(parts) => Bound::Or(
            parts
                .iter()
                .map(|p| bind_in(p, schemas, parent))
                .collect::<Result<_, _>>()?,
        ),
        Filter::ValuePath(p, inner) => {
            let (t, attr) = target(p, schemas, parent)?;
            let attr = attr
                .filter(|a| a.ty == AttrType::Complex)
                .ok_or_else(|| invalid(format!("`{p}` is not complex: it has no value filter")))?;
            Bound::ValuePath(t, Box::new(bind_in(inner, schemas, Some(attr))?))
        }
    })
}

/// The target of an attribute path outside a filter (`sortBy`): a complex attribute names
/// its `value`. Refusals are `invalidFilter`, as in a filter.
pub fn bind_path(path: &AttrPath, schemas: &ResourceSchemas) -> Result<Target, ScimError> {
    let (t, attr) = target(path, schemas, None)?;
    implied_value(t, attr)
}

/// Bind a parsed filter to the schemas of a resource type.
pub fn bind(f: &Filter, schemas: &ResourceSchemas) -> Result<Bound, ScimError> {
    bind_in(f, schemas, None)
}

/// Bind the value filter of a value path (`emails[type eq "work"]`) whose names are
/// sub-attributes of `parent`; it evaluates on one value of `parent`.
pub fn bind_values(
    f: &Filter,
    schemas: &ResourceSchemas,
    parent: &Attribute,
) -> Result<Bound, ScimError> {
    bind_in(f, schemas, Some(parent))
}

/// Push `v`, or each element when it is a list.
fn push_flat<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(items) => out.extend(items.iter().filter(|i| !i.is_null())),
        Value::Null => {}
        other => out.push(other),
    }
}

/// The values `target` names in `scope` (a resource, or one value of a complex attribute
/// inside a value path).
fn values<'v>(target: &Target, scope: &'v Value) -> Vec<&'v Value> {
    let container = match &target.extension {
        Some(urn) => member(scope, urn),
        None => Some(scope),
    };
    let Some(attr) = container.and_then(|c| member(c, &target.name)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match &target.sub {
        None => push_flat(attr, &mut out),
        Some(sub) => {
            let mut items = Vec::new();
            push_flat(attr, &mut items);
            for item in items {
                if let Some(v) = member(item, sub) {
                    push_flat(v, &mut out);
                }
            }
        }
    }
    out
}

/// RFC 7644 §3.4.2.2 `pr`: a value that is not null and not empty.
fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(is_present),
        Value::Object(m) => m.values().any(is_present),
        _ => true,
    }
}

fn compare_str(op: CompareOp, value: &str, operand: &str) -> bool {
    match op {
        CompareOp::Eq => value == operand,
        CompareOp::Ne => value != operand,
        CompareOp::Co => value.contains(operand),
        CompareOp::Sw => value.starts_with(operand),
        CompareOp::Ew => value.ends_with(operand),
        CompareOp::Gt => value > operand,
        CompareOp::Ge => value >= operand,
        CompareOp::Lt => value < operand,
        CompareOp::Le => value <= operand,
    }
}

fn compare_ord<T: PartialOrd>(op: CompareOp, value: T, operand: T) -> bool {
    match op {
        CompareOp::Eq => value == operand,
        CompareOp::Ne => value != operand,
        CompareOp::Gt => value > operand,
        CompareOp::Ge => value >= operand,
        CompareOp::Lt => value < operand,
        CompareOp::Le => value <= operand,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Whether one value satisfies `op operand` (`op` is never `ne` here).
fn matches(target: &Target, op: CompareOp, operand: &Operand, v: &Value) -> bool {
    match operand {
        Operand::Null => false,
        Operand::Bool(b) => v.as_bool().is_some_and(|x| compare_ord(op, x, *b)),
        Operand::Number(n) => v.as_f64().is_some_and(|x| compare_ord(op, x, *n)),
        Operand::DateTime(t, text) => v.as_str().is_some_and(|s| {
            if op.is_substring() {
                compare_str(op, s, text)
            } else {
                datetime::parse(s).is_some_and(|x| compare_ord(op, x, *t))
            }
        }),
        Operand::String(o) => v.as_str().is_some_and(|s| {
            if target.case_exact {
                compare_str(op, s, o)
            } else {
                compare_str(op, &s.to_lowercase(), o)
            }
        }),
    }
}

/// Whether `scope` satisfies `f`.
pub fn eval(f: &Bound, scope: &Value) -> bool {
    match f {
        Bound::Present(t) => values(t, scope).into_iter().any(is_present),
        Bound::Compare(t, op, Operand::Null) => {
            let present = values(t, scope).into_iter().any(is_present);
            match op {
                CompareOp::Ne => present,
                _ => !present,
            }
        }
        Bound::Compare(t, CompareOp::Ne, operand) => !values(t, scope)
            .into_iter()
            .any(|v| matches(t, CompareOp::Eq, operand, v)),
        Bound::Compare(t, op, operand) => values(t, scope)
            .into_iter()
            .any(|v| matches(t, *op, operand, v)),
        Bound::Not(inner) => !eval(inner, scope),
        Bound::And(parts) => parts.iter().all(|p| eval(p, scope)),
        Bound::Or(parts) => parts.iter().any(|p| eval(p, scope)),
        // The target has no sub-attribute: its values are the attribute's values.
        Bound::ValuePath(t, inner) => values(t, scope).into_iter().any(|item| eval(inner, item)),
    }
}
