//! The UMA grant (`urn:ietf:params:oauth:grant-type:uma-ticket`, UMA 2.0 Grant §3.3.1)
//! at the auth-server's token endpoint, which hands it over through
//! [`crate::services::TokenGrant`] once the client is authenticated.
//!
//! Load: the ticket (read, not yet taken), the PCT and the RPT to upgrade, the ticket's
//! resources; the pushed claim token is verified. Decide: every scope of every
//! permission is put to the policies ([`super::policy`]). Commit: the ticket is taken
//! (once: a racing redemption gets `invalid_grant`), then the answer is an RPT with the
//! permissions granted and a PCT (§3.3.5), `need_info` with a new ticket and the claims
//! the policies need, `request_submitted` while the resource owner has not decided what a
//! policy left to them ([`super::approval`]), or `request_denied` (§3.3.6). A request
//! refused before the commit (a malformed parameter, a bad claim token, an unknown scope)
//! leaves the ticket usable.

use serde_json::{Map, Value, json};

use crate::config::UMA_TICKET_GRANT;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::uma::{UmaError, UmaErrorCode};
use crate::params::Params;
use crate::repo::client::Client;
use crate::repo::stat::TokenType;
use crate::repo::uma_approval::Approval;
use crate::repo::uma_resource::UmaResource;
use crate::repo::uma_ticket::{Permission, Ticket};
use crate::repo::uma_token::{Pct, Rpt, RptPermission};
use crate::response::Response;
use crate::uma::policy::{Policy, Query, Subject, Target, Verdict};
use crate::uma::scope_expression::ScopeExpression;

use super::UmaServer;
use super::{approval, claims};

/// Most scopes the `scope` parameter adds.
const MAX_SCOPES: usize = 100;

fn refused(code: UmaErrorCode, why: impl Into<String>) -> Error {
    UmaError::new(code, why).into()
}

/// What the policies answered on one request.
#[derive(Debug, Default)]
struct Outcome {
    /// The permissions granted.
    granted: Vec<RptPermission>,
    /// Claims the policies need that the party has not presented.
    missing: Vec<String>,
    /// Scopes left to the resource owner, not yet decided by them: per resource asked
    /// (its index), the scopes.
    pending: Vec<(usize, Vec<String>)>,
}

/// The resources a ticket asks about, each with the scopes asked (the ticket's, plus the
/// `scope` parameter's that the resource was registered with).
type Asked = Vec<(UmaResource, Vec<String>)>;

/// Put every scope asked to the policies (a resource's `scope_expression` over the Cedar
/// policies when it has one).
fn decide(
    uma: &UmaServer,
    subject: &Subject,
    owner: &str,
    asked: &Asked,
    approvals: &[Option<Approval>],
    ctx: &Ctx,
) -> Outcome {
    let config = uma.services.config();
    let if_none = config.uma_grant_access_if_no_policies;
    let policies = uma.policies();
    let context = Map::new();
    let mut out = Outcome::default();
    for (i, (resource, scopes)) in asked.iter().enumerate() {
        let approval = approvals.get(i).and_then(Option::as_ref);
        let mut waiting = Vec::new();
        let target = Target {
            id: resource.id.clone(),
            kind: resource.kind.clone().unwrap_or_default(),
            owner: resource.owner_id.clone(),
            name: resource.name.clone().unwrap_or_default(),
            scopes: resource.resource_scopes.clone(),
            properties: Map::new(),
        };
        let expression = resource
            .scope_expression
            .as_ref()
            .and_then(|e| ScopeExpression::new(e, policies.as_ref(), if_none));
        let policy: &dyn Policy = match &expression {
            Some(e) => e,
            None => policies.as_ref(),
        };
        let mut ok = Vec::new();
        for scope in scopes {
            let verdict = policy.decide(&Query {
                subject,
                action: scope,
                resource: &target,
                context: &context,
            });
            tracing::info!(
                request_id = %ctx.request_id,
                client_id = %subject.client_id,
                resource_id = %resource.id,
                scope = %scope,
                verdict = ?verdict,
                "UMA policy decision"
            );
            match verdict {
                Verdict::NeedInfo(c) => out.missing.extend(c),
                // Left to the owner: as they decided, or waiting for them.
                Verdict::AskOwner => match approval {
                    Some(a) if a.approved.contains(scope) => ok.push(scope.clone()),
                    Some(a) if a.denied.contains(scope) => {}
                    _ => waiting.push(scope.clone()),
                },
                v if v.allows(if_none) => ok.push(scope.clone()),
                _ => {}
            }
        }
        if !waiting.is_empty() {
            out.pending.push((i, waiting));
        }
        if !ok.is_empty() {
            out.granted.push(RptPermission {
                resource_id: resource.id.clone(),
                resource_scopes: ok,
                owner: owner.to_owned(),
                iat: ctx.now,
                exp: ctx.now.saturating_add(config.uma_rpt_lifetime),
            });
        }
    }
    out.missing.sort();
    out.missing.dedup();
    out
}

