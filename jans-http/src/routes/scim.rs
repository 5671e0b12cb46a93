//! The SCIM server's routes: its endpoints at Janssen's paths (the table is the
//! component's, [`jans_core::scim::paths`]).

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::any;

use super::AppState;

/// `r` with the SCIM server's routes, its endpoints served by `engine`. Their bodies may
/// be larger than other endpoints': up to `body_limit` bytes reach the engine, which
/// answers what its limits refuse with SCIM's 413 (RFC 7644 §3.12).
pub(super) fn routes<H, T>(
    mut r: Router<Arc<AppState>>,
    engine: H,
    body_limit: usize,
) -> Router<Arc<AppState>>
where
    H: Handler<T, Arc<AppState>> + Clone,
    T: 'static,
{
    let route = || any(engine.clone()).layer(DefaultBodyLimit::max(body_limit));
    for (path, _) in jans_core::scim::paths::EXACT {
        r = r.route(path, route());
    }
    for prefix in jans_core::scim::paths::WITH_ID {
        r = r.route(&format!("{prefix}/{{id}}"), route());
    }
    r
}
