//! Janssen's config API lists: the query parameters every list endpoint takes (`limit`,
//! `startIndex`, `pattern`, `sortBy`, `sortOrder`, `fieldValuePair`; jans-config-api's
//! `BaseResource`) and the `PagedResult` answer (`start`, `totalEntriesCount`,
//! `entriesCount`, `entries`).

use serde_json::{Map, Value, json};

use crate::error::admin::AdminError;
use crate::request::Request;

/// Entries per page unless `limit` says otherwise (Janssen's `DEFAULT_LIST_SIZE`).
pub const DEFAULT_LIMIT: usize = 50;
/// Most entries per page (Janssen's `DEFAULT_MAX_COUNT`).
pub const MAX_LIMIT: usize = 200;

/// A list request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListParams {
    /// Entries per page, 1 to [`MAX_LIMIT`].
    pub limit: usize,
    /// The first entry's position, counted from 1.
    pub start_index: usize,
    /// Only entries with a searchable member containing this, ignoring case.
    pub pattern: Option<String>,
    /// The member to sort by.
    pub sort_by: String,
    /// Whether in descending order.
    pub descending: bool,
    /// Only entries whose members hold these values (`name=value,...`).
    pub field_value_pairs: Vec<(String, String)>,
}

/// The query parameter `name` as given, empty too (OAuth's reading of an empty parameter
/// as absent, RFC 6749 §3.1, is not the config API's); given twice, a 400.
pub fn raw(req: &Request, name: &str) -> Result<Option<String>, AdminError> {
    let mut given = req.query.iter().filter(|(k, _)| *k == name).map(|(_, v)| v);
    match (given.next(), given.next()) {
        (_, Some(_)) => Err(AdminError::new(
            400,
            format!("{name} is given more than once"),
        )),
        (v, None) => Ok(v.map(str::to_owned)),
    }
}

/// The boolean query parameter `name`: `true` or `false`, `false` when absent; anything
/// else (empty too) a 400.
pub fn flag(req: &Request, name: &str) -> Result<bool, AdminError> {
    match raw(req, name)?.as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(AdminError::new(
            400,
            format!("{name} is true or false, not {other:?}"),
        )),
    }
}

/// The query parameter `name` when given and not empty; given twice, a 400.
pub fn param(req: &Request, name: &str) -> Result<Option<String>, AdminError> {
    req.query
        .get(name)
        .map(|v| v.filter(|v| !v.is_empty()).map(str::to_owned))
        .map_err(|_| AdminError::new(400, format!("{name} is given more than once")))
}

