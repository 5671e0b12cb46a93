//! HTML pages of the interaction API (DESIGN.md §3): login, consent and error pages as
//! minijinja templates embedded in the binary, each overridable by a file of the same name
//! in a templates directory. Forms carry the interaction's CSRF token; pages are served with
//! a strict CSP and `frame-ancestors 'none'`.

use std::path::Path;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use jans_core::auth::authn::session::{MAX_BROWSER_SESSIONS, SESSION_COOKIE, SESSIONS_COOKIE};
use jans_core::params::Params;

use crate::routes::AppState;

mod interaction;
pub use interaction::{show, submit};

const TEMPLATES: [(&str, &str); 18] = [
    (
        "webauthn_form.html",
        include_str!("../../templates/webauthn_form.html"),
    ),
    (
        "second_factor.html",
        include_str!("../../templates/second_factor.html"),
    ),
    ("account.html", include_str!("../../templates/account.html")),
    (
        "select_account.html",
        include_str!("../../templates/select_account.html"),
    ),
    ("base.html", include_str!("../../templates/base.html")),
    ("logout.html", include_str!("../../templates/logout.html")),
    (
        "logged_out.html",
        include_str!("../../templates/logged_out.html"),
    ),
    ("login.html", include_str!("../../templates/login.html")),
    ("consent.html", include_str!("../../templates/consent.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("device.html", include_str!("../../templates/device.html")),
    ("ciba.html", include_str!("../../templates/ciba.html")),
    ("create.html", include_str!("../../templates/create.html")),
    (
        "casa_base.html",
        include_str!("../../templates/casa_base.html"),
    ),
    (
        "casa_dashboard.html",
        include_str!("../../templates/casa_dashboard.html"),
    ),
    (
        "casa_otp.html",
        include_str!("../../templates/casa_otp.html"),
    ),
    (
        "casa_codes.html",
        include_str!("../../templates/casa_codes.html"),
    ),
    (
        "casa_admin.html",
        include_str!("../../templates/casa_admin.html"),
    ),
];

/// The stylesheet of every page.
pub const CSS: &str = include_str!("../../templates/jans.css");

/// The WebAuthn script of the sign-in and account pages (ours: no CDN).
pub const WEBAUTHN_JS: &str = include_str!("../../templates/webauthn.js");

/// CSP of pages running WebAuthn: our script too (and, for the account page, requests to
/// our own origin's FIDO2 API). No `form-action`: it would also bind the redirect to the
/// client that follows a sign-in (CSP 3 §6.4.1), as it does not for the other pages.
const WEBAUTHN_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
                            script-src 'self'; connect-src 'self'; frame-ancestors 'none'; \
                            base-uri 'none'";

/// Content-Security-Policy of the pages: core's, so every host sends the same.
const PAGE_CSP: &str = jans_core::response::PAGE_CSP;

/// The page templates.
#[derive(Debug)]
pub struct Pages {
    env: minijinja::Environment<'static>,
}

impl Pages {
    /// The embedded templates, each replaced by `DIR/<name>` when that file exists.
    pub fn load(dir: Option<&Path>) -> Result<Pages, crate::host::HostError> {
        let mut env = minijinja::Environment::new();
        for (name, source) in TEMPLATES {
            let text = match dir.map(|d| d.join(name)) {
                Some(p) if p.exists() => std::fs::read_to_string(&p)
                    .map_err(|e| crate::host::HostError::io("read", &p, e))?,
                _ => source.to_owned(),
            };
            env.add_template_owned(name, text).map_err(|e| {
                crate::host::HostError::invalid(
                    dir.map(|d| d.join(name)).unwrap_or_else(|| name.into()),
                    e,
                )
            })?;
        }
        Ok(Pages { env })
    }

    fn render(&self, name: &str, ctx: minijinja::Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }

    /// A page response; a template failure becomes a plain 500.
    pub fn page(&self, status: StatusCode, name: &str, ctx: minijinja::Value) -> Response {
        self.page_with_csp(status, name, ctx, PAGE_CSP)
    }

    /// A page response with its own Content-Security-Policy.
    pub fn page_with_csp(
        &self,
        status: StatusCode,
        name: &str,
        ctx: minijinja::Value,
        csp: &'static str,
    ) -> Response {
        match self.render(name, ctx) {
            Ok(html) => {
                let mut r = Response::new(Body::from(html));
                *r.status_mut() = status;
                let h = r.headers_mut();
                h.insert(
                    "content-type",
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                h.insert("cache-control", HeaderValue::from_static("no-store"));
                h.insert("content-security-policy", HeaderValue::from_static(csp));
                r
            }
            Err(e) => {
                tracing::error!(error = %e, template = name, "page rendering failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "page rendering failed").into_response()
            }
        }
    }

    /// The error page for an OAuth error, with its status: the page core decides for it.
    pub fn oauth_error(&self, e: &jans_core::error::oauth::OAuthError) -> Response {
        self.core(&jans_core::Response::error(e.clone()).error_as_page())
    }

    /// An engine response written for a browser: a [`jans_core::Body::Page`] rendered from
    /// its template with the engine's status and headers, anything else as it is.
    pub fn core(&self, resp: &jans_core::Response) -> Response {
        let jans_core::Body::Page(page) = &resp.body else {
            return crate::translate::from_core(resp);
        };
        let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::OK);
        let mut out = self.page(
            status,
            page.template,
            minijinja::Value::from(minijinja::value::Serde(&page.context)),
        );
        if out.status() == status {
            let h = out.headers_mut();
            for (name, value) in resp.all_headers() {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    let name = axum::http::HeaderName::from_static(name);
                    // Every cookie is sent; any other header once, the engine's.
                    if name == axum::http::header::SET_COOKIE {
                        h.append(name, v);
                    } else {
                        h.insert(name, v);
                    }
                }
            }
        }
        out
    }

    /// The error page for a request the page cannot take (`invalid_request`, 400).
    pub fn bad_request(&self, description: &str) -> Response {
        self.error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some(description),
        )
    }

    /// The error page for a protocol error.
    pub fn error(&self, status: StatusCode, error: &str, description: Option<&str>) -> Response {
        self.page(
            status,
            "error.html",
            minijinja::context! { error => error, description => description },
        )
    }
}

/// Human words for the standard scopes (OIDC Core §5.4).
fn describe(scope: &str) -> &'static str {
    match scope {
        "openid" => "sign you in",
        "profile" => "see your name and profile",
        "email" => "see your email address",
        "address" => "see your postal address",
        "phone" => "see your phone number",
        "offline_access" => "keep access while you are away",
        _ => "",
    }
}

