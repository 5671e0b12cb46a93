//! Shared setup for the jans-rs criterion benches (`benches/token.rs`, `benches/jose.rs`).
//!
//! Engines are built in-process over [`Stores::memory`], with the operating system's random
//! generator and the real clock, as `jans serve` runs them; requests go through
//! [`Engine::handle`], the one entry point every host uses. The core is async but never
//! pends on the memory store, so [`futures_executor::block_on`] drives it.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use criterion::Criterion;
use jans_core::crypto::aws_lc::AwsLcProvider;
use jans_core::crypto::rustcrypto::RustCryptoProvider;
use jans_core::crypto::{CryptoProvider, SigningKey};
use jans_core::jose::Algorithm;
use jans_core::params::Params;
use jans_core::repo::Stores;
use jans_core::repo::client::{AuthMethod, ClientMetadata};
use jans_core::{AuthEndpoint, Body, Config, Ctx, Engine, Method, Random, Request, Response};

pub use futures_executor::block_on;

/// The algorithms the JWT benches cover: one per key family.
pub const ALGS: [Algorithm; 3] = [Algorithm::ES256, Algorithm::RS256, Algorithm::EdDSA];

/// Short runs: the bench machine is shared. Command-line flags still override these.
pub fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// A client-credentials access token of `engine` for a client registered with `metadata`
/// (which must use a secret): what the benches of protected APIs (SCIM, the config API)
/// present as their bearer token.
pub fn client_token(
    engine: &jans_core::Engine,
    metadata: jans_core::repo::client::ClientMetadata,
    ctx: &Ctx,
) -> String {
    let c = block_on(engine.register_client(metadata, ctx)).expect("client");
    let mut req = Request::new(jans_core::AuthEndpoint::Token, jans_core::Method::Post).with_form(
        jans_core::params::Params::from_pairs([(
            "grant_type".to_owned(),
            "client_credentials".to_owned(),
        )]),
    );
    req.authorization = Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            c.client.client_id,
            c.client_secret.expect("secret")
        ))
    ));
    let r = block_on(engine.handle(req, ctx));
    let body: serde_json::Value = serde_json::from_slice(&r.body_bytes()).expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

/// The operating system's CSPRNG behind the per-thread pool `jans serve` and libjans draw
/// from (`jans_http::OsRandom`): in-process and C ABI arms of a bench pay the same for
/// randomness.
pub use jans_http::OsRandom;

