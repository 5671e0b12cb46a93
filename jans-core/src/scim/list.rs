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
use crate::scim::filter::{Target, bind_path, parse_patch_path};
use crate::scim::names::member;
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

    /// Sort `items` (stable) by the resources `value` gives of them.
    pub fn sort<T>(&self, items: &mut Vec<T>, value: impl Fn(&T) -> &Value) {
        let mut keyed: Vec<(Option<Key>, T)> =
            items.drain(..).map(|t| (self.key(value(&t)), t)).collect();
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
        items.extend(keyed.into_iter().map(|(_, t)| t));
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

/// The SearchRequest message schema (RFC 7644 §3.4.3).
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A query (RFC 7644 §3.4.2): filter, sort, page and which attributes to return.
#[derive(Clone, Debug)]
pub struct Query {
    filter: Option<crate::scim::filter::Bound>,
    sort: Option<SortBy>,
    page: Page,
    projection: crate::scim::attributes::Projection,
}

/// The parameters of a query, wherever they came from.
#[derive(Clone, Debug, Default)]
pub struct QueryParams {
    /// `filter`.
    pub filter: Option<String>,
    /// `sortBy`.
    pub sort_by: Option<String>,
    /// `sortOrder`.
    pub sort_order: Option<String>,
    /// `startIndex`.
    pub start_index: Option<String>,
    /// `count`.
    pub count: Option<String>,
    /// `attributes` (comma-separated).
    pub attributes: Option<String>,
    /// `excludedAttributes` (comma-separated).
    pub excluded_attributes: Option<String>,
}

impl QueryParams {
    /// The members of a SearchRequest body (RFC 7644 §3.4.3): `schemas` must name
    /// [`SEARCH_REQUEST`]; `attributes` and `excludedAttributes` are lists of names;
    /// `startIndex` and `count` numbers.
    pub fn from_search_request(body: &Value) -> Result<QueryParams, ScimError> {
        let syntax = |d: &str| ScimError::new(ScimType::InvalidSyntax, d.to_owned());
        let m = crate::scim::message(body, SEARCH_REQUEST)?;
        let text = |k: &str| -> Result<Option<String>, ScimError> {
            match m.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(_) => Err(syntax(&format!("`{k}` has the wrong type"))),
            }
        };
        let list = |k: &str| -> Result<Option<String>, ScimError> {
            match m.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .map(|v| Some(v.join(",")))
                    .ok_or_else(|| syntax(&format!("`{k}` must list attribute names"))),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(syntax(&format!("`{k}` must list attribute names"))),
            }
        };
        QueryParams::read(|name| match name {
            "attributes" | "excludedAttributes" => list(name),
            _ => text(name),
        })
    }

    /// `sortOrder` (ascending when not given).
    pub fn order(&self) -> Result<SortOrder, ScimError> {
        Ok(self
            .sort_order
            .as_deref()
            .map(SortOrder::parse)
            .transpose()?
            .unwrap_or_default())
    }

    /// The parameters, each read by its RFC 7644 name (`filter`, `sortBy`, `sortOrder`,
    /// `startIndex`, `count`, `attributes`, `excludedAttributes`) through `get`.
    pub fn read(
        get: impl Fn(&str) -> Result<Option<String>, ScimError>,
    ) -> Result<QueryParams, ScimError> {
        Ok(QueryParams {
            filter: get("filter")?,
            sort_by: get("sortBy")?,
            sort_order: get("sortOrder")?,
            start_index: get("startIndex")?,
            count: get("count")?,
            attributes: get("attributes")?,
            excluded_attributes: get("excludedAttributes")?,
        })
    }
}

impl Query {
    /// The query `p` asks, against `schemas`, answering at most `max_count` results.
    pub fn new(
        p: &QueryParams,
        schemas: &ResourceSchemas,
        max_count: usize,
    ) -> Result<Query, ScimError> {
        use crate::scim::attributes::{Projection, Selection};
        let filter = p
            .filter
            .as_deref()
            .map(|f| crate::scim::filter::compile(f, schemas))
            .transpose()?;
        let order = p.order()?;
        let sort = p
            .sort_by
            .as_deref()
            .map(|s| SortBy::parse(s, order, schemas))
            .transpose()?;
        let page = Page::parse(p.start_index.as_deref(), p.count.as_deref(), max_count)?;
        let projection = Projection {
            attributes: Selection::parse(p.attributes.as_deref().unwrap_or_default(), schemas)?,
            excluded: Selection::parse(
                p.excluded_attributes.as_deref().unwrap_or_default(),
                schemas,
            )?,
        };
        Ok(Query {
            filter,
            sort,
            page,
            projection,
        })
    }

