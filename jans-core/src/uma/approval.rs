//! What policies leave to the resource owner (a permit annotated `@ask_owner`): the UMA
//! grant puts the scopes asked before the owner and answers `request_submitted` (UMA 2.0
//! Grant §3.3.6) with a new ticket and the `interval` to wait; the owner decides through
//! their resource server, with its PAT, at jans-rs's own
//! `/jans-auth/restv1/host/rsrc/requests` (UMA leaves the owner's side to the server;
//! Janssen has none):
//! - `GET requests`: the PAT owner's permission requests (`id`, `resource_id`, `client_id`,
//!   `party`, `asked`, `approved`, `denied`, `iat`);
//! - `GET requests/{id}`: one;
//! - `PUT requests/{id}` with `{"approved": [scope...], "denied": [scope...]}`: the
//!   owner's decisions, each on a scope the request names (else 400 `invalid_scope`).
//!
//! The client's next UMA grant is then decided by them: an approved scope is granted, a
//! denied one refused.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::uma::{UmaError, UmaErrorCode};
use crate::repo::uma_approval::Approval;
use crate::repo::uma_resource::UmaResource;
use crate::request::Request;
use crate::response::Response;
use crate::store::StoreError;
use crate::uma::policy::Subject;

use super::{Protection, UmaServer};

/// Seconds a client is told to wait before asking again (`interval`).
pub const INTERVAL: u64 = 5;

/// Attempts at a compare-and-set that other writers keep winning.
const ATTEMPTS: usize = 5;

fn refused(code: UmaErrorCode, why: impl Into<String>) -> Error {
    UmaError::new(code, why).into()
}

/// The owner's requests of `subject` (through its client) for each resource `asked`.
pub(super) async fn load(
    uma: &UmaServer,
    owner: &str,
    asked: &[(UmaResource, Vec<String>)],
    subject: &Subject,
) -> Result<Vec<Option<Approval>>, Error> {
    let stores = uma.services.stores();
    let mut out = Vec::with_capacity(asked.len());
    for (r, _) in asked {
        let id = Approval::id_of(&r.id, &subject.client_id, &subject.id);
        out.push(stores.uma_approvals.get(owner, &id).await?.map(|(_, a)| a));
    }
    Ok(out)
}

/// Put `scopes` of `resource` before its owner, for `subject` (those already asked or
/// decided stay as they are).
pub(super) async fn submit(
    uma: &UmaServer,
    owner: &str,
    resource: &UmaResource,
    subject: &Subject,
    scopes: &[String],
    ctx: &Ctx,
) -> Result<(), Error> {
    let approvals = &uma.services.stores().uma_approvals;
    let id = Approval::id_of(&resource.id, &subject.client_id, &subject.id);
    for _ in 0..ATTEMPTS {
        let (revision, mut a) = match approvals.get(owner, &id).await? {
            Some((rev, a)) => (Some(rev), a),
            None => (
                None,
                Approval {
                    id: id.clone(),
                    owner: owner.to_owned(),
                    resource_id: resource.id.clone(),
                    client_id: subject.client_id.clone(),
                    party: subject.id.clone(),
                    iat: ctx.now,
                    ..Approval::default()
                },
            ),
        };
        let new: Vec<String> = scopes
            .iter()
            .filter(|s| !a.asked.contains(s) && !a.approved.contains(s) && !a.denied.contains(s))
            .cloned()
            .collect();
        if new.is_empty() && revision.is_some() {
            return Ok(());
        }
        a.asked.extend(new);
        match approvals.put(&a, revision).await {
            Ok(()) => {
                tracing::info!(request_id = %ctx.request_id, resource_id = %resource.id,
                    client_id = %subject.client_id, "UMA permission request put before its owner");
                return Ok(());
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Internal(
        "the permission request kept changing".into(),
    ))
}

/// The request as its owner sees it.
fn shown(a: &Approval) -> Value {
    json!({
        "id": a.id,
        "resource_id": a.resource_id,
        "client_id": a.client_id,
        "party": a.party,
        "asked": a.asked,
        "approved": a.approved,
        "denied": a.denied,
        "iat": a.iat,
    })
}

fn not_found(id: &str) -> Error {
    refused(
        UmaErrorCode::NotFound,
        format!("no permission request {id} for this resource owner"),
    )
}

/// `GET requests`.
pub(super) async fn list(uma: &UmaServer, pat: &Protection) -> Result<Response, Error> {
    let all = uma
        .services
        .stores()
        .uma_approvals
        .of_owner(&pat.owner)
        .await?;
    Ok(Response::json(Value::Array(
        all.iter().map(shown).collect(),
    )))
}

/// `GET requests/{id}`.
pub(super) async fn read(uma: &UmaServer, pat: &Protection, id: &str) -> Result<Response, Error> {
    let (_, a) = uma
        .services
        .stores()
        .uma_approvals
        .get(&pat.owner, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(Response::json(shown(&a)))
}

/// The owner's decisions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Decisions {
    #[serde(default)]
    approved: Vec<String>,
    #[serde(default)]
    denied: Vec<String>,
}

/// `PUT requests/{id}`.
pub(super) async fn decide(
    uma: &UmaServer,
    pat: &Protection,
    id: &str,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let d: Decisions = serde_json::from_slice(&req.body).map_err(|e| {
        refused(
            UmaErrorCode::InvalidRequest,
            format!("the body is {{\"approved\": [scope...], \"denied\": [scope...]}}: {e}"),
        )
    })?;
    if let Some(s) = d.approved.iter().find(|s| d.denied.contains(s)) {
        return Err(refused(
            UmaErrorCode::InvalidRequest,
            format!("{s} is both approved and denied"),
        ));
    }
    let approvals = &uma.services.stores().uma_approvals;
    for _ in 0..ATTEMPTS {
        let (revision, mut a) = approvals
            .get(&pat.owner, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let named =
            |s: &String| a.asked.contains(s) || a.approved.contains(s) || a.denied.contains(s);
        if let Some(s) = d.approved.iter().chain(&d.denied).find(|s| !named(s)) {
            return Err(refused(
                UmaErrorCode::InvalidScope,
                format!("the request does not name the scope {s}"),
            ));
        }
        let decided = |s: &String| d.approved.contains(s) || d.denied.contains(s);
        a.asked.retain(|s| !decided(s));
        a.approved.retain(|s| !d.denied.contains(s));
        a.denied.retain(|s| !d.approved.contains(s));
        for s in &d.approved {
            if !a.approved.contains(s) {
                a.approved.push(s.clone());
            }
        }
        for s in &d.denied {
            if !a.denied.contains(s) {
                a.denied.push(s.clone());
            }
        }
        match approvals.put(&a, Some(revision)).await {
            Ok(()) => {
                tracing::info!(request_id = %ctx.request_id, id, approved = ?d.approved,
                    denied = ?d.denied, "UMA permission request decided by its owner");
                return Ok(Response::json(shown(&a)));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Internal(
        "the permission request kept changing".into(),
    ))
}
