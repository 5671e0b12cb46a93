//! JSON Patch (RFC 6902) over JSON Pointers (RFC 6901), as Janssen's config API takes it
//! (`application/json-patch+json`) to change clients, scopes, the auth-server's
//! configuration and more: every operation applied in order to a copy, so a patch that
//! fails anywhere (an unknown op, a bad pointer, a missing target, a failed `test`)
//! changes nothing.

use serde_json::{Map, Value};

/// Most operations one patch may hold.
pub const MAX_OPERATIONS: usize = 1000;
/// Longest pointer, in bytes.
pub const MAX_POINTER: usize = 4096;

/// Why a patch was refused (RFC 6902 §5: the whole patch fails).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatchError(pub String);

fn refuse<T>(why: impl Into<String>) -> Result<T, PatchError> {
    Err(PatchError(why.into()))
}

/// One operation (RFC 6902 §4).
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// §4.1
    Add(Vec<String>, Value),
    /// §4.2
    Remove(Vec<String>),
    /// §4.3
    Replace(Vec<String>, Value),
    /// §4.4: from, path.
    Move(Vec<String>, Vec<String>),
    /// §4.5: from, path.
    Copy(Vec<String>, Vec<String>),
    /// §4.6
    Test(Vec<String>, Value),
}

impl Op {
    /// Whether the operation changes or reads below the top-level member `member` (its
    /// `path` or `from` starts there).
    pub fn touches(&self, member: &str) -> bool {
        let under = |p: &[String]| p.first().is_some_and(|t| t == member);
        match self {
            Op::Add(p, _) | Op::Remove(p) | Op::Replace(p, _) | Op::Test(p, _) => under(p),
            Op::Move(from, to) | Op::Copy(from, to) => under(from) || under(to),
        }
    }

    /// The operation on the member `member` of a document: each of its pointers one level
    /// down (a patch of a section, applied to the whole).
    pub fn under(self, member: &str) -> Op {
        let down = |mut p: Vec<String>| {
            p.insert(0, member.to_owned());
            p
        };
        match self {
            Op::Add(p, v) => Op::Add(down(p), v),
            Op::Remove(p) => Op::Remove(down(p)),
            Op::Replace(p, v) => Op::Replace(down(p), v),
            Op::Move(f, t) => Op::Move(down(f), down(t)),
            Op::Copy(f, t) => Op::Copy(down(f), down(t)),
            Op::Test(p, v) => Op::Test(down(p), v),
        }
    }

    /// Whether the operation writes or copies the whole document (its `path`, or the `from`
    /// of a move or copy, is the root).
    pub fn touches_root(&self) -> bool {
        match self {
            Op::Add(p, _) | Op::Remove(p) | Op::Replace(p, _) => p.is_empty(),
            Op::Move(from, p) | Op::Copy(from, p) => from.is_empty() || p.is_empty(),
            Op::Test(..) => false,
        }
    }
}

/// A JSON Pointer's reference tokens (RFC 6901 §3, §4: `~1` is `/`, `~0` is `~`).
pub fn pointer(text: &str) -> Result<Vec<String>, PatchError> {
    if text.len() > MAX_POINTER {
        return refuse(format!("a pointer is longer than {MAX_POINTER} bytes"));
    }
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = text.strip_prefix('/') else {
        return refuse(format!("the pointer {text:?} does not start with /"));
    };
    rest.split('/')
        .map(|token| {
            let mut out = String::with_capacity(token.len());
            let mut chars = token.chars();
            while let Some(c) = chars.next() {
                match c {
                    '~' => match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => return refuse(format!("the pointer {text:?} has a bad ~ escape")),
                    },
                    c => out.push(c),
                }
            }
            Ok(out)
        })
        .collect()
}