/// The claims pushed with the request (`claim_token`, `claim_token_format`), verified.
fn pushed_claims(
    uma: &UmaServer,
    client: &Client,
    params: &Params,
    ctx: &Ctx,
) -> Result<Map<String, Value>, Error> {
    match (
        params.get("claim_token")?,
        params.get("claim_token_format")?,
    ) {
        (None, None) => Ok(Map::new()),
        (Some(token), Some(format)) => {
            claims::verify(&uma.services, client, token, format, ctx.now)
        }
        _ => Err(refused(
            UmaErrorCode::InvalidRequest,
            "claim_token and claim_token_format go together",
        )),
    }
}

/// The resources of `ticket` that still exist, with the scopes asked of each; the
/// `scope` parameter's scopes join the resources registered with them (§3.3.4), and one
/// registered with none is `invalid_scope`.
async fn asked(
    uma: &UmaServer,
    ticket: &Ticket,
    scope: Option<&str>,
    ctx: &Ctx,
) -> Result<Asked, Error> {
    let extra: Vec<&str> = scope
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    if extra.len() > MAX_SCOPES {
        return Err(refused(
            UmaErrorCode::InvalidRequest,
            format!("at most {MAX_SCOPES} scopes"),
        ));
    }
    let stores = uma.services.stores();
    let mut asked: Asked = Vec::new();
    for p in &ticket.permissions {
        if let Some((_, r)) = stores
            .uma_resources
            .get(&ticket.owner, &p.resource_id, ctx.now)
            .await?
        {
            asked.push((r, p.resource_scopes.clone()));
        }
    }
    for s in extra {
        let mut known = false;
        for (r, scopes) in &mut asked {
            if r.resource_scopes.iter().any(|x| x == s) {
                known = true;
                if !scopes.iter().any(|x| x == s) {
                    scopes.push(s.to_owned());
                }
            }
        }
        if !known {
            return Err(refused(
                UmaErrorCode::InvalidScope,
                format!("no resource of the ticket was registered with the scope {s}"),
            ));
        }
    }
    Ok(asked)
}

/// A new ticket for what `ticket` asked (with the `scope` parameter's additions), for a
/// refusal the client may follow up on (`need_info`, `request_submitted`).
async fn renew(
    uma: &UmaServer,
    ticket: &Ticket,
    asked: &Asked,
    ctx: &Ctx,
) -> Result<String, Error> {
    let renewed = Ticket {
        permissions: asked
            .iter()
            .map(|(r, scopes)| Permission {
                resource_id: r.id.clone(),
                resource_scopes: scopes.clone(),
            })
            .collect(),
        ..ticket.clone()
    };
    let value = ctx.random_token(32);
    let lifetime = uma.services.config().uma_ticket_lifetime;
    uma.services
        .stores()
        .uma_tickets
        .insert(&value, &renewed, ctx.now, ctx.now.saturating_add(lifetime))
        .await?;
    Ok(value)
}

/// `need_info` (§3.3.6) with a new ticket for the same permissions, and the claims
/// needed, each as `required_claims` describes one; `redirect_user` when the client can
/// send its party to claims gathering.
async fn need_info(
    uma: &UmaServer,
    ticket: &Ticket,
    asked: &Asked,
    missing: &[String],
    interactive: bool,
    ctx: &Ctx,
) -> Result<Error, Error> {
    let config = uma.services.config();
    let value = renew(uma, ticket, asked, ctx).await?;
    let required: Vec<Value> = missing
        .iter()
        .map(|c| {
            json!({
                "name": c,
                "friendly_name": c,
                "claim_token_format": claims::FORMATS,
                "issuer": [config.issuer],
            })
        })
        .collect();
    let mut e = UmaError::new(
        UmaErrorCode::NeedInfo,
        "the policies need claims of the requesting party",
    )
    .with("ticket", value.into())
    .with("required_claims", required.into());
    if interactive {
        // The client registered a claims_redirect_uri: it may send the party's browser
        // to the claims interaction endpoint (§3.3.2).
        e = e.with("redirect_user", true.into());
    }
    Ok(e.into())
}

