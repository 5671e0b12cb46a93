//! Casa's routes: its pages under `/jans-casa/` (the table is the component's,
//! [`jans_core::casa::paths`]), the stylesheet and WebAuthn script its pages load, the
//! branding stylesheet made from the configuration, and the branding directory's files.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::handler::Handler;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
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
        )
        .route("/jans-casa/static/brand.css", get(brand_css))
        .route("/jans-casa/custom/{file}", get(custom_file));
    for (path, _) in jans_core::casa::paths::EXACT {
        r = r.route(path, any(engine.clone()));
    }
    for prefix in jans_core::casa::paths::WITH_ID {
        r = r.route(&format!("{prefix}/{{id}}"), any(engine.clone()));
    }
    r
}

fn with_type(body: impl Into<Body>, media: &'static str, cache: &'static str) -> Response {
    let mut r = Response::new(body.into());
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static(media));
    r.headers_mut()
        .insert("cache-control", HeaderValue::from_static(cache));
    r.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// `GET /jans-casa/static/brand.css`: the administrator's colours and CSS, as the shared
/// configuration has them now (so briefly cached: a change shows within a minute).
async fn brand_css(State(state): State<Arc<AppState>>) -> Response {
    let css = jans_core::casa::brand_css(&state.engine.config().casa_configuration);
    with_type(css, "text/css; charset=utf-8", "public, max-age=60")
}

/// Largest branding file served.
const MAX_BRANDING_FILE: u64 = 1024 * 1024;

/// The media type of a branding file by its name: a plain name (letters, digits, `-`,
/// `_`) with one of the extensions pages use; nothing else is served.
fn branding_type(name: &str) -> Option<&'static str> {
    let (stem, ext) = name.rsplit_once('.')?;
    let plain = !stem.is_empty()
        && stem.len() <= 64
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plain {
        return None;
    }
    Some(match ext {
        "css" => "text/css; charset=utf-8",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => return None,
    })
}

/// `GET /jans-casa/custom/{file}`: a file of the branding directory (`--casa-branding`),
/// when there is one, the name is plain and the file small; else 404.
async fn custom_file(State(state): State<Arc<AppState>>, Path(file): Path<String>) -> Response {
    let (Some(dir), Some(media)) = (&state.casa_branding, branding_type(&file)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = dir.join(&file);
    match tokio::fs::metadata(&path).await {
        Ok(m) if m.is_file() && m.len() <= MAX_BRANDING_FILE => {}
        _ => return StatusCode::NOT_FOUND.into_response(),
    }
    match tokio::fs::read(&path).await {
        Ok(bytes) => with_type(bytes, media, "public, max-age=300"),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::branding_type;

    #[test]
    fn only_plain_names_of_known_types_are_served() {
        assert_eq!(branding_type("custom.css"), Some("text/css; charset=utf-8"));
        assert_eq!(branding_type("logo.png"), Some("image/png"));
        for refused in [
            "../secret.css",
            ".css",
            "a.b.css",
            "logo.PNG",
            "script.js",
            "page.html",
            "noext",
            "..",
        ] {
            assert_eq!(branding_type(refused), None, "{refused}");
        }
    }
}
