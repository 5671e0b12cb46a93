//! The interaction API of the C ABI (DESIGN.md §3: every host can finish every flow): the
//! request and answer documents of `jans_interaction_get` and `jans_interaction_submit`,
//! over the engine's typed interaction operations.

use jans_core::auth::authn::interaction::LoginResult;
use jans_core::auth::authn::interaction::Stage;
use jans_core::{Ctx, Engine};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::buf::{give_json, out_buf, read_str};
use crate::status::{Failure, JansStatus, guard};
use crate::{JANS_MAX_INTERACTION_LEN, JansBuf, engine_failure, registry, wire};

/// One interaction call: read the request document, run `op` on the engine, give its answer.
///
/// # Safety
/// `request_json` must be NULL or a NUL-terminated string; `out_json` must be NULL or point
/// to a writable `JansBuf`.
pub(crate) unsafe fn call<T: serde::de::DeserializeOwned>(
    id: u64,
    request_json: *const std::ffi::c_char,
    out_json: *mut JansBuf,
    op: impl AsyncFnOnce(&Engine, T, &Ctx) -> Result<Value, Failure>,
) -> JansStatus {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_buf(out_json, "out_json") }?;
        // SAFETY: per the contract.
        let text = unsafe { read_str(request_json, JANS_MAX_INTERACTION_LEN, "request_json") }?;
        let req: T = parse(text)?;
        let hosted = registry::get(id)?;
        let ctx = hosted.ctx(None);
        let answer = hosted.block_on(op(&hosted.engine, req, &ctx))?;
        // SAFETY: `out` checked above.
        unsafe { give_json(out, &answer) }
    })
}

/// The document of `jans_interaction_get`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GetRequest {
    interaction: String,
    #[serde(default)]
    sessions: Vec<String>,
}

/// The document of `jans_interaction_submit`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, tag = "action", rename_all = "lowercase")]
pub(crate) enum Submission {
    Login {
        interaction: String,
        csrf: String,
        username: String,
        password: String,
    },
    Consent {
        interaction: String,
        csrf: String,
        allow: bool,
        #[serde(default)]
        remember: bool,
    },
    Select {
        interaction: String,
        csrf: String,
        session: Option<String>,
    },
    /// A new account at the `create` step (`prompt=create`).
    Create {
        interaction: String,
        csrf: String,
        username: String,
        email: String,
        given_name: String,
        #[serde(default)]
        family_name: Option<String>,
        password: String,
    },
    /// A WebAuthn assertion (the browser's `AuthenticationResponseJSON`), for a passkey
    /// sign-in or the second factor.
    Webauthn {
        interaction: String,
        csrf: String,
        response: Value,
    },
    /// A one-time password, or a recovery code, at the second factor.
    Otp {
        interaction: String,
        csrf: String,
        code: String,
    },
    /// "Try another way": ask for another of the second factors offered.
    Factor {
        interaction: String,
        csrf: String,
        factor: String,
    },
}

/// Parse a request document (JSON errors are `JANS_STATUS_INVALID_JSON`).
pub(crate) fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Failure> {
    serde_json::from_str(text)
        .map_err(|e| Failure::new(JansStatus::InvalidJson, format!("request_json: {e}")))
}

fn unknown() -> Failure {
    Failure::new(
        JansStatus::InvalidArgument,
        "invalid_request: unknown or expired interaction",
    )
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Login => "login",
        Stage::Consent => "consent",
        Stage::SelectAccount => "select_account",
        Stage::SecondFactor => "second_factor",
        Stage::Create => "create",
    }
}

