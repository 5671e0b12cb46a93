//! Cross-cutting HTTP layers: body-size limits, timeouts, request ids, security headers,
//! panic containment.

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// Limits and switches of the HTTP host.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// Largest accepted request body (DESIGN.md §6).
    pub body_limit: usize,
    /// Requests running longer are answered 408.
    pub request_timeout: Duration,
    /// Send `Strict-Transport-Security` (when served over TLS or behind a TLS proxy).
    pub hsts: bool,
    /// The components served; the others expose no routes.
    pub components: crate::components::Components,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            hsts: false,
            components: crate::components::Components::ALL,
        }
    }
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let mut r =
        axum::response::Response::new(axum::body::Body::from(r#"{"error":"server_error"}"#));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Wrap a router in the standard layers.
pub fn apply(router: Router, host: &HostConfig) -> Router {
    let mut r = router
        .layer(DefaultBodyLimit::max(host.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            host.request_timeout,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ));
    if host.hsts {
        r = r.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("strict-transport-security"),
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    r.layer(CatchPanicLayer::custom(panic_response))
}
