//! Bulk (RFC 7644 §3.7): many writes to users and groups in one request, for tokens with
//! Janssen's `https://jans.io/scim/bulk` scope.
//!
//! - The request is a `BulkRequest` of at most `bulkMaxOperations` operations and
//!   `bulkMaxPayloadSize` bytes (over either: 413, §3.7.4), each a `method` (`POST`, `PUT`,
//!   `PATCH`, `DELETE`), a `path` (`/Users`, `/Groups`, or one of them by id), its `data`,
//!   an optional `version` (as `If-Match`) and, for a `POST`, a `bulkId` unique in the
//!   request.
//! - `bulkId:{id}` in an operation's `path` or anywhere in its `data` (a group's members)
//!   names the resource the `POST` with that `bulkId` created (§3.7.2). Operations run in
//!   the order given, except that one waits until the resources it names exist; one that
//!   names a `bulkId` no operation defines or one whose creation failed fails with 409
//!   `invalidValue`. A cycle (§3.7.1: two groups each a member of the other) is resolved
//!   when it runs through groups' members: the group is created without the members not
//!   created yet, and they are added once they are; any other cycle fails with 409.
//! - Each operation is the write its method is on its own (`scim::write`): atomic, with
//!   the same checks and errors, and nothing stored when it fails. With `failOnErrors` N,
//!   processing stops after the Nth failure; the operations done stay done (RFC 7644 §3.7
//!   makes a Bulk request no transaction), the ones not run are not in the response.
//! - The response lists each operation run, in the order run: its `method`, `bulkId`,
//!   `location` and `version` when it has them, its `status`, and the error `response` of a
//!   failure.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::scim::{ScimError, ScimType};
use crate::request::{Method, Request, ScimEndpoint};
use crate::response::{Body, Response};
use crate::scim::write::Prehashed;
use crate::scim::{Kind, ScimServer, paths};

/// The BulkRequest message schema.
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// The BulkResponse message schema.
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// The prefix of a reference to a resource created in the same request.
const BULK_ID: &str = "bulkId:";

/// One operation of a request.
#[derive(Clone, Debug)]
struct Operation {
    method: Method,
    method_name: String,
    bulk_id: Option<String>,
    version: Option<String>,
    path: String,
    data: Option<Value>,
    /// The bulkIds its path and data name.
    needs: HashSet<String>,
    /// Its user's password, hashed before the operations run ([`ScimServer::prehash`]).
    prehashed: Option<Prehashed>,
}

fn syntax(detail: impl Into<String>) -> ScimError {
    ScimError::new(ScimType::InvalidSyntax, detail)
}

/// Every `bulkId:{id}` string in `v`, by id.
fn references(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_ID) {
                out.insert(id.to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| references(i, out)),
        Value::Object(m) => m.values().for_each(|i| references(i, out)),
        _ => {}
    }
}

/// The bulkId a path's last segment names (`/Users/bulkId:{id}`).
fn path_reference(path: &str) -> Option<&str> {
    path.rsplit_once('/')?.1.strip_prefix(BULK_ID)
}

/// `v` with every `bulkId:{id}` replaced by the id `created` maps it to.
fn resolve(v: &mut Value, created: &HashMap<String, String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_ID).and_then(|b| created.get(b)) {
                *s = id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| resolve(i, created)),
        Value::Object(m) => m.values_mut().for_each(|i| resolve(i, created)),
        _ => {}
    }
}

/// A reference the request cannot resolve (RFC 7644 §3.7.1: 409).
fn conflict(detail: impl Into<String>) -> ScimError {
    ScimError {
        status: 409,
        ..ScimError::new(ScimType::InvalidValue, detail)
    }
}

/// The members of a group's data (`members`, named in any case).
fn members_of(data: &mut Value) -> Option<&mut Vec<Value>> {
    let m = data.as_object_mut()?;
    let key = crate::scim::names::key_of(m, "members")?;
    m.get_mut(&key)?.as_array_mut()
}

