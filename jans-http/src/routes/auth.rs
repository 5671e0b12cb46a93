//! The auth-server's routes: its endpoints at Janssen's paths (the table is the
//! component's, [`jans_core::auth::paths`]) and the host's login, consent and logout pages.

use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::routing::{any, get};

use super::AppState;

/// `r` with the auth-server's routes, its endpoints served by `engine`.
pub(super) fn routes<H, T>(mut r: Router<Arc<AppState>>, engine: H) -> Router<Arc<AppState>>
where
    H: Handler<T, Arc<AppState>> + Clone,
    T: 'static,
{
    r = r
        .route(
            "/jans-auth/interaction",
            get(crate::pages::show).post(crate::pages::submit),
        )
        .route(
            "/jans-auth/logout",
            get(crate::pages::logout_page).post(crate::pages::logout_submit),
        )
        .route("/jans-auth/account", get(crate::pages::account))
        .route("/jans-auth/static/jans.css", get(crate::pages::css))
        .route(
            "/jans-auth/static/webauthn.js",
            get(crate::pages::webauthn_js),
        );
    for (path, _) in jans_core::auth::paths::EXACT {
        r = r.route(path, any(engine.clone()));
    }
    let archived = format!("{}{{kid}}", jans_core::auth::paths::JWKS_ARCHIVED_PREFIX);
    r.route(&archived, any(engine))
}