/// The operations of a patch document: a JSON array of operation objects.
pub fn parse(doc: &Value) -> Result<Vec<Op>, PatchError> {
    let Some(ops) = doc.as_array() else {
        return refuse("a JSON Patch is an array of operations");
    };
    if ops.len() > MAX_OPERATIONS {
        return refuse(format!("a patch holds at most {MAX_OPERATIONS} operations"));
    }
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let Some(m) = op.as_object() else {
                return refuse(format!("operation {i} is not an object"));
            };
            let text = |name: &str| -> Result<Vec<String>, PatchError> {
                match m.get(name) {
                    Some(Value::String(p)) => pointer(p),
                    _ => refuse(format!("operation {i} needs `{name}`, a string")),
                }
            };
            let value = || -> Result<Value, PatchError> {
                m.get("value")
                    .cloned()
                    .ok_or_else(|| PatchError(format!("operation {i} needs `value`")))
            };
            match m.get("op").and_then(Value::as_str) {
                Some("add") => Ok(Op::Add(text("path")?, value()?)),
                Some("remove") => Ok(Op::Remove(text("path")?)),
                Some("replace") => Ok(Op::Replace(text("path")?, value()?)),
                Some("move") => Ok(Op::Move(text("from")?, text("path")?)),
                Some("copy") => Ok(Op::Copy(text("from")?, text("path")?)),
                Some("test") => Ok(Op::Test(text("path")?, value()?)),
                Some(other) => refuse(format!("operation {i}: unknown op {other:?}")),
                None => refuse(format!("operation {i} needs `op`")),
            }
        })
        .collect()
}

/// The JSON Patch a request carries (`application/json-patch+json`, or plain JSON), as
/// operations and as sent: 415 for another media type, 400 for a body that is no patch or
/// one that writes the whole resource (a `path` of `""`: replace the resource with `PUT`
/// where it has one).
pub fn of_request(
    req: &crate::request::Request,
) -> Result<(Vec<Op>, Value), crate::error::admin::AdminError> {
    use crate::error::admin::AdminError;
    let media = req
        .content_type
        .as_deref()
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    if !matches!(
        media.as_deref(),
        Some("application/json-patch+json" | "application/json")
    ) {
        return Err(AdminError::new(
            415,
            "a JSON Patch is sent as application/json-patch+json (RFC 6902 §1)",
        ));
    }
    let body: Value = serde_json::from_slice(&req.body)
        .map_err(|e| AdminError::new(400, format!("the body is not JSON: {e}")))?;
    let ops = parse(&body).map_err(|e| AdminError::new(400, e.0))?;
    if ops.iter().any(Op::touches_root) {
        return Err(AdminError::new(
            400,
            "a resource is patched a member at a time: an operation's path or from is not the root (\"\")",
        ));
    }
    Ok((ops, body))
}

/// `doc` with `ops` applied in order; the first that fails refuses the whole patch.
pub fn apply(doc: &Value, ops: &[Op]) -> Result<Value, PatchError> {
    let mut out = doc.clone();
    for (i, op) in ops.iter().enumerate() {
        step(&mut out, op)
            .map_err(|PatchError(why)| PatchError(format!("operation {i}: {why}")))?;
    }
    Ok(out)
}

fn shown(path: &[String]) -> String {
    path.iter()
        .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
        .collect()
}

fn step(doc: &mut Value, op: &Op) -> Result<(), PatchError> {
    match op {
        Op::Add(path, value) => add(doc, path, value.clone()),
        Op::Remove(path) => remove(doc, path).map(drop),
        Op::Replace(path, value) => {
            let target = get_mut(doc, path)?;
            *target = value.clone();
            Ok(())
        }
        Op::Move(from, path) => {
            // §4.4: a location cannot be moved into one of its children.
            if path.len() > from.len() && path.starts_with(from) {
                return refuse(format!("{} cannot move into itself", shown(from)));
            }
            let value = remove(doc, from)?;
            add(doc, path, value)
        }
        Op::Copy(from, path) => {
            let value = get_mut(doc, from)?.clone();
            add(doc, path, value)
        }
        Op::Test(path, value) => {
            if equal(get_mut(doc, path)?, value) {
                Ok(())
            } else {
                refuse(format!("test failed at {}", shown(path)))
            }
        }
    }
}

