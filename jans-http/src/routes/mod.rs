//! Janssen paths → engine endpoints, plus the host's own operational routes. Each
//! component's routes are a module of their own (`auth`, `fido2`, `scim`, `admin`), added
//! when `--components` selects it.

mod admin;
mod auth;
mod casa;
mod fido2;
mod saml;
mod scim;
mod uma;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::get;
use jans_core::error::admin::AdminError;
use jans_core::error::oauth::{ErrorCode, OAuthError};
use jans_core::error::scim::ScimError;
use jans_core::{Ctx, Endpoint, Engine, Random, Response};

use crate::telemetry::Metrics;
use crate::translate;

/// Shared state of the host.
pub struct AppState {
    /// The engine.
    pub engine: Engine,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Randomness for every request's [`Ctx`].
    pub rng: Arc<dyn Random>,
    /// Login, consent and error pages.
    pub pages: Arc<crate::pages::Pages>,
    /// The proxies whose forwarded client certificates are believed
    /// ([`jans_core::x509::forwarded`]); from any other peer those headers are ignored.
    pub trusted_proxies: Vec<jans_core::outbound::Cidr>,
    /// Casa's branding directory (`custom.css`, `logo.png`, ...), served at
    /// `/jans-casa/custom/` when set.
    pub casa_branding: Option<std::path::PathBuf>,
    request_seq: AtomicU64,
    request_prefix: u32,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("engine", &self.engine)
            .finish()
    }
}

impl AppState {
    /// State for `engine`.
    pub fn new(engine: Engine, metrics: Arc<Metrics>, rng: Arc<dyn Random>) -> Self {
        let mut p = [0u8; 4];
        rng.fill(&mut p);
        AppState {
            engine,
            metrics,
            rng,
            pages: Arc::new(
                crate::pages::Pages::load(None).expect("the embedded templates are valid"),
            ),
            trusted_proxies: Vec::new(),
            casa_branding: None,
            request_seq: AtomicU64::new(0),
            request_prefix: u32::from_le_bytes(p),
        }
    }

    /// Serve Casa's branding files from `dir` (`/jans-casa/custom/{file}`).
    pub fn with_casa_branding(mut self, dir: Option<std::path::PathBuf>) -> Self {
        self.casa_branding = dir;
        self
    }

    /// Believe the client certificates and client addresses the proxies at `proxies`
    /// forward in headers.
    pub fn with_trusted_proxies(mut self, proxies: Vec<jans_core::outbound::Cidr>) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// Put the client's certificate in `req`: the one of this mutual-TLS connection, else
    /// the one a trusted proxy forwarded (RFC 8705 §2). A forwarded header that does not
    /// read is refused.
    fn client_certificate(
        &self,
        req: &mut jans_core::Request,
        tls: Option<crate::serve::ClientCertificates>,
        headers: &HeaderMap,
    ) -> Result<(), OAuthError> {
        if let Some(crate::serve::ClientCertificates(mut certs)) = tls {
            if !certs.is_empty() {
                req.client_certificate = Some(certs.remove(0));
                req.client_certificate_chain = certs;
            }
            return Ok(());
        }
        let trusted = req
            .peer_addr
            .is_some_and(|p| self.trusted_proxies.iter().any(|c| c.contains(p.ip())));
        if !trusted {
            return Ok(());
        }
        let pairs: Vec<(&str, &[u8])> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
        if let Some((leaf, chain)) =
            jans_core::x509::forwarded::from_headers(&pairs).map_err(OAuthError::invalid_request)?
        {
            req.client_certificate = Some(leaf);
            req.client_certificate_chain = chain;
        }
        Ok(())
    }

    /// The client's address behind trusted proxies: when the peer is one, the last
    /// address of `X-Forwarded-For` that is not one (each proxy appends the address it
    /// saw, so what precedes an untrusted hop could be anything the client wrote). The
    /// address sign-in policies read (Casa's known locations) and logs show.
    pub fn client_address(&self, req: &mut jans_core::Request, headers: &HeaderMap) {
        let trusted = |ip: std::net::IpAddr| self.trusted_proxies.iter().any(|c| c.contains(ip));
        let Some(peer) = req.peer_addr.filter(|p| trusted(p.ip())) else {
            return;
        };
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        // Right to left: past the trusted proxies, up to the first hop that does not read.
        for hop in hops.into_iter().rev() {
            let Ok(ip) = hop.trim().parse::<std::net::IpAddr>() else {
                return;
            };
            if !trusted(ip) {
                req.peer_addr = Some(std::net::SocketAddr::new(ip, peer.port()));
                return;
            }
        }
    }

    /// Use these pages (e.g. templates overridden from a directory).
    pub fn with_pages(mut self, pages: crate::pages::Pages) -> Self {
        self.pages = Arc::new(pages);
        self
    }

