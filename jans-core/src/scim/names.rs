//! Attribute names in resources' JSON compare case-insensitively (RFC 7643 §2.1): the
//! lookups every part of the component uses to find, rename and remove members.

use serde_json::{Map, Value};

/// The member `name` of `m`: as spelled, else in any case.
pub fn member_of<'m>(m: &'m Map<String, Value>, name: &str) -> Option<&'m Value> {
    m.get(name).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The member `name` of `v`, when `v` is an object.
pub fn member<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    member_of(v.as_object()?, name)
}

/// The key of `m` spelling `name` in any case.
pub fn key_of(m: &Map<String, Value>, name: &str) -> Option<String> {
    if m.contains_key(name) {
        return Some(name.to_owned());
    }
    m.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// Remove `name` (in whatever case `m` spells it) from `m`; the value it had.
pub fn take(m: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let key = key_of(m, name)?;
    m.remove(&key)
}
