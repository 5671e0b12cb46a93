//! The audit log of management writes (issue 14 item 3): every write through the config
//! API, or through a component's own admin routes, recorded as a log line (target
//! `jans::audit`, always first) and an entry of the collection `audit`, which the config
//! API's `GET audit` reads. Values under secret or password names are redacted.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ctx::Ctx;
use crate::repo::collection::Collection;
use crate::services::Services;

use super::protection::Caller;

/// The collection of audit entries; ids start with the time, so they list in time order.
pub const COLLECTION: &str = "audit";
/// What replaces a secret.
const REDACTED: &str = "[redacted]";

/// One write through the config API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// When (Unix seconds).
    pub at: u64,
    /// The request's id.
    pub request_id: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// The user who granted the token, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The resource written (`scopes`, ...).
    pub resource: String,
    /// Its id there.
    pub resource_id: String,
    /// `create`, `replace`, `patch` or `delete`.
    pub operation: String,
    /// The JSON Patch of a `patch`, secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<Value>,
}

/// Whether a member or pointer token names a secret.
fn secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("secret") || n.contains("password")
}

/// `patch` with the values written under secret names replaced, and any secret member of
/// a value written whole.
pub fn redact(patch: &Value) -> Value {
    fn scrub(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, v) in m.iter_mut() {
                    if secret(k) {
                        *v = Value::String(REDACTED.into());
                    } else {
                        scrub(v);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(scrub),
            _ => {}
        }
    }
    let mut out = patch.clone();
    if let Value::Array(ops) = &mut out {
        for op in ops.iter_mut().filter_map(Value::as_object_mut) {
            let named = ["path", "from"].iter().any(|k| {
                op.get(*k)
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.split('/').any(secret))
            });
            if let Some(v) = op.get_mut("value") {
                if named {
                    *v = Value::String(REDACTED.into());
                } else {
                    scrub(v);
                }
            }
        }
    } else {
        scrub(&mut out);
    }
    out
}

/// The stored entries.
pub fn log(services: &Services) -> Collection<Entry> {
    Collection::new(services.stores().documents.clone(), COLLECTION)
}

/// Record a write: the log line first (it is never lost), then the entry.
pub async fn record(
    services: &Services,
    caller: &Caller,
    ctx: &Ctx,
    (resource, resource_id, operation): (&str, &str, &str),
    patch: Option<&Value>,
) {
    let entry = Entry {
        at: ctx.now,
        request_id: ctx.request_id.clone(),
        client_id: caller.client_id.clone(),
        user: caller.subject.clone(),
        resource: resource.to_owned(),
        resource_id: resource_id.to_owned(),
        operation: operation.to_owned(),
        patch: patch.map(redact),
    };
    tracing::info!(
        target: "jans::audit",
        request_id = %entry.request_id,
        client_id = %entry.client_id,
        user = entry.user.as_deref().unwrap_or("-"),
        resource,
        resource_id,
        operation,
        patch = %entry.patch.as_ref().map(|p| p.to_string()).unwrap_or_default(),
        "config API write"
    );
    let mut raw = [0u8; 6];
    ctx.rng.fill(&mut raw);
    let id = format!(
        "{:020}-{}",
        ctx.now,
        raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    if let Err(e) = log(services).insert(&id, &entry, &[]).await {
        tracing::error!(request_id = %entry.request_id, error = %e, "the audit entry was not stored");
    }
}