impl ListParams {
    /// The parameters of `req`, sorting by `default_sort` unless it names a member; a
    /// parameter given twice or out of range is a 400.
    pub fn parse(req: &Request, default_sort: &str) -> Result<ListParams, AdminError> {
        let one = |name: &str| param(req, name);
        // Typed parameters: given empty is not a value either.
        let number = |name: &str, default: usize| -> Result<usize, AdminError> {
            match raw(req, name)? {
                None => Ok(default),
                Some(v) => v.parse::<usize>().map_err(|_| {
                    AdminError::new(400, format!("{name} must be a number, not {v:?}"))
                }),
            }
        };
        let limit = number("limit", DEFAULT_LIMIT)?;
        if limit > MAX_LIMIT {
            return Err(AdminError::new(
                400,
                format!("Maximum number of results per page is {MAX_LIMIT}"),
            ));
        }
        let descending = match raw(req, "sortOrder")?.as_deref() {
            None | Some("ascending") => false,
            Some("descending") => true,
            Some(other) => {
                return Err(AdminError::new(
                    400,
                    format!("sortOrder is ascending or descending, not {other:?}"),
                ));
            }
        };
        let mut field_value_pairs = Vec::new();
        for pair in one("fieldValuePair")?
            .unwrap_or_default()
            .split(',')
            .filter(|p| !p.trim().is_empty())
        {
            let Some((name, value)) = pair
                .split_once('=')
                .filter(|(name, _)| !name.trim().is_empty())
            else {
                return Err(AdminError::new(
                    400,
                    format!("fieldValuePair takes name=value pairs, not {pair:?}"),
                ));
            };
            field_value_pairs.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(ListParams {
            // Janssen's pages hold at least one entry.
            limit: limit.max(1),
            // Counted from 1; Janssen reads anything below 1 as 1.
            start_index: number("startIndex", 1)?.max(1),
            pattern: one("pattern")?.map(|p| p.to_lowercase()),
            sort_by: one("sortBy")?.unwrap_or_else(|| default_sort.to_owned()),
            descending,
            field_value_pairs,
        })
    }

    /// The `PagedResult` of `entries` (each a JSON object): those that pass `pattern` (in
    /// any of `searchable`) and `fieldValuePair`, sorted, then the page asked for.
    pub fn page(&self, entries: Vec<Value>, searchable: &[&str]) -> Value {
        let mut kept: Vec<Value> = entries
            .into_iter()
            .filter(|e| self.passes(e, searchable))
            .collect();
        kept.sort_by(|a, b| {
            let order = compare(a.get(&self.sort_by), b.get(&self.sort_by));
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
        let total = kept.len();
        let entries = self.window(kept.into_iter()).collect();
        self.result(total, entries)
    }

    /// The page asked for (`startIndex`, `limit`) of entries already filtered and sorted.
    pub fn window<T>(&self, sorted: impl Iterator<Item = T>) -> impl Iterator<Item = T> {
        sorted.skip(self.start_index - 1).take(self.limit)
    }

    /// The `PagedResult` of a page of `entries` out of `total` that passed.
    pub fn result(&self, total: usize, entries: Vec<Value>) -> Value {
        json!({
            "start": self.start_index,
            "totalEntriesCount": total,
            "entriesCount": entries.len(),
            "entries": entries,
        })
    }

    fn passes(&self, entry: &Value, searchable: &[&str]) -> bool {
        let Some(m) = entry.as_object() else {
            return false;
        };
        let pattern_ok = self.pattern.as_ref().is_none_or(|p| {
            searchable
                .iter()
                .any(|k| text(m, k).is_some_and(|v| v.to_lowercase().contains(p.as_str())))
        });
        pattern_ok
            && self
                .field_value_pairs
                .iter()
                .all(|(k, want)| text(m, k).is_some_and(|v| v.eq_ignore_ascii_case(want)))
    }
}

/// A member's value as text (strings as they are; numbers and booleans printed).
fn text(m: &Map<String, Value>, name: &str) -> Option<String> {
    match m.get(name)? {
        Value::String(s) => Some(s.clone()),
        v @ (Value::Number(_) | Value::Bool(_)) => Some(v.to_string()),
        _ => None,
    }
}

/// How entries sort by a member: absent ones first, then numbers by value, then text
/// ignoring case.
fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    fn rank(v: Option<&Value>) -> u8 {
        match v {
            Some(Value::Number(_)) => 1,
            Some(Value::String(_) | Value::Bool(_)) => 2,
            _ => 0,
        }
    }
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&y.as_f64().unwrap_or(0.0)),
        (
            Some(x @ (Value::String(_) | Value::Bool(_))),
            Some(y @ (Value::String(_) | Value::Bool(_))),
        ) => {
            let t = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_lowercase);
            t(x).cmp(&t(y))
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{AdminEndpoint, Method};

    fn params(query: &[(&str, &str)]) -> Result<ListParams, AdminError> {
        let mut req = Request::new(AdminEndpoint::Scopes, Method::Get);
        req.query = crate::params::Params::from_pairs(
            query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        ListParams::parse(&req, "inum")
    }

    #[test]
    fn parameters_with_janssen_defaults_and_bounds() {
        let p = params(&[]).unwrap();
        assert_eq!((p.limit, p.start_index, p.descending), (50, 1, false));
        assert_eq!((p.sort_by.as_str(), &p.pattern), ("inum", &None));
        let p = params(&[
            ("limit", "200"),
            ("startIndex", "0"),
            ("sortOrder", "descending"),
            ("pattern", "Mail"),
            ("fieldValuePair", "scopeType=openid, defaultScope=true"),
        ])
        .unwrap();
        assert_eq!((p.limit, p.start_index, p.descending), (200, 1, true));
        assert_eq!(p.pattern.as_deref(), Some("mail"));
        assert_eq!(
            p.field_value_pairs,
            [
                ("scopeType".to_owned(), "openid".to_owned()),
                ("defaultScope".to_owned(), "true".to_owned())
            ]
        );
        for bad in [
            vec![("limit", "201")],
            vec![("limit", "-1")],
            vec![("startIndex", "x")],
            vec![("sortOrder", "up")],
            vec![("fieldValuePair", "novalue")],
            // Found by schemathesis: a pair without a name.
            vec![("fieldValuePair", "=:±")],
            vec![("fieldValuePair", "a=1, =2")],
            vec![("limit", "5"), ("limit", "6")],
        ] {
            let e = params(&bad).unwrap_err();
            assert_eq!(e.status, 400, "{bad:?}");
            assert!(!e.description.is_empty());
        }
        let e = params(&[("limit", "201")]).unwrap_err();
        assert_eq!(e.description, "Maximum number of results per page is 200");
    }

    #[test]
    fn pages_filter_and_sort() {
        let entries: Vec<Value> = (1..=7)
            .map(|i| {
                json!({
                    "inum": format!("{:04}", 8 - i),
                    "id": format!("Scope{i}"),
                    "n": i,
                    "odd": i % 2 == 1,
                })
            })
            .collect();
        let page = |q: &[(&str, &str)]| params(q).unwrap().page(entries.clone(), &["id"]);
        let ids = |v: &Value| -> Vec<String> {
            v["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned())
                .collect()
        };
        // By inum by default: Scope7 has the lowest.
        let all = page(&[]);
        assert_eq!(all["totalEntriesCount"], 7);
        assert_eq!(all["entriesCount"], 7);
        assert_eq!(all["start"], 1);
        assert_eq!(ids(&all)[0], "Scope7");
        // A page: the 3rd and 4th by n.
        let p = page(&[("sortBy", "n"), ("startIndex", "3"), ("limit", "2")]);
        assert_eq!(ids(&p), ["Scope3", "Scope4"]);
        assert_eq!(
            (&p["totalEntriesCount"], &p["entriesCount"]),
            (&json!(7), &json!(2))
        );
        let p = page(&[("sortBy", "n"), ("sortOrder", "descending"), ("limit", "2")]);
        assert_eq!(ids(&p), ["Scope7", "Scope6"]);
        // Past the end: an empty page, the total still told.
        let p = page(&[("startIndex", "50")]);
        assert_eq!(
            (p["entriesCount"].as_u64(), p["totalEntriesCount"].as_u64()),
            (Some(0), Some(7))
        );
        // pattern: a substring of a searchable member, ignoring case; fieldValuePair: exact.
        assert_eq!(ids(&page(&[("pattern", "SCOPE3")])), ["Scope3"]);
        assert!(
            ids(&page(&[("pattern", "0001")])).is_empty(),
            "inum is not searched here"
        );
        let odd = page(&[("fieldValuePair", "odd=true"), ("sortBy", "n")]);
        assert_eq!(ids(&odd), ["Scope1", "Scope3", "Scope5", "Scope7"]);
        let none = page(&[("fieldValuePair", "odd=true,n=2")]);
        assert_eq!(none["totalEntriesCount"], 0);
    }
}