/// An array index token (RFC 6901 §4: digits, no leading zero) below `bound`.
fn index(token: &str, bound: usize) -> Result<usize, PatchError> {
    let ok = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    match token.parse::<usize>() {
        Ok(i) if ok && i < bound => Ok(i),
        _ => refuse(format!("{token:?} is not an index of this array")),
    }
}

fn get_mut<'a>(doc: &'a mut Value, path: &[String]) -> Result<&'a mut Value, PatchError> {
    let mut at = doc;
    for (depth, token) in path.iter().enumerate() {
        at = match at {
            Value::Object(m) => m.get_mut(token),
            Value::Array(a) => {
                let i = index(token, a.len())?;
                a.get_mut(i)
            }
            _ => None,
        }
        .ok_or_else(|| {
            PatchError(format!(
                "nothing at {}",
                shown(path.get(..=depth).unwrap_or(path))
            ))
        })?;
    }
    Ok(at)
}

fn add(doc: &mut Value, path: &[String], value: Value) -> Result<(), PatchError> {
    let Some((last, parent)) = path.split_last() else {
        *doc = value;
        return Ok(());
    };
    match get_mut(doc, parent)? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            let i = if last == "-" {
                a.len()
            } else {
                index(last, a.len() + 1)?
            };
            a.insert(i, value);
            Ok(())
        }
        _ => refuse(format!("{} is not an object or an array", shown(parent))),
    }
}

fn remove(doc: &mut Value, path: &[String]) -> Result<Value, PatchError> {
    let Some((last, parent)) = path.split_last() else {
        return refuse("the whole document cannot be removed");
    };
    let missing = || PatchError(format!("nothing at {}", shown(path)));
    match get_mut(doc, parent)? {
        Value::Object(m) => m.remove(last).ok_or_else(missing),
        Value::Array(a) => {
            let i = index(last, a.len())?;
            Ok(a.remove(i))
        }
        _ => Err(missing()),
    }
}

/// RFC 6902 §4.6 equality: numbers by value, objects regardless of member order.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => objects_equal(x, y),
        _ => a == b,
    }
}

