//! Values checked against their attribute (RFC 7643 §2.3): the type, sub-attributes spelled
//! as the schema spells them, read-only sub-attributes dropped (§7: ignored on input).
//! Booleans sent as `"True"`/`"false"` strings (Entra ID) are read as booleans.

use serde_json::{Map, Value};

use crate::error::scim::{ScimError, ScimType};
use crate::scim::schema::{AttrType, Attribute, Mutability};

fn invalid_value(detail: impl Into<String>) -> ScimError {
    ScimError::new(ScimType::InvalidValue, detail)
}

/// `value` checked as one value of `attr` (not its list): the type, sub-attributes by
/// their schema spelling, read-only sub-attributes dropped.
pub fn coerce_one(value: &Value, attr: &Attribute) -> Result<Value, ScimError> {
    let wrong = || {
        invalid_value(format!(
            "`{}` takes a {} value",
            attr.name,
            attr.ty.as_str()
        ))
    };
    Ok(match attr.ty {
        AttrType::Complex => {
            let m = value.as_object().ok_or_else(wrong)?;
            let mut out = Map::new();
            for (k, v) in m {
                let sub = attr.sub(k).ok_or_else(|| {
                    invalid_value(format!("`{}` has no sub-attribute `{k}`", attr.name))
                })?;
                if sub.mutability == Mutability::ReadOnly || v.is_null() {
                    continue;
                }
                out.insert(sub.name.clone(), coerce_attr(v, sub)?);
            }
            Value::Object(out)
        }
        AttrType::Boolean => match value {
            Value::Bool(_) => value.clone(),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(wrong()),
        },
        AttrType::Integer if value.is_i64() || value.is_u64() => value.clone(),
        AttrType::Decimal if value.is_number() => value.clone(),
        AttrType::DateTime
            if value
                .as_str()
                .is_some_and(|s| crate::scim::datetime::parse(s).is_some()) =>
        {
            value.clone()
        }
        AttrType::String | AttrType::Reference | AttrType::Binary if value.is_string() => {
            value.clone()
        }
        _ => return Err(wrong()),
    })
}

/// `value` checked as the whole value of `attr`: a list for a multi-valued attribute (a
/// single value is taken as a list of one).
pub fn coerce_attr(value: &Value, attr: &Attribute) -> Result<Value, ScimError> {
    match (attr.multi_valued, value) {
        (true, Value::Array(items)) => Ok(Value::Array(
            items
                .iter()
                .map(|i| coerce_one(i, attr))
                .collect::<Result<_, _>>()?,
        )),
        (true, single) => Ok(Value::Array(vec![coerce_one(single, attr)?])),
        (false, Value::Array(_)) => Err(invalid_value(format!(
            "`{}` takes a single value, not a list",
            attr.name
        ))),
        (false, v) => coerce_one(v, attr),
    }
}