    /// The filter, bound.
    pub fn filter(&self) -> Option<&crate::scim::filter::Bound> {
        self.filter.as_ref()
    }

    /// The resources the filter matches, in the order given.
    fn matching(&self, resources: Vec<Value>) -> Vec<Value> {
        match &self.filter {
            Some(f) => resources
                .into_iter()
                .filter(|r| crate::scim::filter::eval(f, r))
                .collect(),
            None => resources,
        }
    }

    /// The list response to this query over `resources` (in id order).
    pub fn answer(&self, resources: Vec<Value>, schemas: &ResourceSchemas) -> Value {
        self.answer_matched(self.matching(resources), schemas)
    }

    /// The list response to this query over `hits`, resources its filter matched already
    /// (in id order).
    pub fn answer_matched(&self, mut hits: Vec<Value>, schemas: &ResourceSchemas) -> Value {
        if let Some(s) = &self.sort {
            s.sort(&mut hits, |r| r);
        }
        let total = hits.len();
        let page: Vec<Value> = self
            .page
            .slice(hits)
            .iter()
            .map(|r| self.projection.apply(r, schemas))
            .collect();
        self.page.response(total, page)
    }
}

/// A query across resource types (RFC 7644 §3.4.3: `POST /.search` at the root): each
/// type's `resources` in id order with its schemas. An attribute a type does not have is
/// unassigned in it ([`crate::scim::filter::across_types`]), and one no type has is
/// `invalidFilter`; a filter a type refuses otherwise (an operand of the wrong type) matches
/// none of it, and a filter every type refuses is refused; `sortBy` sorts by an attribute of the first type that has it (the others'
/// resources after, RFC 7644 §3.4.2.3 for missing values); `attributes` select per type.
pub fn answer_across(
    p: &QueryParams,
    types: Vec<(&ResourceSchemas, Vec<Value>)>,
    max_count: usize,
) -> Result<Value, ScimError> {
    let mut queries = Vec::new();
    let mut refused = None;
    let mut hits: Vec<(usize, Value)> = Vec::new();
    let parsed = p
        .filter
        .as_deref()
        .map(crate::scim::filter::parse)
        .transpose()?;
    // Every attribute tested must be some type's: a name no type has is a mistake, not an
    // absent value.
    for path in parsed.iter().flat_map(crate::scim::filter::attribute_paths) {
        if !types
            .iter()
            .any(|(schemas, _)| crate::scim::filter::has_attribute(path, schemas))
        {
            return Err(ScimError::invalid_filter(format!(
                "`{path}` is an attribute of no resource type"
            )));
        }
    }
    let order = p.order()?;
    for (i, (schemas, resources)) in types.iter().enumerate() {
        let mut mine = p.clone();
        mine.filter = None;
        if let Some(by) = &p.sort_by
            && SortBy::parse(by, order, schemas).is_err()
        {
            mine.sort_by = None;
        }
        let query = Query::new(&mine, schemas, max_count).and_then(|mut q| {
            if let Some(f) = &parsed {
                let relaxed = crate::scim::filter::across_types(f, schemas);
                q.filter = Some(crate::scim::filter::bind(&relaxed, schemas)?);
            }
            Ok(q)
        });
        match query {
            Ok(q) => {
                hits.extend(q.matching(resources.clone()).into_iter().map(|r| (i, r)));
                queries.push(Some(q));
            }
            Err(e) => {
                refused.get_or_insert(e);
                queries.push(None);
            }
        }
    }
    let Some(first) = queries.iter().flatten().next() else {
        return Err(refused.unwrap_or_else(ScimError::server_error));
    };
    if p.sort_by.is_some()
        && let Some(sort) = queries.iter().flatten().find_map(|q| q.sort.as_ref())
    {
        sort.sort(&mut hits, |(_, r)| r);
    }
    let total = hits.len();
    let page = first.page;
    let shown: Vec<Value> = page
        .slice(hits)
        .into_iter()
        .filter_map(|(i, r)| {
            let q = queries.get(i)?.as_ref()?;
            Some(q.projection.apply(&r, types.get(i)?.0))
        })
        .collect();
    Ok(page.response(total, shown))
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
        SortBy::parse(by, order, &s).unwrap().sort(&mut all, |r| r);
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
