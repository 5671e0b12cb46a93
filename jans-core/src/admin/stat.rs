//! Usage statistics through the config API (Janssen's `stat`): for each month asked, the
//! monthly active users and the tokens issued per grant type and token type, from the
//! counters the engine keeps ([`crate::repo::stat`]):
//!
//! ```json
//! [{"month": 202612, "monthly_active_users": 2,
//!   "token_count_per_granttype": {"authorization_code": {"access_token": 3, "id_token": 3}}}]
//! ```
//!
//! The months are `month` (one `YYYYMM`, or several separated by spaces or commas) or the
//! range `start_month` to `end_month` (both included); neither means this month. At most
//! [`KEPT_MONTHS`] months are asked at once (what is kept). `format` is `json` (Janssen's
//! `openmetrics` text is not served: a 400 says so).

use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::repo::stat::{KEPT_MONTHS, Month};
use crate::request::Request;
use crate::services::Services;

use super::list::raw;

fn month(name: &str, v: &str) -> Result<Month, AdminError> {
    Month::parse(v).ok_or_else(|| {
        AdminError::new(
            400,
            format!("{name} is a month as YYYYMM (202612), not {v:?}"),
        )
    })
}

/// The months `req` asks for, in order, without repeats.
fn months(req: &Request, ctx: &Ctx) -> Result<Vec<Month>, AdminError> {
    // Typed parameters: given empty is not absent.
    let listed = raw(req, "month")?;
    let (start, end) = (raw(req, "start_month")?, raw(req, "end_month")?);
    let mut out = match (listed, start, end) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(AdminError::new(
                400,
                "month, or start_month with end_month: not both",
            ));
        }
        (Some(list), None, None) => {
            let months = list
                .split([' ', ','])
                .filter(|m| !m.is_empty())
                .map(|m| month("month", m))
                .collect::<Result<Vec<_>, _>>()?;
            if months.is_empty() {
                return Err(AdminError::new(400, "month names no month (YYYYMM)"));
            }
            months
        }
        (None, Some(s), Some(e)) => {
            let (s, e) = (month("start_month", &s)?, month("end_month", &e)?);
            if s > e {
                return Err(AdminError::new(400, "start_month is after end_month"));
            }
            let mut range = vec![s];
            while let Some(last) = range.last().copied()
                && last < e
                && range.len() <= KEPT_MONTHS as usize
            {
                range.push(last.next());
            }
            range
        }
        (None, None, None) => vec![Month::of(ctx.now)],
        (None, _, _) => {
            return Err(AdminError::new(
                400,
                "start_month and end_month go together",
            ));
        }
    };
    out.sort();
    out.dedup();
    if out.len() > KEPT_MONTHS as usize {
        return Err(AdminError::new(
            400,
            format!("at most {KEPT_MONTHS} months at once (what is kept)"),
        ));
    }
    Ok(out)
}

/// `GET stat`.
pub(super) async fn read(services: &Services, req: &Request, ctx: &Ctx) -> Result<Value, Error> {
    match raw(req, "format")?.as_deref() {
        None | Some("json") => {}
        Some(other) => {
            return Err(AdminError::new(400, format!("format is json here, not {other:?}")).into());
        }
    }
    let months = months(req, ctx)?;
    let stats = &services.stores().stats;
    // What this node counted since its last tick, so the answer is current here.
    if let Err(e) = stats.flush(ctx.now).await {
        tracing::warn!(error = %e, "usage statistics not stored before a read");
    }
    let mut items = Vec::with_capacity(months.len());
    for m in months {
        let figures = stats.month(m, ctx.now).await?;
        let per_grant: Map<String, Value> = figures
            .tokens
            .iter()
            .map(|(grant, counts)| {
                let counts: Map<String, Value> = counts
                    .iter()
                    .map(|(t, n)| ((*t).to_owned(), (*n).into()))
                    .collect();
                ((*grant).to_owned(), Value::Object(counts))
            })
            .collect();
        items.push(json!({
            "month": m.number(),
            "monthly_active_users": figures.active_users,
            "token_count_per_granttype": per_grant,
        }));
    }
    Ok(Value::Array(items))
}