/// Serve the UMA grant for the authenticated `client`.
pub(super) async fn grant(
    uma: &UmaServer,
    client: &Client,
    params: &Params,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let stores = uma.services.stores();
    let config = uma.services.config();
    let ticket_value = params
        .get("ticket")?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| refused(UmaErrorCode::InvalidRequest, "ticket is missing"))?;
    let pushed = pushed_claims(uma, client, params, ctx)?;
    let pct_value = params.get("pct")?;
    let mut party = match pct_value {
        Some(v) => {
            stores
                .uma_tokens
                .pct(v, ctx.now)
                .await?
                .filter(|p| p.client_id == client.client_id)
                .ok_or_else(|| {
                    refused(
                        UmaErrorCode::InvalidPct,
                        "the pct is unknown, expired or another client's",
                    )
                })?
                .claims
        }
        None => Map::new(),
    };
    let invalid_ticket = || {
        refused(
            UmaErrorCode::InvalidGrant,
            "the ticket is unknown, used or expired",
        )
    };
    let ticket = stores
        .uma_tickets
        .read(ticket_value, ctx.now)
        .await?
        .ok_or_else(invalid_ticket)?;
    // Claims gathered for the ticket, then those pushed now, are fresher than those
    // persisted.
    let fresh: Map<String, Value> = ticket.claims.clone().into_iter().chain(pushed).collect();
    party.extend(fresh.clone());
    let rpt_value = params.get("rpt")?;
    if let Some(v) = rpt_value {
        stores
            .uma_tokens
            .rpt(v, ctx.now)
            .await?
            .filter(|(_, r)| r.client_id == client.client_id)
            .ok_or_else(|| {
                refused(
                    UmaErrorCode::InvalidRpt,
                    "the rpt is unknown, expired or another client's",
                )
            })?;
    }
    let asked = asked(uma, &ticket, params.get("scope")?, ctx).await?;
    let subject = Subject {
        id: party
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        kind: "requesting_party".into(),
        claims: party.clone(),
        client_id: client.client_id.clone(),
    };
    let approvals = approval::load(uma, &ticket.owner, &asked, &subject).await?;
    let outcome = decide(uma, &subject, &ticket.owner, &asked, &approvals, ctx);
    // Commit: the ticket is redeemed once.
    if stores
        .uma_tickets
        .take(ticket_value, ctx.now)
        .await?
        .is_none()
    {
        return Err(invalid_ticket());
    }
    if asked.is_empty() {
        return Err(refused(
            UmaErrorCode::InvalidGrant,
            "the ticket's resources are no longer registered",
        ));
    }
    if !outcome.missing.is_empty() && ticket.gathered {
        return Err(refused(
            UmaErrorCode::RequestDenied,
            format!(
                "the claims gathered lack what the policies need: {}",
                outcome.missing.join(", ")
            ),
        ));
    }
    if !outcome.missing.is_empty() {
        let interactive = !client.metadata.claims_redirect_uri.is_empty();
        return Err(need_info(uma, &ticket, &asked, &outcome.missing, interactive, ctx).await?);
    }
    // What waits for owners is put before them, whatever else is granted now.
    for (i, scopes) in &outcome.pending {
        if let Some((resource, _)) = asked.get(*i) {
            approval::submit(uma, &ticket.owner, resource, &subject, scopes, ctx).await?;
        }
    }
    if outcome.granted.is_empty() && !outcome.pending.is_empty() {
        let value = renew(uma, &ticket, &asked, ctx).await?;
        return Err(UmaError::new(
            UmaErrorCode::RequestSubmitted,
            "the resource owner is asked; ask again with the new ticket",
        )
        .with("ticket", value.into())
        .with("interval", approval::INTERVAL.into())
        .into());
    }
    if outcome.granted.is_empty() {
        return Err(refused(
            UmaErrorCode::RequestDenied,
            "the policies do not grant the requesting party any permission asked",
        ));
    }
    let mut permissions = outcome.granted;
    let mut upgraded = false;
    if let Some(v) = rpt_value
        && let Some(old) = stores.uma_tokens.take_rpt(v, ctx.now).await?
    {
        upgraded = true;
        for p in old.permissions.into_iter().filter(|p| p.exp > ctx.now) {
            match permissions
                .iter_mut()
                .find(|n| n.resource_id == p.resource_id && n.owner == p.owner)
            {
                Some(n) => {
                    for s in p.resource_scopes {
                        if !n.resource_scopes.contains(&s) {
                            n.resource_scopes.push(s);
                        }
                    }
                }
                None => permissions.push(p),
            }
        }
    }
    let subject_id = (!subject.id.is_empty()).then(|| subject.id.clone());
    let issued = super::rpt::issue(
        &uma.services,
        client,
        Rpt {
            client_id: client.client_id.clone(),
            subject: subject_id.clone(),
            permissions,
            claims: party.clone(),
            jti: None,
        },
        ctx,
    )
    .await?;
    let mut body = Map::new();
    body.insert("access_token".into(), issued.token.into());
    body.insert("token_type".into(), "Bearer".into());
    body.insert("expires_in".into(), issued.expires_in.into());
    body.insert("upgraded".into(), upgraded.into());
    // A PCT keeps what is known of the party (§3.3.5): the one presented while nothing
    // new was pushed or gathered, else a new one.
    if let (Some(v), true) = (pct_value, fresh.is_empty()) {
        body.insert("pct".into(), v.into());
    } else if !party.is_empty() {
        let value = ctx.random_token(32);
        stores
            .uma_tokens
            .insert_pct(
                &value,
                &Pct {
                    client_id: client.client_id.clone(),
                    claims: party,
                },
                ctx.now,
                ctx.now.saturating_add(config.uma_pct_lifetime),
            )
            .await?;
        body.insert("pct".into(), value.into());
    }
    stores.stats.record(
        ctx.now,
        UMA_TICKET_GRANT,
        subject_id.as_deref(),
        &[TokenType::AccessToken],
    );
    let mut response = Response::json(Value::Object(body));
    response.issued_grant = Some(UMA_TICKET_GRANT);
    Ok(response)
}
