//! The CIBA authentication-device calls of the C ABI (OpenID CIBA Core §1: the person's own
//! device answers): list a person's pending backchannel requests, answer one.

use jans_core::{Ctx, Engine};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine_failure;
use crate::status::Failure;

/// The document of `jans_ciba`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, tag = "action", rename_all = "lowercase")]
pub(crate) enum CibaCall {
    /// The person's pending requests.
    Pending { uid: String },
    /// The person (authenticated by the device) approves or denies one.
    Decide {
        uid: String,
        reference: String,
        approve: bool,
    },
}

/// Run a `jans_ciba` call.
pub(crate) async fn run(engine: &Engine, call: CibaCall, ctx: &Ctx) -> Result<Value, Failure> {
    match call {
        CibaCall::Pending { uid } => {
            let requests = engine
                .ciba_pending(&uid, ctx)
                .await
                .map_err(engine_failure)?;
            Ok(json!({ "requests": requests }))
        }
        CibaCall::Decide {
            uid,
            reference,
            approve,
        } => {
            let answered = engine
                .ciba_decide(&reference, &uid, approve, ctx)
                .await
                .map_err(engine_failure)?;
            Ok(json!({ "answered": answered }))
        }
    }
}