fn objects_equal(x: &Map<String, Value>, y: &Map<String, Value>) -> bool {
    x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(doc: Value, patch: Value) -> Result<Value, PatchError> {
        apply(&doc, &parse(&patch)?)
    }

    /// RFC 6902 Appendix A, the examples that succeed.
    #[test]
    fn appendix_a() {
        let cases = [
            // A.1 adding an object member
            (
                json!({"foo": "bar"}),
                json!([{"op": "add", "path": "/baz", "value": "qux"}]),
                json!({"baz": "qux", "foo": "bar"}),
            ),
            // A.2 adding an array element
            (
                json!({"foo": ["bar", "baz"]}),
                json!([{"op": "add", "path": "/foo/1", "value": "qux"}]),
                json!({"foo": ["bar", "qux", "baz"]}),
            ),
            // A.3 removing an object member
            (
                json!({"baz": "qux", "foo": "bar"}),
                json!([{"op": "remove", "path": "/baz"}]),
                json!({"foo": "bar"}),
            ),
            // A.4 removing an array element
            (
                json!({"foo": ["bar", "qux", "baz"]}),
                json!([{"op": "remove", "path": "/foo/1"}]),
                json!({"foo": ["bar", "baz"]}),
            ),
            // A.5 replacing a value
            (
                json!({"baz": "qux", "foo": "bar"}),
                json!([{"op": "replace", "path": "/baz", "value": "boo"}]),
                json!({"baz": "boo", "foo": "bar"}),
            ),
            // A.6 moving a value
            (
                json!({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}}),
                json!([{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}]),
                json!({"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
            ),
            // A.7 moving an array element
            (
                json!({"foo": ["all", "grass", "cows", "eat"]}),
                json!([{"op": "move", "from": "/foo/1", "path": "/foo/3"}]),
                json!({"foo": ["all", "cows", "eat", "grass"]}),
            ),
            // A.8 testing a value: success
            (
                json!({"baz": "qux", "foo": ["a", 2, "c"]}),
                json!([{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}]),
                json!({"baz": "qux", "foo": ["a", 2, "c"]}),
            ),
            // A.10 adding a nested member object
            (
                json!({"foo": "bar"}),
                json!([{"op": "add", "path": "/child", "value": {"grandchild": {}}}]),
                json!({"foo": "bar", "child": {"grandchild": {}}}),
            ),
            // A.11 ignoring unrecognized elements
            (
                json!({"foo": "bar"}),
                json!([{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}]),
                json!({"foo": "bar", "baz": "qux"}),
            ),
            // A.14 ~ escape ordering
            (
                json!({"/": 9, "~1": 10}),
                json!([{"op": "test", "path": "/~01", "value": 10}]),
                json!({"/": 9, "~1": 10}),
            ),
            // A.16 adding an array value
            (
                json!({"foo": ["bar"]}),
                json!([{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}]),
                json!({"foo": ["bar", ["abc", "def"]]}),
            ),
            // Numbers equal by value; the whole document replaced.
            (
                json!({"n": 1}),
                json!([{"op": "test", "path": "/n", "value": 1.0}, {"op": "add", "path": "", "value": [1]}]),
                json!([1]),
            ),
            (
                json!({"a": {"b": 1}}),
                json!([{"op": "copy", "from": "/a", "path": "/c"}, {"op": "replace", "path": "/c/b", "value": 2}]),
                json!({"a": {"b": 1}, "c": {"b": 2}}),
            ),
        ];
        for (doc, patch, want) in cases {
            assert_eq!(patched(doc, patch.clone()).unwrap(), want, "{patch}");
        }
    }

    /// RFC 6902 Appendix A's errors, and malformed patches: refused, the document as it was.
    #[test]
    fn refusals_change_nothing() {
        let doc = json!({"foo": "bar", "list": [1, 2], "/": 9, "~1": 10});
        let bad = [
            // A.9 a failed test
            json!([{"op": "test", "path": "/foo", "value": "baz"}]),
            // A.12 adding to a nonexistent target
            json!([{"op": "add", "path": "/baz/bat", "value": "qux"}]),
            // A.13 invalid JSON Patch document (an op missing its value)
            json!([{"op": "add", "path": "/baz"}]),
            // A.15 comparing strings and numbers
            json!([{"op": "test", "path": "/~01", "value": "10"}]),
            json!({"op": "add", "path": "/x", "value": 1}),
            json!([{"op": "frobnicate", "path": "/foo"}]),
            json!([{"path": "/foo"}]),
            json!([{"op": "remove", "path": "foo"}]),
            json!([{"op": "remove", "path": "/nope"}]),
            json!([{"op": "remove", "path": ""}]),
            json!([{"op": "replace", "path": "/list/2", "value": 3}]),
            json!([{"op": "add", "path": "/list/3", "value": 3}]),
            json!([{"op": "add", "path": "/list/01", "value": 3}]),
            json!([{"op": "remove", "path": "/list/-"}]),
            json!([{"op": "remove", "path": "/a~2b"}]),
            json!([{"op": "add", "path": "/foo/x", "value": 1}]),
            json!([{"op": "move", "from": "/list", "path": "/list/0"}]),
            // The first operation applies, the second fails: nothing applies.
            json!([{"op": "remove", "path": "/foo"}, {"op": "test", "path": "/list/0", "value": 2}]),
        ];
        for patch in bad {
            let r = patched(doc.clone(), patch.clone());
            assert!(r.is_err(), "{patch} gave {r:?}");
            assert!(!r.unwrap_err().0.is_empty());
        }
        let many = Value::Array(vec![
            json!({"op": "test", "path": "", "value": {}});
            MAX_OPERATIONS + 1
        ]);
        assert!(parse(&many).is_err());
        assert!(pointer(&"/a".repeat(MAX_POINTER)).is_err());
    }
}
