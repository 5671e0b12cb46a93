//! Interactive claims gathering (UMA 2.0 Grant §3.3.2, §3.3.3) at
//! `/jans-auth/restv1/uma/gather_claims?client_id&ticket&claims_redirect_uri&state`: the
//! client sends the requesting party's browser here after `need_info` with
//! `redirect_user`. The party signs in through the auth-server's login pages (its
//! [`crate::services::SignIn`]); their claims are kept with a new ticket, the old one
//! spent, and the browser goes back to the client's registered `claims_redirect_uri` with
//! `authorization_state=claims_submitted`, the new `ticket` and `state`. The client then
//! asks the UMA grant again with the new ticket.
//!
//! A request naming an unknown client or an unregistered `claims_redirect_uri` is
//! answered here (never redirected); an unknown or spent ticket is told to the client at
//! its `claims_redirect_uri` (`error=invalid_grant`).

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::uma::{UmaError, UmaErrorCode};
use crate::repo::uma_ticket::Ticket;
use crate::request::Request;
use crate::response::{Body, Response};

use super::UmaServer;
use super::paths::GATHER_CLAIMS;

fn invalid(why: &str) -> Error {
    UmaError::new(UmaErrorCode::InvalidRequest, why).into()
}

/// `uri` with `pairs` added to its query.
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{query}")
}

fn redirect(to: String) -> Response {
    Response::with_body(Body::Redirect(to))
}

/// `GET gather_claims`.
pub(super) async fn gather(uma: &UmaServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    let q = &req.query;
    let client_id = q
        .get("client_id")?
        .filter(|c| !c.is_empty())
        .ok_or_else(|| invalid("client_id is missing"))?;
    let back_to = q
        .get("claims_redirect_uri")?
        .ok_or_else(|| invalid("claims_redirect_uri is missing"))?;
    let ticket_value = q.get("ticket")?.unwrap_or_default();
    let state = q.get("state")?.unwrap_or_default();
    let stores = uma.services.stores();
    let client = stores
        .clients
        .get(client_id)
        .await?
        .filter(|c| !c.disabled)
        .ok_or_else(|| invalid("no such client"))?;
    // Exact match with a registered URI (as redirect_uri, RFC 6749 §3.1.2.3): the browser
    // is sent nowhere else.
    if !client
        .metadata
        .claims_redirect_uri
        .iter()
        .any(|u| u == back_to)
    {
        return Err(invalid(
            "claims_redirect_uri is not one the client registered",
        ));
    }
    let refused = |why: &str| {
        redirect(with_query(
            back_to,
            &[
                ("error", "invalid_grant"),
                ("error_description", why),
                ("state", state),
            ],
        ))
    };
    let Some(ticket) = stores.uma_tickets.read(ticket_value, ctx.now).await? else {
        return Ok(refused("the ticket is unknown, used or expired"));
    };
    let sign_in = uma.services.sign_in()?;
    let Some(claims) = sign_in.signed_in_claims(req, &client, ctx).await? else {
        // Not signed in: the login pages, then here again with the same request.
        let pairs: Vec<(&str, &str)> = [
            ("client_id", client_id),
            ("ticket", ticket_value),
            ("claims_redirect_uri", back_to),
            ("state", state),
        ]
        .into_iter()
        .collect();
        let here = with_query(&uma.services.config().endpoint_url(GATHER_CLAIMS), &pairs);
        let state = (!state.is_empty()).then_some(state);
        return sign_in.sign_in(client_id, back_to, state, &here, ctx).await;
    };
    // The ticket is spent once: a racing second gathering finds it gone.
    if stores
        .uma_tickets
        .take(ticket_value, ctx.now)
        .await?
        .is_none()
    {
        return Ok(refused("the ticket is unknown, used or expired"));
    }
    let mut gathered = ticket.claims.clone();
    gathered.extend(claims);
    let renewed = Ticket {
        claims: gathered,
        gathered: true,
        ..ticket
    };
    let value = ctx.random_token(32);
    let lifetime = uma.services.config().uma_ticket_lifetime;
    stores
        .uma_tickets
        .insert(&value, &renewed, ctx.now, ctx.now.saturating_add(lifetime))
        .await?;
    tracing::info!(request_id = %ctx.request_id, client_id, "UMA claims gathered");
    Ok(redirect(with_query(
        back_to,
        &[
            ("authorization_state", "claims_submitted"),
            ("ticket", &value),
            ("state", state),
        ],
    )))
}
