//! Casa's routes: its pages under `/jans-casa/` (the table is the component's,
//! [`jans_core::casa::paths`]) and the stylesheet and WebAuthn script its pages load.

use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::routing::{any, get};

use super::AppState;

/// `r` with Casa's routes, its pages served by `engine`.
pub(super) fn routes<H, T>(mut r: Router<Arc<AppState>>, engine: H) -> Router<Arc<AppState>>
where
    H: Handler<T, Arc<AppState>> + Clone,
    T: 'static,
{
    r = r
        .route("/jans-casa/static/jans.css", get(crate::pages::css))
        .route(
            "/jans-casa/static/webauthn.js",
            get(crate::pages::webauthn_js),
        );
    for (path, _) in jans_core::casa::paths::EXACT {
        r = r.route(path, any(engine.clone()));
    }
    for prefix in jans_core::casa::paths::WITH_ID {
        r = r.route(&format!("{prefix}/{{id}}"), any(engine.clone()));
    }
    r
}
