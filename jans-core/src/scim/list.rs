//! Sorting and paging of query results (RFC 7644 §3.4.2.3, §3.4.2.4) and the list
//! response (§3.4.2).
//!
//! - `sortBy` is an attribute path, resolved as in filters (a complex attribute sorts by its
//!   `value`); a multi-valued attribute sorts by its primary value, else its first.
//! - Values compare by their type: strings folded to lower case unless case-exact, numbers
//!   numerically, dateTimes chronologically; resources without a value sort last in
//!   `ascending` order, and `descending` is exactly the reverse. Ties keep the order the
//!   resources came in (their id order), so pages never overlap.
//! - `startIndex` is 1-based; below 1 it is 1. `count` below 0 is 0; above `maxCount` it is
//!   `maxCount`. Values that are not integers are `invalidValue`.

use std::cmp::Ordering;

use serde_json::{Value, json};

use crate::error::scim::{ScimError, ScimType};
use crate::scim::datetime;
use crate::scim::filter::eval::member;
use crate::scim::filter::{Target, bind_path, parse_patch_path};
use crate::scim::schema::{AttrType, ResourceSchemas};

/// The list response message schema (RFC 7644 §3.4.2).
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// `sortOrder`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// `ascending` (the default).
    #[default]
    Ascending,
    /// `descending`.
    Descending,
}

fn invalid_value(detail: String) -> ScimError {
    ScimError::new(ScimType::InvalidValue, detail)
}

impl SortOrder {
    /// `ascending` or `descending`, case-insensitive.
    pub fn parse(s: &str) -> Result<SortOrder, ScimError> {
        if s.eq_ignore_ascii_case("ascending") {
            Ok(SortOrder::Ascending)
        } else if s.eq_ignore_ascii_case("descending") {
            Ok(SortOrder::Descending)
        } else {
            Err(invalid_value(format!(
                "sortOrder is `ascending` or `descending`, not `{s}`"
            )))
        }
    }
}

/// What results are sorted by.
#[derive(Clone, Debug, PartialEq)]
pub struct SortBy {
    target: Target,
    order: SortOrder,
}

impl SortBy {
    /// `sortBy` (an attribute path) with its order; an attribute path of no attribute is
    /// `invalidValue`.
    pub fn parse(
        sort_by: &str,
        order: SortOrder,
        schemas: &ResourceSchemas,
    ) -> Result<SortBy, ScimError> {
        let path = parse_patch_path(sort_by)
            .ok()
            .filter(|p| p.filter.is_none())
            .ok_or_else(|| invalid_value(format!("sortBy `{sort_by}` is not an attribute path")))?;
        let target = bind_path(&path.attr, schemas)
            .map_err(|e| invalid_value(format!("sortBy: {}", e.detail)))?;
        Ok(SortBy { target, order })
    }

