//! The UMA 2.0 server's routes: its endpoints at Janssen's paths (the table is the
//! component's, [`jans_core::uma::paths`]), served with the auth-server as in Janssen.

use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::routing::any;

use super::AppState;

/// `r` with the UMA server's routes, its endpoints served by `engine`.
pub(super) fn routes<H, T>(mut r: Router<Arc<AppState>>, engine: H) -> Router<Arc<AppState>>
where
    H: Handler<T, Arc<AppState>> + Clone,
    T: 'static,
{
    for (path, _) in jans_core::uma::paths::EXACT {
        r = r.route(path, any(engine.clone()));
    }
    for prefix in jans_core::uma::paths::WITH_ID {
        r = r.route(&format!("{prefix}/{{id}}"), any(engine.clone()));
    }
    r
}
