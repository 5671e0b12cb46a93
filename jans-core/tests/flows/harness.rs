//! The fake-clock harness: memory stores, a seeded generator, a clock moved by hand.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine as _;
use jans_core::crypto::CryptoProvider;
use jans_core::crypto::rustcrypto::RustCryptoProvider;
use jans_core::jose::{Algorithm, Jwks};
use jans_core::outbound::{AddressPolicy, HttpClient, HttpError, HttpResponse};
use jans_core::params::Params;
use jans_core::repo::Stores;
use jans_core::repo::client::ClientMetadata;
use jans_core::testing::block_on;
use jans_core::testing::{FakeClock, SeededRandom};
use jans_core::{AuthEndpoint, Config, Ctx, Engine, Method, RegisteredClient, Request, Response};

pub const T0: u64 = 1_800_000_000;
pub const ISSUER: &str = "https://id.example.com";

/// Canned outbound HTTP: url -> body; counts fetches.
#[derive(Debug, Default)]
pub struct CannedHttp {
    pub docs: Mutex<HashMap<String, Vec<u8>>>,
    pub fetches: Mutex<usize>,
    /// POSTs received: (url, body).
    pub posts: Mutex<Vec<(String, String)>>,
    /// Status answered to POSTs per URL (200 when absent).
    pub post_status: Mutex<HashMap<String, u16>>,
}

#[async_trait]
impl HttpClient for CannedHttp {
    async fn get(&self, url: &str, _policy: &AddressPolicy) -> Result<HttpResponse, HttpError> {
        *self.fetches.lock().unwrap() += 1;
        match self.docs.lock().unwrap().get(url) {
            Some(b) => Ok(HttpResponse {
                status: 200,
                body: b.clone(),
            }),
            None => Ok(HttpResponse {
                status: 404,
                body: Vec::new(),
            }),
        }
    }

    async fn post_form(
        &self,
        url: &str,
        body: &str,
        _policy: &AddressPolicy,
    ) -> Result<HttpResponse, HttpError> {
        self.posts
            .lock()
            .unwrap()
            .push((url.to_owned(), body.to_owned()));
        let status = *self.post_status.lock().unwrap().get(url).unwrap_or(&200);
        Ok(HttpResponse {
            status,
            body: Vec::new(),
        })
    }

    async fn post_json(
        &self,
        url: &str,
        bearer: &str,
        body: &[u8],
        _policy: &AddressPolicy,
    ) -> Result<HttpResponse, HttpError> {
        self.posts.lock().unwrap().push((
            url.to_owned(),
            format!("Bearer {bearer} {}", String::from_utf8_lossy(body)),
        ));
        let status = *self.post_status.lock().unwrap().get(url).unwrap_or(&200);
        Ok(HttpResponse {
            status,
            body: Vec::new(),
        })
    }
}

pub struct Harness {
    pub engine: Engine,
    pub clock: FakeClock,
    pub rng: Arc<SeededRandom>,
    pub http: Arc<CannedHttp>,
    pub stores: Stores,
}