/// A posted form, refused when malformed or when a field repeats (RFC 6749 §3.1 spirit).
fn parse_form(body: &Bytes) -> Option<Params> {
    Params::parse(body)
        .ok()
        .filter(|f| f.check_no_repeats().is_ok())
}

/// A form posted to one of the pages: each field once (absent reads as empty).
struct PostedForm(Params);

impl PostedForm {
    /// The form, or why it is refused.
    fn parse(body: &Bytes) -> Result<PostedForm, &'static str> {
        parse_form(body).map(PostedForm).ok_or("malformed form")
    }

    fn field(&self, name: &str) -> String {
        self.0.get(name).ok().flatten().unwrap_or("").to_owned()
    }
}

/// Every cookie the browser sent.
fn request_cookies(headers: &axum::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(jans_core::Request::parse_cookie_header)
        .collect()
}

/// The browser's session cookie values: the `jans_sessions` list, then `session_id`.
fn browser_sessions(headers: &axum::http::HeaderMap) -> Vec<String> {
    let cookies = request_cookies(headers);
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: &str| {
        if !v.is_empty() && v.len() <= 64 && !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    };
    for (n, v) in &cookies {
        if n == SESSIONS_COOKIE {
            v.split('.').for_each(&mut add);
        }
    }
    for (n, v) in &cookies {
        if n == SESSION_COOKIE {
            add(v);
        }
    }
    out.truncate(MAX_BROWSER_SESSIONS);
    out
}

