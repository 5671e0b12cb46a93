//! The interaction pages: sign-in, second factor, account choice, account creation and
//! consent, rendered from the engine's [`jans_core::auth::authn::interaction::InteractionView`],
//! and the form they post to.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jans_core::auth::authn::interaction::{LoginResult, Stage};

use super::{PostedForm, WEBAUTHN_CSP, browser_sessions, describe, remember_session};
use crate::routes::AppState;

async fn render_interaction(
    state: &AppState,
    id: &str,
    error: Option<String>,
    status: StatusCode,
    headers: &axum::http::HeaderMap,
) -> Response {
    let ctx = state.ctx("interaction".to_owned());
    let view = match state.engine.interaction(id, &ctx).await {
        Ok(Some(v)) => v,
        Ok(None) => {
            return state.pages.bad_request(
                "This sign-in request has expired. Return to the application and try again.",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "interaction lookup failed");
            return state
                .pages
                .error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", None);
        }
    };
    let client_name = view
        .client_name
        .clone()
        .unwrap_or_else(|| view.client_id.clone());
    let webauthn = view.webauthn.as_ref().map(|o| o.to_string());
    match view.stage {
        Stage::Login => state.pages.page_with_csp(
            status,
            "login.html",
            minijinja::context! {
                interaction => id, csrf => view.csrf, client_name => client_name,
                login_hint => view.login_hint.unwrap_or_default(), error => error,
                webauthn => webauthn,
                passkey_only => view.acr == jans_core::auth::authn::methods::PASSKEY_ACR,
            },
            WEBAUTHN_CSP,
        ),
        Stage::Create => state.pages.page(
            status,
            "create.html",
            minijinja::context! {
                interaction => id, csrf => view.csrf, client_name => client_name,
                login_hint => view.login_hint.unwrap_or_default(), error => error,
            },
        ),
        Stage::SecondFactor => {
            let factor = view.factors.first().map_or("fido2", |f| f.name());
            let others: Vec<minijinja::Value> = view
                .factors
                .iter()
                .skip(1)
                .map(|f| minijinja::context! { name => f.name(), label => factor_label(*f) })
                .collect();
            state.pages.page_with_csp(
                status,
                "second_factor.html",
                minijinja::context! {
                    interaction => id, csrf => view.csrf, client_name => client_name,
                    error => error, webauthn => webauthn, factor => factor, others => others,
                },
                WEBAUTHN_CSP,
            )
        }
        Stage::SelectAccount => {
            let accounts = state
                .engine
                .accounts(&browser_sessions(headers), &ctx)
                .await
                .unwrap_or_default();
            let accounts: Vec<minijinja::Value> = accounts
                .iter()
                .map(|a| minijinja::context! { index => a.index, uid => &a.uid, name => &a.name })
                .collect();
            state.pages.page(
                status,
                "select_account.html",
                minijinja::context! {
                    interaction => id, csrf => view.csrf, client_name => client_name, accounts => accounts,
                },
            )
        }
        Stage::Consent => {
            let scopes: Vec<minijinja::Value> = view
                .scopes
                .iter()
                .map(|s| minijinja::context! { name => s, description => describe(s) })
                .collect();
            state.pages.page(
                status,
                "consent.html",
                minijinja::context! {
                    interaction => id, csrf => view.csrf, client_name => client_name, scopes => scopes,
                    details => view.authorization_details,
                },
            )
        }
    }
}

/// What "try another way" calls a second factor.
fn factor_label(f: jans_core::auth::authn::methods::Factor) -> &'static str {
    use jans_core::auth::authn::methods::Factor;
    match f {
        Factor::SecurityKey => "Use a security key or passkey",
        Factor::Otp => "Use a code from your authenticator app",
        Factor::RecoveryCode => "Use a recovery code",
    }
}

/// The page after a sign-in attempt (a password or a WebAuthn assertion): on to the
/// client with the new session, the form again saying it was `refused` and how many
/// attempts are left, or the brute-force delay (429 with `Retry-After`).
async fn login_answer(
    state: &AppState,
    id: &str,
    headers: &axum::http::HeaderMap,
    outcome: LoginResult,
    refused: &str,
) -> Response {
    match outcome {
        LoginResult::Done(r) => {
            let secure = state.engine.config().issuer.starts_with("https://");
            remember_session(state.pages.core(&r), headers, secure)
        }
        LoginResult::Wait { seconds } => {
            let msg = format!(
                "Too many failed sign-in attempts for this account. Try again in {seconds} second{}.",
                if seconds == 1 { "" } else { "s" }
            );
            let mut page =
                render_interaction(state, id, Some(msg), StatusCode::TOO_MANY_REQUESTS, headers)
                    .await;
            if let Ok(v) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
                page.headers_mut().insert("retry-after", v);
            }
            page
        }
        LoginResult::Retry { remaining } => {
            let msg = format!(
                "{refused} {remaining} attempt{} left.",
                if remaining == 1 { "" } else { "s" }
            );
            render_interaction(state, id, Some(msg), StatusCode::UNAUTHORIZED, headers).await
        }
    }
}

