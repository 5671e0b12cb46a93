//! Interactive claims gathering (UMA 2.0 Grant §3.3.2, §3.3.3) at
//! `/jans-auth/restv1/uma/gather_claims?client_id&ticket&claims_redirect_uri&state`: the
//! client sends the requesting party's browser here after `need_info` with
//! `redirect_user`. The party signs in through the auth-server's login pages (its
//! [`crate::services::SignIn`]) — always, whatever session the browser has, and the
//! browser that comes back must be the one sent (a cookie ties them) —; their claims are
//! kept with a new ticket, the old one spent, and the browser goes back to the client's
//! registered `claims_redirect_uri` with `authorization_state=claims_submitted`, the new
//! `ticket` and `state`. The client then asks the UMA grant again with the new ticket.
//!
//! A request naming an unknown client or an unregistered `claims_redirect_uri` is
//! answered here (never redirected); an unknown or spent ticket is told to the client at
//! its `claims_redirect_uri` (`error=invalid_grant`).

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::uma::{UmaError, UmaErrorCode};
use crate::repo::grant::token_key;
use crate::repo::uma_ticket::{Gathering, Ticket};
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

/// The cookie that ties a gathering to the browser that started it.
const COOKIE: &str = "uma_gathering";

/// `Set-Cookie` of the gathering cookie `value` for `max_age` seconds (0: removed).
fn set_cookie(config: &crate::config::Config, value: &str, max_age: u64) -> String {
    let secure = if config.issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{COOKIE}={value}; Path={GATHER_CLAIMS}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    )
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
    // Back from the login this browser was sent to, for this ticket and client?
    let started = match req.cookie(COOKIE) {
        Some(c) => stores
            .uma_gatherings
            .take(c, ctx.now)
            .await?
            .filter(|g| g.client_id == client_id && g.ticket == token_key(ticket_value)),
        None => None,
    };
    if started.is_none() {
        // The party signs in now, whatever session the browser has: a page that merely
        // sends a signed-in browser here hands nobody's claims over without them.
        let config = uma.services.config();
        let cookie = ctx.random_token(32);
        let gathering = Gathering {
            ticket: token_key(ticket_value),
            client_id: client_id.to_owned(),
        };
        let lifetime = config.interaction_lifetime;
        stores
            .uma_gatherings
            .insert(
                &cookie,
                &gathering,
                ctx.now,
                ctx.now.saturating_add(lifetime),
            )
            .await?;
        let pairs = [
            ("client_id", client_id),
            ("ticket", ticket_value),
            ("claims_redirect_uri", back_to),
            ("state", state),
        ];
        let here = with_query(&config.endpoint_url(GATHER_CLAIMS), &pairs);
        let state = (!state.is_empty()).then_some(state);
        let to_login = sign_in
            .sign_in(client_id, back_to, state, &here, ctx)
            .await?;
        return Ok(to_login.header("set-cookie", set_cookie(&config, &cookie, lifetime)));
    }
    let Some(claims) = sign_in.signed_in_claims(req, &client, ctx).await? else {
        return Ok(refused("the sign-in did not complete"));
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
    ))
    .header("set-cookie", set_cookie(&uma.services.config(), "", 0)))
}