/// Seconds since the Unix epoch, from the system clock.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Both crypto providers, by the name benches use in their ids.
pub fn providers() -> [(&'static str, Arc<dyn CryptoProvider>); 2] {
    [
        ("aws_lc", Arc::new(AwsLcProvider)),
        ("rustcrypto", Arc::new(RustCryptoProvider)),
    ]
}

/// An engine with started keys and one `client_secret_basic` client allowed
/// `client_credentials`.
#[derive(Debug)]
pub struct Fixture {
    /// The engine.
    pub engine: Engine,
    /// The registered client's id.
    pub client_id: String,
    /// `Basic base64(client_id:client_secret)` (RFC 6749 §2.3.1).
    pub authorization: String,
    rng: Arc<dyn Random>,
}

impl Fixture {
    /// An engine over `provider` generating keys only for `alg` (fast setup), whose client
    /// gets reference access tokens, or RFC 9068 JWTs signed with `alg` when `jwt`.
    pub fn new(provider: Arc<dyn CryptoProvider>, alg: Algorithm, jwt: bool) -> Fixture {
        Fixture::with(Config::default(), provider, alg, jwt)
    }

    /// [`Fixture::new`] over `config` (its algorithms are replaced by `alg`).
    pub fn with(
        config: Config,
        provider: Arc<dyn CryptoProvider>,
        alg: Algorithm,
        jwt: bool,
    ) -> Fixture {
        let config = Config {
            default_signature_algorithm: alg,
            key_algs_allowed_for_generation: vec![alg.into()],
            ..config
        };
        let engine = Engine::builder(config)
            .master_key([7; 32])
            .provider(provider)
            .stores(Stores::memory())
            .build()
            .expect("engine config");
        let rng: Arc<dyn Random> = Arc::new(OsRandom);
        let ctx = Ctx::new(now(), rng.clone(), "bench-setup");
        block_on(engine.start(&ctx)).expect("key generation");
        let metadata = ClientMetadata {
            token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
            grant_types: vec!["client_credentials".to_owned()],
            scope: Some("read write".to_owned()),
            access_token_as_jwt: jwt,
            access_token_signing_alg: jwt.then_some(alg),
            ..ClientMetadata::default()
        };
        let registered = block_on(engine.register_client(metadata, &ctx)).expect("register");
        let client_id = registered.client.client_id;
        let secret = registered.client_secret.expect("client secret");
        // Ids are UUIDs and secrets base64url: form-urlencoding leaves both unchanged.
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"));
        Fixture {
            engine,
            client_id,
            authorization: format!("Basic {basic}"),
            rng,
        }
    }

    /// The random source the engine draws from.
    pub fn rng(&self) -> &dyn Random {
        self.rng.as_ref()
    }

    /// A per-request context as a host builds it: the real time and OS randomness.
    pub fn ctx(&self) -> Ctx {
        Ctx::new(now(), self.rng.clone(), "bench")
    }

    /// `POST /token` with `grant_type=client_credentials` and Basic client credentials.
    pub fn token_request(&self) -> Request {
        Request::new(AuthEndpoint::Token, Method::Post)
            .with_form(Params::from_pairs([("grant_type", "client_credentials")]))
            .with_authorization(self.authorization.clone())
    }

    /// `POST /introspection` of `token`, the caller authenticating with Basic credentials.
    pub fn introspection_request(&self, token: &str) -> Request {
        Request::new(AuthEndpoint::Introspection, Method::Post)
            .with_form(Params::from_pairs([("token", token)]))
            .with_authorization(self.authorization.clone())
    }

    /// Serve one request.
    pub fn handle(&self, req: Request) -> Response {
        block_on(self.engine.handle(req, &self.ctx()))
    }

    /// Issue one access token through the token endpoint.
    pub fn issue(&self) -> String {
        let response = self.handle(self.token_request());
        expect_json(&response)["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// The engine's active signing key for `alg`.
    pub fn signing_key(&self, alg: Algorithm) -> Arc<dyn SigningKey> {
        self.engine
            .keys()
            .ring()
            .signer(alg)
            .expect("active signer")
            .key
            .clone()
    }
}

impl Fixture {
    /// Time `Engine::handle` of `make()` requests, each answered with a JSON success. The
    /// requests and their contexts are built before the clock starts, as a host builds them
    /// before calling the engine; expired grants are swept before each sample, so with short
    /// lifetimes (`accessTokenLifetime = 1`) the store does not grow through the run (its
    /// rehashing would otherwise be what is measured).
    pub fn time_requests(
        &self,
        iters: u64,
        make: impl Fn(&Fixture) -> Request,
    ) -> std::time::Duration {
        block_on(self.engine.sweep(now() + 2)).expect("sweep");
        let batch: Vec<(Request, Ctx)> = (0..iters).map(|_| (make(self), self.ctx())).collect();
        let start = std::time::Instant::now();
        for (req, ctx) in batch {
            let r = block_on(self.engine.handle(req, &ctx));
            std::hint::black_box(expect_json(&r));
        }
        start.elapsed()
    }
}

/// The JSON body of a successful response; panics (failing the bench) on anything else.
pub fn expect_json(r: &Response) -> &serde_json::Value {
    match &r.body {
        Body::Json(v) => v,
        other => panic!("expected a JSON success, got {other:?}"),
    }
}

/// Split a compact JWS into (signing input, signature part).
pub fn split_jws(jws: &str) -> (&str, &str) {
    jws.rsplit_once('.').expect("compact JWS")
}