    /// Sort `resources` (stable).
    pub fn sort(&self, resources: &mut [Value]) {
        let mut keyed: Vec<(Option<Key>, Value)> = resources
            .iter_mut()
            .map(|r| (self.key(r), std::mem::take(r)))
            .collect();
        keyed.sort_by(|(a, _), (b, _)| {
            let ascending = match (a, b) {
                (Some(a), Some(b)) => a.cmp(b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            match self.order {
                SortOrder::Ascending => ascending,
                SortOrder::Descending => ascending.reverse(),
            }
        });
        for (slot, (_, r)) in resources.iter_mut().zip(keyed) {
            *slot = r;
        }
    }

    /// The value `resource` sorts by.
    fn key(&self, resource: &Value) -> Option<Key> {
        let t = &self.target;
        let container = match &t.extension {
            Some(urn) => member(resource, urn)?,
            None => resource,
        };
        let attr = member(container, &t.name)?;
        // A list sorts by its primary value, else its first.
        let one = match attr {
            Value::Array(items) => items
                .iter()
                .find(|i| i.get("primary").and_then(Value::as_bool) == Some(true))
                .or_else(|| items.first())?,
            other => other,
        };
        let v = match &t.sub {
            Some(sub) => member(one, sub)?,
            None => one,
        };
        match (t.ty, v) {
            (AttrType::Boolean, Value::Bool(b)) => Some(Key::Bool(*b)),
            (AttrType::Integer | AttrType::Decimal, Value::Number(n)) => {
                n.as_f64().map(Key::Number)
            }
            (AttrType::DateTime, Value::String(s)) => datetime::parse(s).map(Key::Time),
            (_, Value::String(s)) if t.case_exact => Some(Key::Text(s.clone())),
            (_, Value::String(s)) => Some(Key::Text(s.to_lowercase())),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, PartialOrd)]
enum Key {
    Bool(bool),
    Number(f64),
    Time(i128),
    Text(String),
}

impl Key {
    fn cmp(&self, other: &Key) -> Ordering {
        self.partial_cmp(other).unwrap_or(Ordering::Equal)
    }
}

/// `startIndex` and `count` as the request gave them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// 1-based index of the first result returned.
    pub start_index: usize,
    /// How many results at most.
    pub count: usize,
}

impl Page {
    /// The page of the query parameters (`None` when absent): `count` defaults to and is
    /// capped at `max_count`.
    pub fn parse(
        start_index: Option<&str>,
        count: Option<&str>,
        max_count: usize,
    ) -> Result<Page, ScimError> {
        let int = |name: &str, v: Option<&str>| -> Result<Option<i64>, ScimError> {
            v.map(|s| {
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| invalid_value(format!("{name} must be an integer, not `{s}`")))
            })
            .transpose()
        };
        let start = int("startIndex", start_index)?.unwrap_or(1).max(1);
        let count = int("count", count)?.map_or(max_count, |c| {
            usize::try_from(c.max(0))
                .unwrap_or(max_count)
                .min(max_count)
        });
        Ok(Page {
            start_index: usize::try_from(start).unwrap_or(usize::MAX),
            count,
        })
    }

    /// One page holding all of `items`.
    pub fn everything<T>(items: &[T]) -> Page {
        Page {
            start_index: 1,
            count: items.len(),
        }
    }

    /// The part of `all` (already sorted) this page holds.
    pub fn slice<T>(&self, all: Vec<T>) -> Vec<T> {
        all.into_iter()
            .skip(self.start_index - 1)
            .take(self.count)
            .collect()
    }

    /// The list response (RFC 7644 §3.4.2) of `resources`, this page of `total` results.
    pub fn response(&self, total: usize, resources: Vec<Value>) -> Value {
        json!({
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "startIndex": self.start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[Value]) -> Vec<&str> {
        v.iter().map(|r| r["id"].as_str().unwrap()).collect()
    }

    fn users() -> Vec<Value> {
        vec![
            json!({"id": "1", "userName": "carol", "active": true,
                   "emails": [{"value": "z@x", "type": "home"}, {"value": "a@x", "primary": true}],
                   "meta": {"lastModified": "2020-01-01T00:00:00Z"}}),
            json!({"id": "2", "userName": "Alice", "active": false,
                   "emails": [{"value": "m@x"}],
                   "meta": {"lastModified": "2019-12-31T23:00:00-02:00"}}),
            json!({"id": "3", "active": true,
                   "meta": {"lastModified": "2021-01-01T00:00:00Z"}}),
            json!({"id": "4", "userName": "bob",
                   "emails": [{"value": "b@x"}],
                   "meta": {"lastModified": "not a date"}}),
        ]
    }

    fn sorted(by: &str, order: SortOrder) -> Vec<String> {
        let s = ResourceSchemas::users(&[]).unwrap();
        let mut all = users();
        SortBy::parse(by, order, &s).unwrap().sort(&mut all);
        ids(&all).into_iter().map(str::to_owned).collect()
    }

    #[test]
    fn sorting() {
        use SortOrder::*;
        assert_eq!(sorted("userName", Ascending), ["2", "4", "1", "3"]);
        assert_eq!(sorted("USERNAME", Descending), ["3", "1", "4", "2"]);
        // Multi-valued: the primary value, else the first; complex: its `value`.
        assert_eq!(sorted("emails", Ascending), ["1", "4", "2", "3"]);
        assert_eq!(sorted("emails.value", Ascending), ["1", "4", "2", "3"]);
        // dateTime chronologically (2's is 2020-01-01T01:00Z); an unparsable one has none.
        assert_eq!(sorted("meta.lastModified", Ascending), ["1", "2", "3", "4"]);
        // Booleans; ties keep their order.
        assert_eq!(sorted("active", Ascending), ["2", "1", "3", "4"]);
        let s = ResourceSchemas::users(&[]).unwrap();
        for bad in ["nope", "name", "emails[type eq \"x\"]", "a b"] {
            let e = SortBy::parse(bad, Ascending, &s).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{bad}");
        }
        assert_eq!(SortOrder::parse("DESCENDING").unwrap(), Descending);
        assert!(SortOrder::parse("up").is_err());
    }

    #[test]
    fn paging() {
        let p = Page::parse(None, None, 200).unwrap();
        assert_eq!(
            p,
            Page {
                start_index: 1,
                count: 200
            }
        );
        let p = Page::parse(Some("0"), Some("-5"), 200).unwrap();
        assert_eq!(
            p,
            Page {
                start_index: 1,
                count: 0
            }
        );
        let p = Page::parse(Some("3"), Some("1000"), 200).unwrap();
        assert_eq!(
            p,
            Page {
                start_index: 3,
                count: 200
            }
        );
        for (s, c) in [(Some("x"), None), (None, Some("1.5")), (Some(""), None)] {
            let e = Page::parse(s, c, 200).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        }
        let p = Page::parse(Some("2"), Some("2"), 200).unwrap();
        assert_eq!(p.slice(vec![1, 2, 3, 4]), [2, 3]);
        assert_eq!(
            Page::parse(Some("9"), None, 200).unwrap().slice(vec![1, 2]),
            Vec::<i32>::new()
        );
        let r = p.response(4, vec![json!({"id": "a"})]);
        assert_eq!(
            r,
            json!({"schemas": [LIST_RESPONSE], "totalResults": 4, "startIndex": 2,
                   "itemsPerPage": 1, "Resources": [{"id": "a"}]})
        );
    }
}