    fn request_id(&self, headers: &HeaderMap) -> String {
        if let Some(v) = caller_request_id(headers) {
            return v;
        }
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed);
        format!("{:08x}-{n:x}", self.request_prefix)
    }

    /// A context for one request.
    pub fn ctx(&self, request_id: String) -> Ctx {
        Ctx::new(crate::now(), self.rng.clone(), request_id)
    }
}

/// An upstream proxy's (or embedder's) `x-request-id`, when it is short and plain enough to
/// log as is ([`jans_core::request::caller_request_id`]).
pub fn caller_request_id(headers: &HeaderMap) -> Option<String> {
    jans_core::request::caller_request_id(headers.get("x-request-id").map(|v| v.as_bytes()))
}

async fn engine_route(
    State(state): State<Arc<AppState>>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    tls: Option<axum::Extension<crate::serve::ClientCertificates>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> axum::response::Response {
    let started = Instant::now();
    let request_id = state.request_id(&headers);
    let body = match body {
        Ok(b) => b,
        Err(rejected) => return refused_body(&state, &uri, rejected),
    };
    let (label, resp) = match Endpoint::from_path(uri.path()) {
        None => (
            "not_found",
            Response::error(OAuthError::new(ErrorCode::NotFound, "no such endpoint")),
        ),
        Some(endpoint) => {
            let label = endpoint.label();
            let pages = endpoint.shows_errors_as_pages();
            let component = endpoint.component();
            let management = endpoint.is_management();
            match translate::to_core(endpoint, &method, &uri, &headers, body) {
                Ok(mut req) => {
                    req.peer_addr = peer.map(|p| (p.0).0);
                    match state.client_certificate(&mut req, tls.map(|t| t.0), &headers) {
                        Ok(()) => {
                            state.client_address(&mut req, &headers);
                            let ctx = state.ctx(request_id.clone());
                            (label, state.engine.handle(req, &ctx).await)
                        }
                        Err(e) if pages => (label, Response::error(e).error_as_page()),
                        Err(e) => (label, Response::error(e)),
                    }
                }
                Err(e) if pages => (label, Response::error(e).error_as_page()),
                // SCIM answers in its own error form (RFC 7644 §3.12).
                Err(e) if component == "scim" => {
                    let why = e.description.as_deref().unwrap_or("malformed request");
                    (label, Response::error(ScimError::status(400, why)))
                }
                // The config API, and the admin routes of components, answer in
                // Janssen's `ApiError` form.
                Err(e) if component == "config-api" || management => {
                    let why = e.description.as_deref().unwrap_or("malformed request");
                    (label, Response::error(AdminError::new(400, why)))
                }
                Err(e) => (label, Response::error(e)),
            }
        }
    };
    if let Some(grant) = resp.issued_grant {
        state.metrics.token_issued(grant);
    }
    // Pages (the error page of the endpoints a browser visits) are rendered here.
    let mut out = state.pages.core(&resp);
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        out.headers_mut().insert("x-request-id", v);
    }
    state
        .metrics
        .observe(label, out.status().as_u16(), started.elapsed());
    out
}

/// A body the host would not read (over the route's size limit, or cut short): under the
/// SCIM and config API roots in their own error forms with the same status (413 for a
/// body too large), elsewhere as the host says it.
fn refused_body(
    state: &AppState,
    uri: &Uri,
    rejected: axum::extract::rejection::BytesRejection,
) -> axum::response::Response {
    let status = rejected.status().as_u16();
    let why = if status == 413 {
        "the request body is larger than this endpoint accepts".to_owned()
    } else {
        rejected.body_text()
    };
    let out = if uri.path().starts_with(jans_core::scim::paths::SCIM_PREFIX) {
        translate::from_core(&Response::error(ScimError::status(status, &why)))
    } else if uri.path().starts_with(jans_core::management::ROOT) {
        translate::from_core(&Response::error(AdminError::new(status, why)))
    } else {
        rejected.into_response()
    };
    state.metrics.observe(
        "refused_body",
        out.status().as_u16(),
        std::time::Duration::ZERO,
    );
    out
}

