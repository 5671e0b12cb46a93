//! Transport-free responses. The status code of every response is decided here, once, so
//! the HTTP host and the C ABI cannot drift (see `jans-http/src/translate.rs`).

use crate::error::ProtocolError;

/// What the endpoint answered.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Body {
    /// `application/json`, 200.
    Json(serde_json::Value),
    /// `application/json`, 201 (resource created).
    Created(serde_json::Value),
    /// A JSON body with another status (a health report's 503).
    JsonStatus(u16, serde_json::Value),
    /// A SCIM resource or message (`application/scim+json`, RFC 7644 §3.1) with its status.
    Scim(u16, serde_json::Value),
    /// A signed JWT body with its media type (`application/jwt`,
    /// `application/token-introspection+jwt`), 200.
    Jwt {
        /// Media type.
        content_type: &'static str,
        /// The compact JWS.
        jwt: String,
    },
    /// A plain-text body (Prometheus, health), 200.
    Text(String),
    /// An XML document with its media type (SAML metadata), 200.
    Xml {
        /// Media type.
        content_type: &'static str,
        /// The document.
        xml: String,
    },
    /// 200 with an empty body (RFC 7009 §2.2).
    Empty,
    /// 204.
    NoContent,
    /// 304: the client's copy is current (RFC 9110 §15.4.5).
    NotModified,
    /// 302 to this location.
    Redirect(String),
    /// OIDC Front-Channel Logout 1.0 §3: a page rendering each client's logout URI in an
    /// iframe, then moving on to `next`; 200.
    LogoutPage {
        /// The iframe URLs.
        iframes: Vec<String>,
        /// Where the browser goes afterwards.
        next: String,
    },
    /// An HTML page that POSTs `params` to `action` (OAuth 2.0 Form Post Response Mode);
    /// the host renders it, 200.
    FormPost {
        /// The client's redirect URI.
        action: String,
        /// The response parameters.
        params: Vec<(String, String)>,
    },
    /// A whole HTML page a component made (the check-session iframe of OIDC Session
    /// Management 1.0 §3.1) with the `Content-Security-Policy` it decided for it, 200.
    Html {
        /// The page.
        html: String,
        /// Its content security policy.
        csp: String,
    },
    /// A page the host renders from one of its templates (HTML hosts) or hands on as it
    /// is (the C ABI): the status, template and context are decided here, the CSP in
    /// [`Response::page_csp`].
    Page(Page),
    /// A protocol error; status and body from [`ProtocolError`].
    Error(ProtocolError),
}

/// A page for the host to render: which template, with what, and the status to send.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Page {
    /// The HTTP status.
    #[serde(skip)]
    pub status: u16,
    /// The template's name (`error.html`, ..), among the host's templates.
    pub template: &'static str,
    /// What the template shows.
    pub context: serde_json::Value,
    /// The page's own `Content-Security-Policy`, when it needs more than [`PAGE_CSP`]
    /// (a page that runs a WebAuthn ceremony loads a script and calls back).
    #[serde(skip)]
    pub csp: Option<&'static str>,
}

/// Content-Security-Policy of the pages hosts render from templates: their own stylesheet,
/// nothing else, never framed.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
                            frame-ancestors 'none'; base-uri 'none'";

/// Caching policy for the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cache {
    /// `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1, RFC 7662 §2.2).
    NoStore,
    /// Cacheable public metadata for this many seconds (discovery, JWKS).
    Public(u32),
}

/// A response from the engine.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// The body.
    pub body: Body,
    /// Caching policy.
    pub cache: Cache,
    /// Extra headers (e.g. `WWW-Authenticate`, `Allow`).
    pub headers: Vec<(&'static str, String)>,
    /// Hint for the host's metrics: the grant type when this response issued a token.
    pub issued_grant: Option<&'static str>,
}

impl Response {
    /// A 200 JSON response that must not be cached.
    pub fn json(v: serde_json::Value) -> Self {
        Response {
            body: Body::Json(v),
            cache: Cache::NoStore,
            headers: Vec::new(),
            issued_grant: None,
        }
    }

