//! The config API's audit log (issue 14 item 3): every write through the API — who (the
//! token's client and user), what (resource, id, operation, the JSON Patch), when, and the
//! request id — as a structured log line (target `jans::audit`) and as an entry of the
//! `audit` collection, read with `GET audit` (Janssen's `AuditLogResource`: `pattern`,
//! `startIndex`, `limit`, `start_date`, `end_date`; its entries are text, each entry's
//! JSON). Values under a member whose name says secret or password are never logged.

use serde_json::Value;

use crate::error::Error;
use crate::error::admin::AdminError;
use crate::request::Request;
use crate::services::Services;

use crate::management::audit::log;
pub use crate::management::audit::{COLLECTION, Entry, record, redact};

use super::list::{ListParams, param};

/// Most entries one `GET audit` reads (narrow it with `start_date` and `end_date`).
pub const MAX_READ: usize = 100_000;

/// A date as Janssen's audit takes it (`dd-MM-yyyy`, or ISO `yyyy-MM-dd`): the Unix second
/// its day starts at. A day its month does not have is refused.
pub fn date(text: &str) -> Option<u64> {
    let iso = match text.split('-').collect::<Vec<_>>().as_slice() {
        [d, m, y] if d.len() == 2 && m.len() == 2 && y.len() == 4 => format!("{y}-{m}-{d}"),
        _ => text.to_owned(),
    };
    let t = crate::ctx::parse_date(&iso)?;
    // 31-02 would roll over into March: only a date that reads back the same is one.
    (crate::ctx::format_date(t) == iso).then_some(t)
}

/// `GET audit`: the entries between the dates, paged as Janssen's lists are.
pub async fn read(services: &Services, req: &Request) -> Result<Value, Error> {
    let params = ListParams::parse(req, "at")?;
    let bound = |name: &str| -> Result<Option<u64>, AdminError> {
        match param(req, name)? {
            None => Ok(None),
            Some(t) => date(&t).map(Some).ok_or_else(|| {
                AdminError::new(400, format!("{name} is a date (dd-MM-yyyy), not {t:?}"))
            }),
        }
    };
    let from = bound("start_date")?.unwrap_or(0);
    let to = bound("end_date")?.map_or(u64::MAX, |d| d.saturating_add(86_399));
    let audit = log(services);
    let mut entries = Vec::new();
    let mut after = (from > 0).then(|| format!("{:020}", from - 1));
    'pages: loop {
        let (page, next) = audit.page(after.as_deref(), 500).await?;
        for e in page {
            if e.at > to {
                break 'pages;
            }
            if e.at >= from {
                if entries.len() >= MAX_READ {
                    return Err(AdminError::new(
                        400,
                        format!("more than {MAX_READ} entries: narrow start_date and end_date"),
                    )
                    .into());
                }
                entries.push(serde_json::to_value(&e).map_err(|e| Error::Internal(e.to_string()))?);
            }
        }
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let mut paged = params.page(
        entries,
        &[
            "resource",
            "resourceId",
            "operation",
            "clientId",
            "user",
            "requestId",
        ],
    );
    // Janssen's entries are lines of text: each entry's JSON.
    if let Some(list) = paged.get_mut("entries").and_then(Value::as_array_mut) {
        for e in list.iter_mut() {
            *e = Value::String(e.to_string());
        }
    }
    Ok(paged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_never_recorded() {
        let patch = json!([
            {"op": "replace", "path": "/clientSecret", "value": "s3cr3t"},
            {"op": "add", "path": "/users/0/password", "value": "hunter2"},
            {"op": "add", "path": "/attrs", "value": {"name": "x", "client_secret": "s", "nested": [{"userPassword": "p"}]}},
            {"op": "replace", "path": "/description", "value": "kept"},
        ]);
        let text = redact(&patch).to_string();
        for secret in ["s3cr3t", "hunter2", "\"s\"", "\"p\""] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("kept"));
        assert_eq!(redact(&patch)[0]["value"], "[redacted]");
    }

    #[test]
    fn dates_in_janssens_forms() {
        assert_eq!(date("01-01-1970"), Some(0));
        assert_eq!(date("1970-01-02"), Some(86_400));
        assert_eq!(date("29-02-2024"), Some(1_709_164_800));
        assert_eq!(date("2026-12-01"), Some(1_796_083_200));
        for bad in [
            "29-02-2023",
            "32-01-2024",
            "2024-13-01",
            "1-2",
            "aa-bb-cccc",
            "",
            "01-01-1969",
            "+1-01-2024",
        ] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }
}
