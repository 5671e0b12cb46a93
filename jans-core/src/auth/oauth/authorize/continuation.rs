//! What happens to a validated authorization request given the browser's session.

use crate::auth::AuthServer;
use crate::auth::authn::interaction::{Interaction, Stage};
use crate::auth::authn::methods;
use crate::auth::authn::session::Session;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::client::Client;
use crate::response::{Body, Response};

use super::issue::issue_code;
use super::{AuthorizationRequest, Prompt, error_redirect};

/// Decide what happens to a validated request given the browser's session: issue a code,
/// fail (prompt=none), or store an interaction and send the user to it.
pub(crate) async fn continue_request(
    auth: &AuthServer,
    client: &Client,
    authz: AuthorizationRequest,
    session: Option<(String, Session)>,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let none = authz.prompt.contains(&Prompt::None);
    // OIDC Core §3.1.2.1 max_age; max_age=0 always re-authenticates, like prompt=login
    // (otherwise it would depend on whether the clock ticked since the last login).
    let fresh_enough = |s: &Session| {
        authz
            .max_age
            .is_none_or(|max| max > 0 && ctx.now.saturating_sub(s.auth_time) <= max)
    };
    if authz.prompt.contains(&Prompt::Create) {
        // Prompt Create 1.0 §4: the sign-up step first, whatever session there is.
        return interact(auth, authz, Stage::Create, None, ctx).await;
    }
    if authz.prompt.contains(&Prompt::SelectAccount) {
        // OIDC Core §3.1.2.1: the user picks among the browser's accounts (or another).
        let mut authz = authz;
        authz.prompt.retain(|p| *p != Prompt::SelectAccount);
        return interact(auth, authz, Stage::SelectAccount, None, ctx).await;
    }
    // A session of another user than the id_token_hint names does not count.
    let hinted = |s: &Session| {
        authz
            .hint_subject
            .as_ref()
            .is_none_or(|sub| *sub == auth.subject_for(client, &s.user_inum))
    };
    // Step-up: a session signed in with a weaker method than the one asked for does not
    // count (OIDC Core §3.1.2.1 acr_values; the methods' order is `methods::level`).
    let acr = methods::choose(
        &authz.acr_values,
        auth.key_ceremonies().is_some(),
        &auth.config().default_acr,
    );
    let strong_enough = |s: &Session| methods::level(&s.acr) >= methods::level(acr);
    let usable = session.filter(|(_, s)| {
        !authz.prompt.contains(&Prompt::Login) && fresh_enough(s) && hinted(s) && strong_enough(s)
    });
    let Some((session_key, session)) = usable else {
        if none {
            return Ok(error_redirect(
                auth,
                &authz,
                &OAuthError::new(ErrorCode::LoginRequired, "the user is not logged in"),
                ctx,
            )
            .await);
        }
        return interact(auth, authz, Stage::Login, None, ctx).await;
    };
    // A device request is always put to the user (RFC 8628 §5.4): a code someone sent must
    // not bind a signed-in person's account unseen.
    let consented = authz.device.is_none()
        && (client.metadata.trusted_client
            || (!authz.prompt.contains(&Prompt::Consent) && {
                let remembered = auth
                    .consent(&session.user_inum, &client.client_id, ctx)
                    .await?;
                authz.scopes.iter().all(|s| remembered.contains(s))
            }));
    if !consented {
        if none {
            return Ok(error_redirect(
                auth,
                &authz,
                &OAuthError::new(ErrorCode::ConsentRequired, "the user has not consented"),
                ctx,
            )
            .await);
        }
        return interact(auth, authz, Stage::Consent, Some(session_key), ctx).await;
    }
    auth.add_session_client(&session_key, &authz.client_id, ctx)
        .await?;
    issue_code(auth, &authz, &session, ctx).await
}

async fn interact(
    auth: &AuthServer,
    request: AuthorizationRequest,
    stage: Stage,
    session_key: Option<String>,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let acr = methods::choose(
        &request.acr_values,
        auth.key_ceremonies().is_some(),
        &auth.config().default_acr,
    );
    let interaction = Interaction {
        request,
        stage,
        csrf: ctx.random_token(24),
        failures: 0,
        session_key,
        acr: acr.to_owned(),
        pending_user: None,
        factors: Vec::new(),
        return_to: None,
    };
    let id = auth.put_interaction(&interaction, None, ctx).await?;
    Ok(Response::with_body(Body::Redirect(interaction_url(
        auth, &id,
    ))))
}

/// Where the browser goes for the interaction `id` (`interactionUri`, else our pages).
pub(crate) fn interaction_url(auth: &AuthServer, id: &str) -> String {
    let config = auth.config();
    let base = if config.interaction_uri.is_empty() {
        config.endpoint_url("/jans-auth/interaction")
    } else {
        config.interaction_uri.clone()
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}interaction={id}")
}