    /// A 200 JSON response that may be cached publicly for `secs`.
    pub fn public_json(v: serde_json::Value, secs: u32) -> Self {
        Response {
            cache: Cache::Public(secs),
            ..Response::json(v)
        }
    }

    /// A response with this body and `no-store`.
    pub fn with_body(body: Body) -> Self {
        Response {
            body,
            cache: Cache::NoStore,
            headers: Vec::new(),
            issued_grant: None,
        }
    }

    /// An error response, with the headers its protocol requires (the `WWW-Authenticate`
    /// challenges of RFC 6749 §5.2 and RFC 6750 §3).
    pub fn error(err: impl Into<ProtocolError>) -> Self {
        let err = err.into();
        let headers = err.headers();
        Response {
            body: Body::Error(err),
            cache: Cache::NoStore,
            headers,
            issued_grant: None,
        }
    }

    /// Add a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match &self.body {
            Body::Json(_)
            | Body::Jwt { .. }
            | Body::Text(_)
            | Body::Xml { .. }
            | Body::Empty
            | Body::FormPost { .. }
            | Body::LogoutPage { .. }
            | Body::Html { .. } => 200,
            Body::Created(_) => 201,
            Body::JsonStatus(s, _) | Body::Scim(s, _) => *s,
            Body::NoContent => 204,
            Body::NotModified => 304,
            Body::Redirect(_) => 302,
            Body::Error(e) => e.status(),
            Body::Page(p) => p.status,
        }
    }

    /// The `Content-Type`, if the body has one.
    pub fn content_type(&self) -> Option<&'static str> {
        match &self.body {
            Body::Scim(..) | Body::Error(ProtocolError::Scim(_)) => Some("application/scim+json"),
            Body::Json(_) | Body::Created(_) | Body::JsonStatus(..) | Body::Error(_) => {
                Some("application/json")
            }
            Body::Jwt { content_type, .. } | Body::Xml { content_type, .. } => Some(content_type),
            Body::Text(_) => Some("text/plain; version=0.0.4; charset=utf-8"),
            Body::FormPost { .. } | Body::LogoutPage { .. } | Body::Html { .. } | Body::Page(_) => {
                Some("text/html; charset=utf-8")
            }
            Body::Empty | Body::NoContent | Body::NotModified | Body::Redirect(_) => None,
        }
    }

    /// The body bytes.
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            Body::Json(v) | Body::Created(v) | Body::JsonStatus(_, v) | Body::Scim(_, v) => {
                serde_json::to_vec(v).unwrap_or_default()
            }
            Body::Error(e) => serde_json::to_vec(&e.to_json()).unwrap_or_default(),
            // A host without templates gets the page as data.
            Body::Page(p) => serde_json::to_vec(p).unwrap_or_default(),
            Body::Jwt { jwt, .. } => jwt.clone().into_bytes(),
            Body::Text(t) => t.clone().into_bytes(),
            Body::Xml { xml, .. } => xml.clone().into_bytes(),
            Body::FormPost { action, params } => form_post_html(action, params).into_bytes(),
            Body::LogoutPage { iframes, next } => logout_page_html(iframes, next).into_bytes(),
            Body::Html { html, .. } => html.clone().into_bytes(),
            Body::Empty | Body::NoContent | Body::NotModified | Body::Redirect(_) => Vec::new(),
        }
    }

    /// This response with a protocol error shown as the error page (`error.html`), for
    /// endpoints a browser visits: an error that cannot go back to the client is shown to
    /// the user (RFC 6749 §4.1.2.1).
    pub fn error_as_page(self) -> Response {
        match self.body {
            Body::Error(e) => {
                let (error, description) = e.code_and_description();
                Response::with_body(Body::Page(Page {
                    status: e.status(),
                    template: "error.html",
                    context: serde_json::json!({"error": error, "description": description}),
                    csp: None,
                }))
            }
            _ => self,
        }
    }

    /// The `Content-Security-Policy` of the pages the engine answers with, decided here so
    /// every host sends the same one: the front-channel logout page may frame exactly the
    /// clients' logout origins; the form-post page runs exactly its one script; a
    /// component's own page carries its own.
    pub fn page_csp(&self) -> Option<String> {
        match &self.body {
            Body::LogoutPage { iframes, .. } => {
                // Only the clients' logout pages may be framed here.
                let origins: Vec<String> = iframes.iter().filter_map(|u| frame_origin(u)).collect();
                Some(format!(
                    "default-src 'none'; frame-src {}; frame-ancestors 'none'",
                    origins.join(" ")
                ))
            }
            Body::FormPost { .. } => Some(format!(
                "default-src 'none'; script-src {}; frame-ancestors 'none'",
                script_hash(FORM_POST_SCRIPT)
            )),
            Body::Html { csp, .. } => Some(csp.clone()),
            Body::Page(p) => Some(p.csp.unwrap_or(PAGE_CSP).to_owned()),
            _ => None,
        }
    }

    /// All headers the host should send: content type, caching, location, extras.
    pub fn all_headers(&self) -> Vec<(&'static str, String)> {
        let mut h = Vec::with_capacity(self.headers.len() + 4);
        if let Some(ct) = self.content_type() {
            h.push(("content-type", ct.to_owned()));
        }
        if let Some(csp) = self.page_csp() {
            h.push(("content-security-policy", csp));
        }
        match self.cache {
            Cache::NoStore => {
                h.push(("cache-control", "no-store".to_owned()));
                h.push(("pragma", "no-cache".to_owned()));
            }
            Cache::Public(s) => h.push(("cache-control", format!("public, max-age={s}"))),
        }
        if let Body::Redirect(loc) = &self.body {
            h.push(("location", loc.clone()));
        }
        h.extend(self.headers.iter().cloned());
        h
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The script that submits the form; its SHA-256 goes into the page's CSP.
pub const FORM_POST_SCRIPT: &str = "document.forms[0].submit()";

/// The self-submitting page of the Form Post Response Mode (§2), with a button for browsers
/// without JavaScript.
pub fn form_post_html(action: &str, params: &[(String, String)]) -> String {
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Submit</title></head><body>",
    );
    html.push_str(&format!(
        "<form method=\"post\" action=\"{}\">",
        escape(action)
    ));
    for (k, v) in params {
        html.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(k),
            escape(v)
        ));
    }
    html.push_str("<noscript><button type=\"submit\">Continue</button></noscript></form>");
    html.push_str(&format!(
        "<script>{FORM_POST_SCRIPT}</script></body></html>"
    ));
    html
}

/// The front-channel logout page: hidden iframes, then a refresh to `next` once they had
/// a moment to load (no script needed).
pub fn logout_page_html(iframes: &[String], next: &str) -> String {
    let mut html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Signing out</title>\
         <meta http-equiv=\"refresh\" content=\"2;url={}\"></head><body><p>Signing out…</p>",
        escape(next)
    );
    for src in iframes {
        html.push_str(&format!(
            "<iframe src=\"{}\" width=\"0\" height=\"0\" style=\"display:none\"></iframe>",
            escape(src)
        ));
    }
    html.push_str(&format!(
        "<p><a href=\"{}\">Continue</a></p></body></html>",
        escape(next)
    ));
    html
}

impl From<crate::error::oauth::OAuthError> for Response {
    fn from(e: crate::error::oauth::OAuthError) -> Self {
        Response::error(e)
    }
}

/// CSP `script-src` source of one inline script, by its hash (CSP Level 3 §8.4).
pub fn script_hash(script: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash =
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes()));
    format!("'sha256-{hash}'")
}

/// `scheme://authority` of a registered `frontchannel_logout_uri`, cut with `split_once`
/// (never at a byte index: the URI is client metadata).
fn frame_origin(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    Some(format!("{scheme}://{authority}"))
}
