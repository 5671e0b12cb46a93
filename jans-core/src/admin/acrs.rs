//! The default authentication method through the config API (Janssen's `acrs`): `GET`
//! answers `{"defaultAcr"}`, `PUT` sets it — one of the methods this server knows
//! (`simple_password_auth`, `passkey`, `fido2`, `otp`, `casa`), a blank or unknown one a 400 — in the
//! stored configuration (`defaultAcr`), so every node signs people in with it when a
//! request's `acr_values` name none it offers.

use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::request::Request;
use crate::services::Services;

use super::json_patch::Op;
use super::protection::Caller;

/// `GET acrs`.
pub(super) fn read(services: &Services) -> Value {
    json!({"defaultAcr": services.config().default_acr})
}

/// `PUT acrs`.
pub(super) async fn write(
    services: &Services,
    caller: &Caller,
    req: &Request,
    ctx: &Ctx,
) -> Result<Value, Error> {
    let v = super::body(req)?;
    let acr = match v.get("defaultAcr") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => {
            return Err(AdminError::new(400, "INVALID_ACR: defaultAcr is blank or missing").into());
        }
    };
    if !crate::config::ACRS.contains(&acr.as_str()) {
        return Err(AdminError::new(
            400,
            format!(
                "INVALID_ACR: {acr:?} is not an authentication method here (one of {})",
                crate::config::ACRS.join(", ")
            ),
        )
        .into());
    }
    let ops = [Op::Add(vec!["defaultAcr".into()], Value::String(acr))];
    super::auth_config::apply(services, caller, ctx, &ops, ("acrs", &v)).await?;
    Ok(read(services))
}
