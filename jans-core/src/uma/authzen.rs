//! AuthZEN access evaluation (OpenID AuthZEN Authorization API 1.0) under the
//! auth-server, decided by the same Cedar policies as the UMA grant
//! ([`super::policy::cedar`]), behind Janssen's `access_evaluation` feature flag:
//! - `POST /jans-auth/restv1/access/v1/evaluation` (§6): `{subject, action, resource,
//!   context}` → `{"decision"}`;
//! - `POST /jans-auth/restv1/access/v1/evaluations` (§7): `evaluations[]`, each taking the
//!   top-level members it lacks, with `options.evaluations_semantic` (`execute_all`,
//!   `deny_on_first_deny`, `permit_on_first_permit`) → `{"evaluations": [{"decision"}]}`;
//! - `GET /.well-known/authzen-configuration` (§13): the PDP's metadata.
//!
//! The evaluation endpoints take a bearer token with the scope `access_evaluation`. A
//! question no policy is bound to is denied. The host echoes `X-Request-ID` (§10.1.3).

use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::uma::{UmaError, UmaErrorCode};
use crate::request::{Request, UmaEndpoint};
use crate::response::Response;
use crate::services::Bearer;

use super::UmaServer;
use super::paths::{EVALUATION, EVALUATIONS};
use super::policy::{Policy, Query, Subject, Target, Verdict};

/// The scope a token needs to ask for decisions.
pub const SCOPE: &str = "access_evaluation";

/// Most evaluations in one batch.
pub const MAX_EVALUATIONS: usize = 1000;

/// Longest id, type or action name.
const MAX_NAME: usize = 1024;

fn invalid(why: impl Into<String>) -> Error {
    UmaError::new(UmaErrorCode::InvalidRequest, why).into()
}

/// `/.well-known/authzen-configuration` (§13.1).
pub fn metadata(config: &crate::config::Config) -> Value {
    json!({
        "policy_decision_point": config.issuer,
        "access_evaluation_endpoint": config.endpoint_url(EVALUATION),
        "access_evaluations_endpoint": config.endpoint_url(EVALUATIONS),
        "capabilities": [],
        // Janssen's name for the API's base, kept for its clients.
        "access_evaluation_v1_endpoint": config.endpoint_url("/jans-auth/restv1/access/v1"),
    })
}

/// A string member `name` of `obj` (at `at`), non-empty and bounded.
fn text<'v>(obj: &'v Map<String, Value>, name: &str, at: &str) -> Result<&'v str, Error> {
    match obj.get(name) {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_NAME => Ok(s),
        Some(_) => Err(invalid(format!(
            "{at}.{name} is a string of 1 to {MAX_NAME} bytes"
        ))),
        None => Err(invalid(format!("{at}.{name} is missing"))),
    }
}

/// The optional object member `name` of `obj` (at `at`).
fn object(obj: &Map<String, Value>, name: &str, at: &str) -> Result<Map<String, Value>, Error> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(invalid(format!("{at}.{name} is an object"))),
    }
}

/// One evaluation's question, parsed: who, what, to what, in which context.
#[derive(Debug)]
struct Question {
    subject: Subject,
    action: String,
    resource: Target,
    context: Map<String, Value>,
}

/// The member `name` of `item`, or else of `defaults` (§7.1: the top-level members are
/// the defaults of each evaluation).
fn member<'v>(
    item: &'v Map<String, Value>,
    defaults: &'v Map<String, Value>,
    name: &str,
) -> Option<&'v Value> {
    item.get(name)
        .filter(|v| !v.is_null())
        .or_else(|| defaults.get(name).filter(|v| !v.is_null()))
}

fn entity<'v>(v: Option<&'v Value>, at: &str) -> Result<&'v Map<String, Value>, Error> {
    match v {
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(invalid(format!("{at} is an object"))),
        None => Err(invalid(format!("{at} is missing"))),
    }
}

fn question(
    item: &Map<String, Value>,
    defaults: &Map<String, Value>,
    at: &str,
) -> Result<Question, Error> {
    let s = entity(member(item, defaults, "subject"), &format!("{at}subject"))?;
    let a = entity(member(item, defaults, "action"), &format!("{at}action"))?;
    let r = entity(member(item, defaults, "resource"), &format!("{at}resource"))?;
    let context = match member(item, defaults, "context") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(invalid(format!("{at}context is an object"))),
    };
    let sat = format!("{at}subject");
    let rat = format!("{at}resource");
    Ok(Question {
        subject: Subject {
            id: text(s, "id", &sat)?.to_owned(),
            kind: text(s, "type", &sat)?.to_owned(),
            claims: object(s, "properties", &sat)?,
            client_id: String::new(),
        },
        action: text(a, "name", &format!("{at}action"))?.to_owned(),
        resource: Target {
            id: text(r, "id", &rat)?.to_owned(),
            kind: text(r, "type", &rat)?.to_owned(),
            owner: String::new(),
            name: String::new(),
            scopes: Vec::new(),
            properties: object(r, "properties", &rat)?,
        },
        context,
    })
}