async fn live(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    state
        .metrics
        .observe("health", 200, std::time::Duration::ZERO);
    ([("content-type", "application/json")], r#"{"status":"UP"}"#)
}

async fn ready(State(state): State<Arc<AppState>>) -> axum::response::Response {
    let keys_loaded = !state.engine.keys().ring().algorithms().is_empty();
    let store_ok = state.engine.ready().await.is_ok();
    let (status, body) = if keys_loaded && store_ok {
        (StatusCode::OK, r#"{"status":"UP"}"#)
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"DOWN"}"#)
    };
    state
        .metrics
        .observe("health", status.as_u16(), std::time::Duration::ZERO);
    (status, [("content-type", "application/json")], body).into_response()
}

async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    state
        .metrics
        .observe("metrics", 200, std::time::Duration::ZERO);
    let mut text = state.metrics.render();
    text.push_str(&crate::telemetry::render_engine(&state.engine));
    (
        [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
}

/// Every route of the selected components (the engine's endpoints at Janssen's paths and
/// the login pages for `auth`), plus health and metrics, which every process serves.
pub fn routes(state: Arc<AppState>, components: crate::components::Components) -> Router {
    let mut r = Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics));
    if components.fido2 {
        r = fido2::routes(r, engine_route);
    }
    if components.auth {
        r = auth::routes(r, engine_route);
        r = uma::routes(r, engine_route);
    }
    if components.scim {
        // The engine's own limits (1 MiB, Bulk's bulkMaxPayloadSize) decide, with a SCIM
        // 413; one byte more reaches it so that it sees the excess.
        let scim = &state.engine.config().scim_configuration;
        let limit = scim
            .bulk_max_payload_size
            .max(jans_core::scim::MAX_BODY)
            .saturating_add(1);
        r = scim::routes(r, engine_route, limit);
    }
    if components.config_api {
        r = admin::routes(r, engine_route);
    }
    if components.casa {
        r = casa::routes(r, engine_route);
    }
    if components.saml {
        r = saml::routes(r, engine_route);
    }
    r.fallback(not_found).with_state(state)
}

/// Paths no route took: unknown, or of a component this process does not serve.
async fn not_found(State(state): State<Arc<AppState>>, uri: Uri) -> axum::response::Response {
    state
        .metrics
        .observe("not_found", 404, std::time::Duration::ZERO);
    let why = match Endpoint::from_path(uri.path()) {
        Some(_) => "not served by this node (see --components)",
        None => "no such endpoint",
    };
    // Under the SCIM root, SCIM's own error form (RFC 7644 §3.12).
    if uri.path().starts_with(jans_core::scim::paths::SCIM_PREFIX) {
        return translate::from_core(&Response::error(ScimError::status(404, why)));
    }
    // Under the config API's root (its own paths and the components' admin routes),
    // Janssen's `ApiError` form.
    if uri.path().starts_with(jans_core::management::ROOT) {
        return translate::from_core(&Response::error(AdminError::new(404, why)));
    }
    translate::from_core(&Response::error(OAuthError::new(ErrorCode::NotFound, why)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `X-Forwarded-For` names the client only through trusted proxies, and only its last
    /// untrusted hop counts (what precedes it, the client could have written).
    #[test]
    fn the_client_address_is_believed_from_trusted_proxies_only() {
        let engine = Engine::builder(jans_core::config::Config::default())
            .master_key([3; 32])
            .build()
            .unwrap();
        let proxies = ["10.0.0.0/8", "fd00::/8"]
            .iter()
            .map(|c| jans_core::outbound::Cidr::parse(c).unwrap())
            .collect();
        let state = AppState::new(
            engine,
            Arc::new(Metrics::default()),
            Arc::new(crate::OsRandom),
        )
        .with_trusted_proxies(proxies);
        let seen = |peer: &str, forwarded: &[&str]| {
            let mut req =
                jans_core::Request::new(jans_core::AuthEndpoint::Authorize, jans_core::Method::Get);
            req.peer_addr = Some(peer.parse().unwrap());
            let mut headers = HeaderMap::new();
            for f in forwarded {
                headers.append("x-forwarded-for", HeaderValue::from_str(f).unwrap());
            }
            state.client_address(&mut req, &headers);
            req.peer_addr.unwrap().ip().to_string()
        };
        assert_eq!(seen("10.1.2.3:443", &["203.0.113.9"]), "203.0.113.9");
        assert_eq!(
            seen("10.1.2.3:443", &["198.51.100.1, 203.0.113.9, 10.9.9.9"]),
            "203.0.113.9",
            "the last hop that is not a proxy"
        );
        assert_eq!(
            seen("10.1.2.3:443", &["198.51.100.1", "203.0.113.9"]),
            "203.0.113.9",
            "repeated headers read as one list"
        );
        assert_eq!(seen("[fd00::1]:443", &["2001:db8::7"]), "2001:db8::7");
        // From an untrusted peer, or without a readable header: the peer.
        assert_eq!(seen("192.0.2.1:443", &["203.0.113.9"]), "192.0.2.1");
        assert_eq!(seen("10.1.2.3:443", &[]), "10.1.2.3");
        assert_eq!(seen("10.1.2.3:443", &["not-an-ip"]), "10.1.2.3");
        assert_eq!(
            seen("10.1.2.3:443", &["203.0.113.9, junk, 10.9.9.9"]),
            "10.1.2.3",
            "nothing past a hop that does not read"
        );
        assert_eq!(
            seen("10.1.2.3:443", &["10.2.2.2"]),
            "10.1.2.3",
            "proxies only"
        );
    }
}
