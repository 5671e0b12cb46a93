//! What this process serves, and how it logs, through the config API:
//! `health/service-status` (Janssen's: each of Janssen's services `Running` when this
//! process serves it, `Not present` otherwise; `?service=` one of them) and `logging`
//! (Janssen's `Logging`: `loggingLevel`, in the stored configuration, which the host applies
//! on every node at its next tick; Janssen's other logging members, for its Java loggers,
//! accepted only empty).

use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::request::Request;
use crate::services::Services;

use super::json_patch::Op;
use super::protection::Caller;

/// Janssen's services, each with the component of ours that is it (none: not built here).
const SERVICES: [(&str, Option<&str>); 8] = [
    ("jans-auth", Some("auth")),
    ("jans-config-api", Some("config-api")),
    ("jans-casa", Some("casa")),
    ("jans-fido2", Some("fido2")),
    ("jans-scim", Some("scim")),
    ("jans-link", None),
    ("jans-lock", None),
    ("jans-saml", Some("saml")),
];

/// `GET health/service-status`.
pub(super) fn status(services: &Services, req: &Request) -> Result<Value, Error> {
    let wanted = super::list::param(req, "service")?.unwrap_or_else(|| "all".to_owned());
    if wanted != "all" && !SERVICES.iter().any(|(n, _)| *n == wanted) {
        let names: Vec<&str> = SERVICES.iter().map(|(n, _)| *n).collect();
        return Err(AdminError::new(
            400,
            format!(
                "service is all or one of {}, not {wanted:?}",
                names.join(", ")
            ),
        )
        .into());
    }
    let served = services.served();
    let mut out = Map::new();
    for (name, ours) in SERVICES {
        if wanted != "all" && wanted != name {
            continue;
        }
        let running = ours.is_some_and(|c| served.iter().any(|s| s == c));
        out.insert(
            name.into(),
            if running { "Running" } else { "Not present" }.into(),
        );
    }
    Ok(Value::Object(out))
}

/// `GET logging`.
pub(super) fn logging(services: &Services) -> Value {
    json!({"loggingLevel": services.config().logging_level})
}

/// `PUT logging`: the level set in the stored configuration; the logging after.
pub(super) async fn set_logging(
    services: &Services,
    caller: &Caller,
    req: &Request,
    ctx: &Ctx,
) -> Result<Value, Error> {
    let v = super::body(req)?;
    let Value::Object(m) = &v else {
        return Err(AdminError::new(400, "a Logging is a JSON object").into());
    };
    let mut level = None;
    for (key, value) in m {
        match (key.as_str(), value) {
            ("loggingLevel", Value::String(l)) => level = Some(l.clone()),
            ("loggingLevel", _) => {
                return Err(AdminError::new(
                    400,
                    format!(
                        "loggingLevel is one of {}",
                        crate::config::LOGGING_LEVELS.join(", ")
                    ),
                )
                .into());
            }
            // Janssen's settings of its Java loggers: nothing to set here.
            (_, Value::Null | Value::Bool(false)) => {}
            (_, Value::String(s)) if s.is_empty() => {}
            (_, Value::Array(a)) if a.is_empty() => {}
            (other, _) => {
                return Err(AdminError::new(
                    400,
                    format!("{other} is not a logging setting of this server"),
                )
                .into());
            }
        }
    }
    if let Some(level) = level {
        let ops = [Op::Add(vec!["loggingLevel".into()], Value::String(level))];
        super::auth_config::apply(services, caller, ctx, &ops, ("logging", &v)).await?;
    }
    Ok(logging(services))
}