/// Whether `op` creates a group whose only references not yet created are members.
fn members_only(op: &Operation, created: &HashMap<String, String>) -> bool {
    if op.method != Method::Post || !op.path.eq_ignore_ascii_case("/Groups") {
        return false;
    }
    let Some(mut rest) = op.data.clone() else {
        return false;
    };
    if let Some(members) = members_of(&mut rest) {
        members.clear();
    }
    let mut elsewhere = HashSet::new();
    references(&rest, &mut elsewhere);
    elsewhere.iter().all(|b| created.contains_key(b))
}

/// Take out of `op`'s members those naming resources not yet created; they are returned.
fn defer_members(op: &mut Operation, created: &HashMap<String, String>) -> Vec<Value> {
    let Some(members) = op.data.as_mut().and_then(members_of) else {
        return Vec::new();
    };
    let (later, now): (Vec<Value>, Vec<Value>) = members.drain(..).partition(|m| {
        let mut refs = HashSet::new();
        references(m, &mut refs);
        refs.iter().any(|b| !created.contains_key(b))
    });
    *members = now;
    op.needs.retain(|b| created.contains_key(b));
    later
}

/// How many operations the BulkRequest `body` holds, or why it is refused (the fuzz
/// target's entry: `internal::fuzz_scim_filter`).
pub(crate) fn count_operations(body: &[u8], max_operations: usize) -> Result<usize, ScimError> {
    parse(body, max_operations).map(|(ops, _)| ops.len())
}

/// The operations of a BulkRequest body, and its `failOnErrors`.
fn parse(body: &[u8], max_operations: usize) -> Result<(Vec<Operation>, Option<usize>), ScimError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| syntax(format!("the body is not JSON: {e}")))?;
    let m = crate::scim::message(&v, BULK_REQUEST)?;
    let fail_on_errors = match crate::scim::names::member_of(m, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(n) => Some(
            n.as_u64()
                .filter(|n| *n >= 1)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| syntax("`failOnErrors` is a positive integer"))?,
        ),
    };
    let ops = crate::scim::names::member_of(m, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| syntax("`Operations` must list the operations"))?;
    if ops.len() > max_operations {
        return Err(ScimError::status(
            413,
            format!("a Bulk request may hold at most {max_operations} operations"),
        ));
    }
    let mut out = Vec::with_capacity(ops.len());
    let mut bulk_ids = HashSet::new();
    for op in ops {
        let o = op
            .as_object()
            .ok_or_else(|| syntax("each operation is an object"))?;
        let text = |k: &str| -> Result<Option<String>, ScimError> {
            match crate::scim::names::member_of(o, k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(syntax(format!("an operation's `{k}` is a string"))),
            }
        };
        let method_name = text("method")?
            .ok_or_else(|| syntax("each operation needs its `method`"))?
            .to_ascii_uppercase();
        let method = match method_name.as_str() {
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            other => return Err(syntax(format!("`{other}` is not a Bulk method"))),
        };
        let path = text("path")?.ok_or_else(|| syntax("each operation needs its `path`"))?;
        let bulk_id = text("bulkId")?;
        if method == Method::Post && bulk_id.is_none() {
            return Err(syntax(
                "a POST operation needs its `bulkId` (RFC 7644 §3.7)",
            ));
        }
        if let Some(b) = &bulk_id
            && !bulk_ids.insert(b.clone())
        {
            return Err(syntax(format!("bulkId `{b}` is given twice")));
        }
        let data = crate::scim::names::member_of(o, "data").cloned();
        let mut needs = HashSet::new();
        if let Some(b) = path_reference(&path) {
            needs.insert(b.to_owned());
        }
        if let Some(d) = &data {
            references(d, &mut needs);
        }
        out.push(Operation {
            method,
            method_name,
            bulk_id,
            version: text("version")?,
            path,
            data,
            needs,
            prehashed: None,
        });
    }
    Ok((out, fail_on_errors))
}