pub fn config() -> Config {
    Config {
        issuer: ISSUER.to_owned(),
        key_algs_allowed_for_generation: vec![
            Algorithm::ES256.into(),
            Algorithm::EdDSA.into(),
            jans_core::jose::KeyAlgorithm::Enc(jans_core::jose::jwe::KeyAlg::EcdhEs),
        ],
        default_signature_algorithm: Algorithm::ES256,
        key_regeneration_interval: 1,
        ..Config::default()
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::with(config(), Stores::memory(), [7; 32])
    }

    pub fn with(config: Config, stores: Stores, master: [u8; 32]) -> Self {
        Self::with_seed(config, stores, master, 42)
    }

    /// A harness whose randomness (and so whose keys) differs from every other seed's.
    pub fn with_seed(config: Config, stores: Stores, master: [u8; 32], seed: u64) -> Self {
        Self::built(config, stores, master, seed, |b| b)
    }

    /// A harness whose engine `more` adds to (the host's parts: an IP-to-country table).
    pub fn built(
        config: Config,
        stores: Stores,
        master: [u8; 32],
        seed: u64,
        more: impl FnOnce(jans_core::EngineBuilder) -> jans_core::EngineBuilder,
    ) -> Self {
        let http = Arc::new(CannedHttp::default());
        let builder = Engine::builder(config)
            .stores(stores.clone())
            .master_key(master)
            .provider(Arc::new(RustCryptoProvider))
            .http_client(http.clone());
        let engine = more(builder).build().unwrap();
        let h = Harness {
            engine,
            clock: FakeClock::new(T0),
            rng: Arc::new(SeededRandom::new(seed)),
            http,
            stores,
        };
        block_on(h.engine.start(&h.ctx())).unwrap();
        h
    }

    pub fn ctx(&self) -> Ctx {
        Ctx::new(self.clock.now(), self.rng.clone(), "test")
    }

    pub fn provider(&self) -> Arc<dyn CryptoProvider> {
        self.engine.provider().clone()
    }

    pub fn register(&self, metadata: serde_json::Value) -> RegisteredClient {
        block_on(
            self.engine
                .register_client(ClientMetadata::from_json(metadata).unwrap(), &self.ctx()),
        )
        .unwrap()
    }

    /// Add a person `uid` whose password is "correct horse battery".
    pub fn add_user(&self, uid: &str) -> jans_core::repo::user::User {
        block_on(self.engine.add_user(
            jans_core::repo::user::User {
                uid: uid.into(),
                ..Default::default()
            },
            "correct horse battery",
            &self.ctx(),
        ))
        .unwrap()
    }

    pub fn call(&self, req: Request) -> Response {
        block_on(self.engine.handle(req, &self.ctx()))
    }

    pub fn post(
        &self,
        endpoint: AuthEndpoint,
        form: &[(&str, &str)],
        auth: Option<String>,
    ) -> Response {
        let mut req = Request::new(endpoint, Method::Post).with_form(Params::from_pairs(
            form.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        ));
        req.authorization = auth;
        self.call(req)
    }

    pub fn token(&self, form: &[(&str, &str)], auth: Option<String>) -> Response {
        self.post(AuthEndpoint::Token, form, auth)
    }

    /// client_credentials with Basic auth; returns the access token.
    pub fn cc_token(&self, c: &RegisteredClient) -> String {
        let r = self.token(&[("grant_type", "client_credentials")], Some(basic(c)));
        assert_eq!(r.status(), 200, "{:?}", r.body);
        json(&r)["access_token"].as_str().unwrap().to_owned()
    }

    pub fn introspect(&self, caller: &RegisteredClient, token: &str) -> serde_json::Value {
        let r = self.post(
            AuthEndpoint::Introspection,
            &[("token", token)],
            Some(basic(caller)),
        );
        assert_eq!(r.status(), 200, "{:?}", r.body);
        json(&r)
    }

    pub fn jwks(&self) -> Jwks {
        let r = self.call(Request::new(AuthEndpoint::Jwks, Method::Get));
        serde_json::from_value(json(&r)).unwrap()
    }

    /// Every grant record in the store (destructive: sweeps far in the future).
    pub fn count_grants(&self) -> usize {
        block_on(self.stores.grants.sweep(u64::MAX - 1, usize::MAX)).unwrap()
    }
}

pub fn basic(c: &RegisteredClient) -> String {
    basic_raw(&c.client.client_id, c.client_secret.as_deref().unwrap())
}

pub fn basic_raw(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

pub fn json(r: &Response) -> serde_json::Value {
    // A page (the error page of the endpoints a browser visits) shows its context.
    if let jans_core::Body::Page(p) = &r.body {
        return p.context.clone();
    }
    serde_json::from_slice(&r.body_bytes()).unwrap()
}

/// Assert an OAuth error response with this status and code.
pub fn assert_error(r: &Response, status: u16, code: &str) {
    assert_eq!(r.status(), status, "{:?}", r.body);
    assert_eq!(json(r)["error"], code, "{:?}", r.body);
}

pub fn header(r: &Response, name: &str) -> Option<String> {
    r.all_headers()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}