/// After a login, add the new `session_id` to the browser's session list.
fn remember_session(mut resp: Response, headers: &axum::http::HeaderMap, secure: bool) -> Response {
    let new = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{SESSION_COOKIE}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    let Some(new) = new.filter(|v| !v.is_empty()) else {
        return resp;
    };
    let mut list = vec![new];
    for v in browser_sessions(headers) {
        if !list.contains(&v) && list.len() < MAX_BROWSER_SESSIONS {
            list.push(v);
        }
    }
    let cookie = format!(
        "{SESSIONS_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{}",
        list.join("."),
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append("set-cookie", v);
    }
    resp
}

/// `GET /jans-auth/logout?logout=ID` (confirmation) or `?done=1` (signed out).
pub async fn logout_page(
    State(state): State<Arc<AppState>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let Some(id) = q.get("logout").filter(|id| id.len() <= 128) else {
        return state
            .pages
            .page(StatusCode::OK, "logged_out.html", minijinja::context! {});
    };
    let ctx = state.ctx("logout".to_owned());
    match state.engine.logout_request(id, &ctx).await {
        Ok(Some(p)) => {
            let client_name = match &p.client_id {
                Some(c) => state
                    .engine
                    .client(c)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|c| c.metadata.client_name),
                None => None,
            };
            state.pages.page(
                StatusCode::OK,
                "logout.html",
                minijinja::context! { logout => id, csrf => p.csrf, client_name => client_name },
            )
        }
        Ok(None) => state
            .pages
            .bad_request("This sign-out request has expired."),
        Err(e) => {
            tracing::error!(error = %e, "logout lookup failed");
            state
                .pages
                .error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", None)
        }
    }
}

/// `POST /jans-auth/logout`: the confirmation form.
pub async fn logout_submit(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let bad = |d: &'static str| state.pages.bad_request(d);
    let form = match PostedForm::parse(&body) {
        Ok(f) => f,
        Err(d) => return bad(d),
    };
    let field = |n: &str| form.field(n);
    let cookies = request_cookies(&headers);
    let cookie = cookies
        .iter()
        .find(|(n, _)| n == jans_core::auth::authn::session::SESSION_COOKIE)
        .map(|(_, v)| v.as_str());
    let ctx = state.ctx("logout".to_owned());
    match state
        .engine
        .confirm_logout(
            &field("logout"),
            &field("csrf"),
            field("action") == "logout",
            cookie,
            &ctx,
        )
        .await
    {
        Ok(r) => crate::translate::from_core(&r),
        Err(e) => state.pages.oauth_error(&e.to_oauth()),
    }
}

/// `GET /jans-auth/account`: the signed-in user's passkeys, and a button to add one.
pub async fn account(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
) -> Response {
    let cookies = request_cookies(&headers);
    let cookie = cookies
        .iter()
        .find(|(n, _)| n == SESSION_COOKIE)
        .map(|(_, v)| v.clone());
    let ctx = state.ctx("account".to_owned());
    let user = match cookie {
        Some(c) => state.engine.signed_in_user(&c, &ctx).await,
        None => Ok(None),
    };
    let user = match user {
        Ok(Some(u)) => u,
        Ok(None) => {
            return state.pages.error(
                StatusCode::UNAUTHORIZED,
                "login_required",
                Some("Sign in to an application first; then come back to manage your passkeys."),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "account lookup failed");
            return state
                .pages
                .error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", None);
        }
    };
    let registrations = state
        .engine
        .fido2_registrations(&user.uid)
        .await
        .unwrap_or_default();
    let date = jans_core::ctx::format_date;
    let items: Vec<minijinja::Value> = registrations
        .iter()
        .map(|r| {
            minijinja::context! {
                name => r.nickname.clone().unwrap_or_else(|| {
                    if r.backup_eligible { "Passkey".to_owned() } else { "Security key".to_owned() }
                }),
                created => date(r.created_at),
                last_used => r.last_used_at.map(date),
                synced => r.backup_eligible,
            }
        })
        .collect();
    state.pages.page_with_csp(
        StatusCode::OK,
        "account.html",
        minijinja::context! { username => user.uid, registrations => items },
        WEBAUTHN_CSP,
    )
}

