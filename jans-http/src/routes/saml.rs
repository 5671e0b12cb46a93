//! The SAML IdP's routes: its endpoints under `/jans-saml/` and its trust relationships'
//! admin routes under `/jans-config-api/kc/saml/` (the table is the component's,
//! [`jans_core::saml::paths`]).

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::any;

use super::AppState;

/// `r` with the SAML IdP's routes, served by `engine`. An upload (a trust relationship
/// with its SP metadata file) may be larger than other bodies: up to the engine's own
/// limit and one byte more reach it, so that it answers the excess with the config API's
/// 413.
pub(super) fn routes<H, T>(mut r: Router<Arc<AppState>>, engine: H) -> Router<Arc<AppState>>
where
    H: Handler<T, Arc<AppState>> + Clone,
    T: 'static,
{
    use jans_core::saml::paths;
    for (path, _) in paths::EXACT {
        r = if path == paths::UPLOAD {
            let limit = paths::MAX_UPLOAD.saturating_add(1);
            r.route(
                path,
                any(engine.clone()).layer(DefaultBodyLimit::max(limit)),
            )
        } else {
            r.route(path, any(engine.clone()))
        };
    }
    for prefix in paths::WITH_ID {
        r = r.route(&format!("{prefix}/{{id}}"), any(engine.clone()));
    }
    r
}