impl ScimServer {
    /// POST `/Bulk` (the caller holds the bulk scope).
    pub(super) async fn bulk(&self, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
        let limits = &self.services.config().scim_configuration;
        if req.body.len() > limits.bulk_max_payload_size {
            return Err(ScimError::status(
                413,
                format!(
                    "a Bulk request may be at most {} bytes",
                    limits.bulk_max_payload_size
                ),
            )
            .into());
        }
        let (mut ops, fail_on_errors) = parse(&req.body, limits.bulk_max_operations)?;
        self.prehash(&mut ops, ctx).await;
        let defined: HashSet<String> = ops.iter().filter_map(|o| o.bulk_id.clone()).collect();
        let mut created: HashMap<String, String> = HashMap::new();
        let mut failed_ids: HashSet<String> = HashSet::new();
        let mut pending: Vec<Operation> = ops;
        let mut results = Vec::new();
        let mut errors = 0;
        // Groups created without members of a cycle: (their entry, bulkId, the members).
        let mut deferred: Vec<(usize, Option<String>, Vec<Value>)> = Vec::new();
        'run: while !pending.is_empty() {
            // The first operation whose references all exist, or cannot ever.
            let ready = pending.iter().position(|o| {
                o.needs.iter().all(|b| {
                    created.contains_key(b) || failed_ids.contains(b) || !defined.contains(b)
                })
            });
            let (op, outcome) = match ready {
                Some(i) => {
                    let op = pending.remove(i);
                    let unresolved: Vec<&String> = op
                        .needs
                        .iter()
                        .filter(|b| !created.contains_key(*b))
                        .collect();
                    let outcome = if let Some(b) = unresolved.first() {
                        Err(conflict(format!(
                            "bulkId `{b}` names no resource created in this request"
                        )))
                    } else {
                        self.bulk_operation(&op, &created, ctx).await?
                    };
                    (op, outcome)
                }
                None => {
                    // Every operation left waits on another: a cycle of references. A group
                    // whose only unresolved references are members is created without them,
                    // and they are added once created (§3.7.1: the cycle is resolved).
                    match pending.iter().position(|o| members_only(o, &created)) {
                        Some(i) => {
                            let mut op = pending.remove(i);
                            let later = defer_members(&mut op, &created);
                            let outcome = self.bulk_operation(&op, &created, ctx).await?;
                            if outcome.is_ok() {
                                deferred.push((results.len(), op.bulk_id.clone(), later));
                            }
                            (op, outcome)
                        }
                        None => {
                            let op = pending.remove(0);
                            let outcome =
                                Err(conflict("the operation's bulkId references form a cycle"));
                            (op, outcome)
                        }
                    }
                }
            };
            let mut entry = Map::new();
            entry.insert("method".into(), op.method_name.clone().into());
            if let Some(b) = &op.bulk_id {
                entry.insert("bulkId".into(), b.clone().into());
            }
            match outcome {
                Ok((status, resource)) => {
                    if let Some(r) = &resource {
                        for (k, p) in [("location", "/meta/location"), ("version", "/meta/version")]
                        {
                            if let Some(v) = r.pointer(p) {
                                entry.insert(k.into(), v.clone());
                            }
                        }
                        if let (Some(b), Some(id)) =
                            (&op.bulk_id, r.get("id").and_then(Value::as_str))
                        {
                            created.insert(b.clone(), id.to_owned());
                        }
                    }
                    entry.insert("status".into(), status.to_string().into());
                }
                Err(e) => {
                    if let Some(b) = &op.bulk_id {
                        failed_ids.insert(b.clone());
                    }
                    entry.insert("status".into(), e.status.to_string().into());
                    entry.insert("response".into(), e.to_json());
                    errors += 1;
                }
            }
            results.push(Value::Object(entry));
            if fail_on_errors.is_some_and(|n| errors >= n) {
                break 'run;
            }
        }
        for (entry, bulk_id, members) in deferred {
            let Some(id) = bulk_id.and_then(|b| created.get(&b).cloned()) else {
                continue;
            };
            let mut members = Value::Array(members);
            resolve(&mut members, &created);
            let mut req = Request::new(ScimEndpoint::Group(id.clone()), Method::Patch);
            req.body = serde_json::to_vec(&json!({
                "schemas": [crate::scim::patch::PATCH_OP],
                "Operations": [{"op": "add", "path": "members", "value": members}],
            }))
            .map_err(|e| Error::Internal(e.to_string()))?;
            let done = self.modify(Kind::Group, &id, &req, ctx, None).await;
            let failure = match done {
                Ok(r) => match r.body {
                    Body::Scim(_, v) => {
                        if let Some(e) = results.get_mut(entry).and_then(Value::as_object_mut)
                            && let Some(version) = v.pointer("/meta/version")
                        {
                            e.insert("version".into(), version.clone());
                        }
                        None
                    }
                    Body::Error(crate::error::ProtocolError::Scim(e)) => Some(e),
                    _ => None,
                },
                Err(e) if e.to_scim().status < 500 => Some(e.to_scim()),
                Err(e) => return Err(e),
            };
            if let (Some(e), Some(slot)) = (
                failure,
                results.get_mut(entry).and_then(Value::as_object_mut),
            ) {
                slot.insert("status".into(), e.status.to_string().into());
                slot.insert("response".into(), e.to_json());
            }
        }
        Ok(Response::with_body(Body::Scim(
            200,
            json!({"schemas": [BULK_RESPONSE], "Operations": results}),
        )))
    }

    /// Run one operation, its references resolved: its status and resource, or its refusal.
    /// A failure of the server (not of the operation) fails the whole request.
    /// Hash the passwords the operations give users (`POST`/`PUT` under `/Users`) before
    /// they run, as many at once as the pool has workers: a Bulk import's hashes run side by
    /// side on every core instead of one after the other, and never queue more than the
    /// workers ahead of a sign-in. An operation whose password cannot be hashed here (its
    /// length) hashes it itself and fails as it would alone.
    async fn prehash(&self, ops: &mut [Operation], ctx: &Ctx) {
        let wanted: Vec<(usize, String)> = ops
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                matches!(o.method, Method::Post | Method::Put) && o.path.starts_with("/Users")
            })
            .filter_map(|(i, o)| {
                let password = o.data.as_ref()?.as_object()?;
                let password = crate::scim::names::member_of(password, "password")?.as_str()?;
                Some((i, password.to_owned()))
            })
            .collect();
        let at_once = self.services.hasher().workers();
        let hashed = crate::concurrent::join_bounded(
            wanted
                .iter()
                .map(|(_, p)| self.services.hash_password(p, ctx))
                .collect(),
            at_once,
        )
        .await;
        for ((i, password), phc) in wanted.into_iter().zip(hashed) {
            if let (Ok(phc), Some(op)) = (phc, ops.get_mut(i)) {
                op.prehashed = Some(Prehashed { password, phc });
            }
        }
    }

    async fn bulk_operation(
        &self,
        op: &Operation,
        created: &HashMap<String, String>,
        ctx: &Ctx,
    ) -> Result<Result<(u16, Option<Value>), ScimError>, Error> {
        let resolved = path_reference(&op.path).and_then(|b| created.get(b));
        let path = match (op.path.rsplit_once('/'), resolved) {
            (Some((prefix, _)), Some(id)) => format!("{prefix}/{id}"),
            _ => op.path.clone(),
        };
        let endpoint = paths::from_path(&format!("{}{path}", paths::SCIM_PREFIX));
        let endpoint = match (endpoint, op.method) {
            (Some(e @ (ScimEndpoint::Users | ScimEndpoint::Groups)), Method::Post) => e,
            (Some(e @ (ScimEndpoint::User(_) | ScimEndpoint::Group(_))), m)
                if m != Method::Post =>
            {
                e
            }
            _ => {
                return Ok(Err(ScimError::new(
                    ScimType::InvalidPath,
                    format!("{} cannot be sent to `{path}`", op.method_name),
                )));
            }
        };
        let mut req = Request::new(endpoint.clone(), op.method);
        if let Some(d) = &op.data {
            let mut d = d.clone();
            resolve(&mut d, created);
            req.body = serde_json::to_vec(&d).map_err(|e| Error::Internal(e.to_string()))?;
        }
        if req.body.len() > super::MAX_BODY {
            return Ok(Err(ScimError::status(
                413,
                "an operation's data is over 1 MiB",
            )));
        }
        req.if_match = op.version.clone();
        let kind = Kind::of(&endpoint);
        let outcome = match (&endpoint, op.method) {
            (ScimEndpoint::User(id) | ScimEndpoint::Group(id), Method::Delete) => {
                self.delete(kind, id, &req).await
            }
            (ScimEndpoint::User(id) | ScimEndpoint::Group(id), _) => {
                self.modify(kind, id, &req, ctx, op.prehashed.as_ref())
                    .await
            }
            _ => self.create(kind, &req, ctx, op.prehashed.as_ref()).await,
        };
        match outcome {
            Ok(r) => match r.body {
                Body::Scim(status, v) => Ok(Ok((status, Some(v)))),
                Body::Error(crate::error::ProtocolError::Scim(e)) => Ok(Err(e)),
                other => Ok(Ok((
                    if matches!(other, Body::NoContent) {
                        204
                    } else {
                        200
                    },
                    None,
                ))),
            },
            Err(e) => {
                let scim = e.to_scim();
                if scim.status >= 500 {
                    return Err(e);
                }
                Ok(Err(scim))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_found_and_resolved() {
        let mut v =
            json!({"members": [{"value": "bulkId:qwerty"}, {"value": "x"}], "n": "bulkId:"});
        let mut found = HashSet::new();
        references(&v, &mut found);
        assert_eq!(path_reference("/Users/bulkId:qwerty"), Some("qwerty"));
        assert_eq!(path_reference("/Users/2819c223"), None);
        assert_eq!(found, HashSet::from(["qwerty".to_owned(), String::new()]));
        resolve(
            &mut v,
            &HashMap::from([("qwerty".to_owned(), "u-1".to_owned())]),
        );
        assert_eq!(v["members"][0]["value"], "u-1");
        assert_eq!(v["n"], "bulkId:", "unknown ids stay");
    }

    #[test]
    fn request_shape() {
        let ok = |v: Value| parse(&serde_json::to_vec(&v).unwrap(), 3);
        let op = json!({"method": "post", "path": "/Users", "bulkId": "a", "data": {}});
        let (ops, fail) =
            ok(json!({"schemas": [BULK_REQUEST], "failOnErrors": 1, "Operations": [op]})).unwrap();
        assert_eq!((ops.len(), fail), (1, Some(1)));
        assert_eq!(ops[0].method, Method::Post);
        for (bad, status) in [
            (json!({"Operations": []}), 400),
            (json!({"schemas": [BULK_REQUEST]}), 400),
            (
                json!({"schemas": [BULK_REQUEST], "failOnErrors": 0, "Operations": []}),
                400,
            ),
            (
                json!({"schemas": [BULK_REQUEST], "Operations": [op, op]}),
                400,
            ),
            (
                json!({"schemas": [BULK_REQUEST], "Operations": [{"method": "POST", "path": "/Users"}]}),
                400,
            ),
            (
                json!({"schemas": [BULK_REQUEST], "Operations": [{"method": "GET", "path": "/Users"}]}),
                400,
            ),
            (
                json!({"schemas": [BULK_REQUEST], "Operations": [{"path": "/Users"}]}),
                400,
            ),
            (
                json!({"schemas": [BULK_REQUEST], "Operations": [1, 2, 3, 4]}),
                413,
            ),
        ] {
            assert_eq!(ok(bad.clone()).unwrap_err().status, status, "{bad}");
        }
    }
}