/// `GET /jans-auth/static/webauthn.js`.
pub async fn webauthn_js() -> Response {
    let mut r = Response::new(Body::from(WEBAUTHN_JS));
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    r.headers_mut().insert(
        "cache-control",
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// `GET /jans-auth/static/jans.css`.
pub async fn css() -> Response {
    let mut r = Response::new(Body::from(CSS));
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        "cache-control",
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_and_escape() {
        let p = Pages::load(None).unwrap();
        let html = p
            .render(
                "login.html",
                minijinja::context! {
                    interaction => "i1", csrf => "c1", client_name => "<script>x</script>",
                    login_hint => "", error => None::<String>,
                },
            )
            .unwrap();
        assert!(html.contains("name=\"csrf\" value=\"c1\""));
        assert!(html.contains("&lt;script&gt;"), "auto-escaped");
        assert!(!html.contains("<script>x"));
        // Authorization details (RFC 9396) asked for are listed at consent.
        let consent = p
            .render(
                "consent.html",
                minijinja::context! {
                    interaction => "i", csrf => "c", client_name => "RP",
                    scopes => Vec::<minijinja::Value>::new(), details => vec!["payment_initiation"],
                },
            )
            .unwrap();
        assert!(consent.contains("payment_initiation"));
        // The device verification page (RFC 8628 §3.3), in each of its stages.
        let form = p
            .render(
                "device.html",
                minijinja::context! {
                    stage => "enter", csrf => "c2", user_code => "\"><b>", error => "wrong",
                },
            )
            .unwrap();
        assert!(form.contains("name=\"csrf\" value=\"c2\""));
        assert!(form.contains("action=\"/jans-auth/device-code\""));
        assert!(form.contains("&quot;&gt;&lt;b&gt;") && form.contains("wrong"));
        for (stage, heading) in [
            ("approved", "Device connected"),
            ("denied", "Request denied"),
            ("expired", "Code expired"),
        ] {
            let html = p
                .render("device.html", minijinja::context! { stage => stage })
                .unwrap();
            assert!(html.contains(heading) && !html.contains("<form"), "{stage}");
        }
        // The CIBA approval page: each request with its binding message, escaped.
        let ciba = p
            .render(
                "ciba.html",
                minijinja::context! {
                    csrf => "c3", answered => "approved",
                    requests => vec![minijinja::context! {
                        reference => "ref-1", client_id => "c", client_name => "Bank <b>",
                        binding_message => "W4SC", scopes => vec!["openid", "profile"],
                    }],
                },
            )
            .unwrap();
        assert!(ciba.contains("W4SC") && ciba.contains("Bank &lt;b&gt;"));
        assert!(ciba.contains("name=\"reference\" value=\"ref-1\"") && ciba.contains("Approved"));
        assert!(ciba.contains("openid, profile"));
        let empty = p
            .render(
                "ciba.html",
                minijinja::context! { requests => Vec::<minijinja::Value>::new() },
            )
            .unwrap();
        assert!(empty.contains("No sign-in requests") && !empty.contains("<form"));
        // The second factor: the code form of the factor asked, the others as buttons.
        let second = p
            .render(
                "second_factor.html",
                minijinja::context! {
                    interaction => "i4", csrf => "c4", client_name => "RP", factor => "otp",
                    others => vec![minijinja::context! { name => "recovery_code", label => "Use a recovery code" }],
                },
            )
            .unwrap();
        assert!(second.contains("name=\"action\" value=\"otp\""));
        assert!(second.contains("autocomplete=\"one-time-code\""));
        assert!(second.contains("name=\"factor\" value=\"recovery_code\""));
        assert!(second.contains("Use a recovery code") && !second.contains("webauthn.js"));
        let recovery = p
            .render(
                "second_factor.html",
                minijinja::context! {
                    interaction => "i5", csrf => "c5", client_name => "RP", factor => "recovery_code",
                },
            )
            .unwrap();
        assert!(
            recovery.contains("One of your recovery codes")
                && !recovery.contains("Try another way")
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("error.html"), "custom {{ error }}").unwrap();
        let p = Pages::load(Some(dir.path())).unwrap();
        assert_eq!(
            p.render("error.html", minijinja::context! { error => "e" })
                .unwrap(),
            "custom e"
        );
    }
}