/// `GET /jans-auth/interaction?interaction=ID`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    match q.get("interaction") {
        Some(id) if id.len() <= 128 => {
            render_interaction(&state, id, None, StatusCode::OK, &headers).await
        }
        _ => state.pages.bad_request("no interaction"),
    }
}

/// `POST /jans-auth/interaction`: the login and consent forms.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let bad = |d: &'static str| state.pages.bad_request(d);
    let form = match PostedForm::parse(&body) {
        Ok(f) => f,
        Err(d) => return bad(d),
    };
    let field = |n: &str| form.field(n);
    let (id, csrf, action) = (field("interaction"), field("csrf"), field("action"));
    if id.is_empty() || id.len() > 128 {
        return bad("no interaction");
    }
    let ctx = state.ctx("interaction".to_owned());
    let engine = state.engine.clone();
    let result = match action.as_str() {
        "login" => {
            let (user, password) = (field("username"), field("password"));
            // The password is hashed on the engine's pool, and the brute-force delay is the
            // engine's decision: nothing here blocks or sleeps.
            let outcome = engine
                .interaction_login(&id, &csrf, &user, &password, &ctx)
                .await;
            match outcome {
                Ok(o) => {
                    return login_answer(&state, &id, &headers, o, "Wrong username or password.")
                        .await;
                }
                Err(e) => Err(e),
            }
        }
        "webauthn" => {
            let outcome = engine
                .interaction_webauthn(&id, &csrf, field("response").as_bytes(), &ctx)
                .await;
            match outcome {
                Ok(o) => {
                    let refused = "The passkey or security key was not accepted.";
                    return login_answer(&state, &id, &headers, o, refused).await;
                }
                Err(e) => Err(e),
            }
        }
        "otp" => {
            let outcome = engine
                .interaction_otp(&id, &csrf, &field("code"), &ctx)
                .await;
            match outcome {
                Ok(o) => {
                    let refused = "That code is not right, or was used already.";
                    return login_answer(&state, &id, &headers, o, refused).await;
                }
                Err(e) => Err(e),
            }
        }
        "factor" => {
            match engine
                .interaction_choose_factor(&id, &csrf, &field("factor"), &ctx)
                .await
            {
                Ok(()) => {
                    return render_interaction(&state, &id, None, StatusCode::OK, &headers).await;
                }
                Err(e) => Err(e),
            }
        }
        "create" => {
            if field("password") != field("password2") {
                let msg = Some("The two passwords differ.".to_owned());
                return render_interaction(&state, &id, msg, StatusCode::BAD_REQUEST, &headers)
                    .await;
            }
            let account = jans_core::auth::authn::create::NewAccount {
                uid: field("username"),
                mail: field("email"),
                given_name: field("given_name"),
                family_name: Some(field("family_name")),
                password: field("password"),
            };
            match engine.interaction_create(&id, &csrf, account, &ctx).await {
                Ok(jans_core::auth::authn::create::CreateResult::Done(r)) => {
                    let secure = state.engine.config().issuer.starts_with("https://");
                    return remember_session(state.pages.core(&r), &headers, secure);
                }
                Ok(jans_core::auth::authn::create::CreateResult::Refused(msg)) => {
                    return render_interaction(
                        &state,
                        &id,
                        Some(msg),
                        StatusCode::BAD_REQUEST,
                        &headers,
                    )
                    .await;
                }
                Err(e) => Err(e),
            }
        }
        "select" => {
            let sessions = browser_sessions(&headers);
            let chosen = field("account")
                .parse::<usize>()
                .ok()
                .and_then(|i| sessions.get(i).cloned());
            engine
                .interaction_select(&id, &csrf, chosen.as_deref(), &ctx)
                .await
        }
        "allow" | "deny" => {
            engine
                .interaction_consent(
                    &id,
                    &csrf,
                    action == "allow",
                    !field("remember").is_empty(),
                    &ctx,
                )
                .await
        }
        _ => return bad("unknown action"),
    };
    // A page (a device request's end, RFC 8628) is rendered; anything else goes as it is.
    match result {
        Ok(r) => state.pages.core(&r),
        Err(e) => state.pages.oauth_error(&e.to_oauth()),
    }
}
