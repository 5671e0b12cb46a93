//! The SAML IdP's routes: its endpoints under `/jans-saml/` (the table is the
//! component's, [`jans_core::saml::paths`]).

use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::routing::any;

use super::AppState;

/// `r` with the SAML IdP's routes, served by `engine`.
pub(super) fn routes<H, T>(mut r: Router<Arc<AppState>>, engine: H) -> Router<Arc<AppState>>
where
    H: Handler<T, Arc<AppState>> + Clone,
    T: 'static,
{
    for (path, _) in jans_core::saml::paths::EXACT {
        r = r.route(path, any(engine.clone()));
    }
    r
}