/// The decision on `q`: only a permit allows.
fn decide(policies: &dyn Policy, q: &Question, ctx: &Ctx) -> bool {
    let verdict = policies.decide(&Query {
        subject: &q.subject,
        action: &q.action,
        resource: &q.resource,
        context: &q.context,
    });
    tracing::info!(
        request_id = %ctx.request_id,
        subject = %q.subject.id,
        action = %q.action,
        resource = %q.resource.id,
        verdict = ?verdict,
        "AuthZEN decision"
    );
    verdict == Verdict::Permit
}

fn body(req: &Request) -> Result<Map<String, Value>, Error> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(invalid("the body is a JSON object")),
        Err(e) => Err(invalid(format!("the body is not JSON: {e}"))),
    }
}

/// `POST evaluation`.
fn evaluation(uma: &UmaServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    let b = body(req)?;
    let q = question(&b, &Map::new(), "")?;
    let policies = uma.policies();
    Ok(Response::json(json!({
        "decision": decide(policies.as_ref(), &q, ctx)
    })))
}

/// How a batch stops (§7.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Semantic {
    ExecuteAll,
    DenyOnFirstDeny,
    PermitOnFirstPermit,
}

/// `POST evaluations`.
fn evaluations(uma: &UmaServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    let b = body(req)?;
    let items = match b.get("evaluations") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(_) => return Err(invalid("evaluations is an array")),
    };
    if items.is_empty() {
        // §7.1: without evaluations the request is one evaluation.
        return evaluation(uma, req, ctx);
    }
    if items.len() > MAX_EVALUATIONS {
        return Err(invalid(format!("at most {MAX_EVALUATIONS} evaluations")));
    }
    let options = object(&b, "options", "")?;
    let semantic = match options.get("evaluations_semantic") {
        None | Some(Value::Null) => Semantic::ExecuteAll,
        Some(Value::String(s)) if s == "execute_all" => Semantic::ExecuteAll,
        Some(Value::String(s)) if s == "deny_on_first_deny" => Semantic::DenyOnFirstDeny,
        Some(Value::String(s)) if s == "permit_on_first_permit" => Semantic::PermitOnFirstPermit,
        Some(_) => {
            return Err(invalid(
                "options.evaluations_semantic is execute_all, deny_on_first_deny or permit_on_first_permit",
            ));
        }
    };
    // Every evaluation is checked before any is decided: a malformed one refuses the batch.
    let questions = items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(m) => question(m, &b, &format!("evaluations[{i}].")),
            _ => Err(invalid(format!("evaluations[{i}] is an object"))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let policies = uma.policies();
    let mut out = Vec::with_capacity(questions.len());
    for q in &questions {
        let decision = decide(policies.as_ref(), q, ctx);
        out.push(json!({"decision": decision}));
        match semantic {
            Semantic::DenyOnFirstDeny if !decision => break,
            Semantic::PermitOnFirstPermit if decision => break,
            _ => {}
        }
    }
    Ok(Response::json(json!({"evaluations": out})))
}

/// Serve one AuthZEN endpoint.
pub(super) async fn handle(
    uma: &UmaServer,
    endpoint: &UmaEndpoint,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let config = uma.services.config();
    if !config.feature_enabled(SCOPE) {
        return Err(UmaError::new(
            UmaErrorCode::NotFound,
            "access evaluation is not enabled on this server (featureFlags)",
        )
        .into());
    }
    let allowed = if *endpoint == UmaEndpoint::AuthzenConfiguration {
        "GET"
    } else {
        "POST"
    };
    if !req.method.is_in(allowed) {
        return Ok(Response::error(UmaError::new(
            UmaErrorCode::UnsupportedMethodType,
            format!("this endpoint answers {allowed}"),
        ))
        .header("allow", allowed));
    }
    if *endpoint == UmaEndpoint::AuthzenConfiguration {
        return Ok(Response::public_json(metadata(&config), 3600));
    }
    match uma.services.bearer(req, ctx).await? {
        Bearer::Missing => {
            return Err(UmaError::no_token("a bearer token is required")
                .scoped(SCOPE)
                .into());
        }
        Bearer::Inactive => {
            return Err(UmaError::new(
                UmaErrorCode::InvalidToken,
                "the token is not a live access token",
            )
            .scoped(SCOPE)
            .into());
        }
        Bearer::Active(t) if !t.scopes.iter().any(|s| s == SCOPE) => {
            return Err(UmaError::new(
                UmaErrorCode::InsufficientScope,
                "the token lacks the access_evaluation scope",
            )
            .scoped(SCOPE)
            .into());
        }
        Bearer::Active(_) => {}
    }
    if *endpoint == UmaEndpoint::Evaluation {
        evaluation(uma, req, ctx)
    } else {
        evaluations(uma, req, ctx)
    }
}