/// `jans_interaction_get`.
pub(crate) async fn get(engine: &Engine, req: &GetRequest, ctx: &Ctx) -> Result<Value, Failure> {
    if req.interaction.len() > 128 {
        return Err(unknown());
    }
    let view = engine
        .interaction(&req.interaction, ctx)
        .await
        .map_err(engine_failure)?
        .ok_or_else(unknown)?;
    let accounts = if view.stage == Stage::SelectAccount {
        engine
            .accounts(&req.sessions, ctx)
            .await
            .map_err(engine_failure)?
            .into_iter()
            .map(|a| json!({"index": a.index, "uid": a.uid, "name": a.name}))
            .collect()
    } else {
        Vec::new()
    };
    Ok(json!({
        "stage": stage_name(view.stage),
        "client_id": view.client_id,
        "client_name": view.client_name,
        "scopes": view.scopes,
        "authorization_details": view.authorization_details,
        "csrf": view.csrf,
        "login_hint": view.login_hint,
        "accounts": accounts,
        "acr": view.acr,
        "webauthn": view.webauthn,
        "factors": view.factors.iter().map(|f| f.name()).collect::<Vec<_>>(),
    }))
}

/// A response to send to the browser, as `jans_handle` renders it.
fn done(resp: &jans_core::Response, ctx: &Ctx) -> Result<Value, Failure> {
    let rendered = wire::render(resp, &ctx.request_id, false)?;
    let response: Value = serde_json::from_slice(&rendered)
        .map_err(|e| Failure::new(JansStatus::Internal, e.to_string()))?;
    Ok(json!({"outcome": "done", "response": response}))
}

/// A sign-in attempt's outcome as the document says it.
fn attempt(outcome: LoginResult, ctx: &Ctx) -> Result<Value, Failure> {
    match outcome {
        LoginResult::Done(r) => done(&r, ctx),
        LoginResult::Retry { remaining } => Ok(json!({"outcome": "retry", "remaining": remaining})),
        LoginResult::Wait { seconds } => Ok(json!({"outcome": "wait", "seconds": seconds})),
    }
}

/// `jans_interaction_submit`.
pub(crate) async fn submit(engine: &Engine, req: Submission, ctx: &Ctx) -> Result<Value, Failure> {
    match req {
        Submission::Otp {
            interaction,
            csrf,
            code,
        } => attempt(
            engine
                .interaction_otp(&interaction, &csrf, &code, ctx)
                .await
                .map_err(engine_failure)?,
            ctx,
        ),
        Submission::Factor {
            interaction,
            csrf,
            factor,
        } => {
            engine
                .interaction_choose_factor(&interaction, &csrf, &factor, ctx)
                .await
                .map_err(engine_failure)?;
            Ok(json!({"outcome": "changed"}))
        }
        Submission::Login {
            interaction,
            csrf,
            username,
            password,
        } => attempt(
            engine
                .interaction_login(&interaction, &csrf, &username, &password, ctx)
                .await
                .map_err(engine_failure)?,
            ctx,
        ),
        Submission::Consent {
            interaction,
            csrf,
            allow,
            remember,
        } => {
            let r = engine
                .interaction_consent(&interaction, &csrf, allow, remember, ctx)
                .await
                .map_err(engine_failure)?;
            done(&r, ctx)
        }
        Submission::Webauthn {
            interaction,
            csrf,
            response,
        } => {
            let body = serde_json::to_vec(&response)
                .map_err(|e| Failure::new(JansStatus::Internal, e.to_string()))?;
            attempt(
                engine
                    .interaction_webauthn(&interaction, &csrf, &body, ctx)
                    .await
                    .map_err(engine_failure)?,
                ctx,
            )
        }
        Submission::Create {
            interaction,
            csrf,
            username,
            email,
            given_name,
            family_name,
            password,
        } => {
            let account = jans_core::auth::authn::create::NewAccount {
                uid: username,
                mail: email,
                given_name,
                family_name,
                password,
            };
            match engine
                .interaction_create(&interaction, &csrf, account, ctx)
                .await
                .map_err(engine_failure)?
            {
                jans_core::auth::authn::create::CreateResult::Done(r) => done(&r, ctx),
                jans_core::auth::authn::create::CreateResult::Refused(message) => {
                    Ok(json!({"outcome": "refused", "message": message}))
                }
            }
        }
        Submission::Select {
            interaction,
            csrf,
            session,
        } => {
            let r = engine
                .interaction_select(&interaction, &csrf, session.as_deref(), ctx)
                .await
                .map_err(engine_failure)?;
            done(&r, ctx)
        }
    }
}
