//! WebAuthn assertion verification, beside one bare signature verification in the same run
//! (issue 12's target: assertion verification, ES256 on aws_lc, at most 1.3× one raw ES256
//! verification):
//!
//! - `fido2_assertion/verify/{provider}`: what the server does with an `assertion/result`
//!   body once the ceremony and the registration are loaded: decode the browser's JSON
//!   (base64url members, clientDataJSON), check the client data, parse the authenticator
//!   data, check flags and owner, read the stored COSE key, verify the signature
//!   (`jans_core::fido2::assertion::{AssertionInput::decode, verify}`);
//! - `verify/ES256-webauthn/{provider}`: the same key, already parsed, verifying the same
//!   signature over the same bytes;
//! - `fido2_assertion/finish/{provider}`: `assertion/result` through `Engine::handle` on the
//!   memory store (the ceremony taken, the registration read and its counter written), the
//!   authenticator's signing done beforehand, outside the measurement;
//! - `passkey_login/{provider}`: a whole passkey sign-in of a relying party, server side
//!   only: the authorization request (`acr_values=passkey`), the login page's WebAuthn
//!   options, the assertion submitted through the interaction API (session created, code
//!   issued), the code redeemed for an access token and an ES256 ID token. The
//!   authenticator's signature is made between the timed steps and not counted;
//! - `passkey_login/2-threads/{provider}`: the same by two threads for two people at once,
//!   wall time with the authenticators' signing in it;
//! - `passkey_login/2-threads-server/{provider}`: the same two threads, the server's time
//!   only: each thread sums the time its logins spent in the server (the signing left out),
//!   and the busier thread's sum is the time of all the logins.

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jans_benches::{OsRandom, block_on, now, providers};
use jans_core::crypto::{CryptoProvider, VerifyingKey};
use jans_core::fido2::assertion::{AssertionInput, Policy, verify};
use jans_core::fido2::ceremony::{Ceremony, Kind, UserVerification};
use jans_core::fido2::credential::AuthenticationResponse;
use jans_core::jose::Algorithm;
use jans_core::repo::fido2::Fido2Registration;
use jans_core::repo::grant::token_key;
use jans_core::repo::session::Session;
use jans_core::request::Fido2Endpoint;
use jans_core::testing::authenticator::{Attestation, SoftAuthenticator};
use jans_core::{Config, Ctx, Engine, Method, Random, Request};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "https://id.example.com";
const RP_ID: &str = "id.example.com";

/// One assertion ready to verify, with what the server loaded for it.
struct Case {
    response: Value,
    ceremony: Ceremony,
    registration: Fido2Registration,
    /// The signed bytes and the JWS-form signature, for the bare verification.
    signed: Vec<u8>,
    signature: Vec<u8>,
    key: Arc<dyn VerifyingKey>,
}

fn case(provider: &Arc<dyn CryptoProvider>) -> Case {
    let rng = OsRandom;
    let mut a = SoftAuthenticator::new(provider.as_ref(), Algorithm::ES256, &rng).expect("key");
    a.user_handle = Some(b"bench-user".to_vec());
    let challenge = jans_core::b64::encode(&[9; 32]);
    let options = json!({"challenge": challenge, "rpId": RP_ID});
    let response = a.assert(&options, ORIGIN, &rng).expect("assertion");
    let cose = a.cose_key().expect("cose");
    let registration = Fido2Registration {
        user_inum: "bench-user".into(),
        username: "bench".into(),
        credential_id: jans_core::b64::encode(&a.credential_id),
        public_key: jans_core::b64::encode(&cose),
        algorithm: -7,
        sign_count: 0,
        aaguid: String::new(),
        transports: Vec::new(),
        backup_eligible: false,
        backed_up: false,
        attestation_format: "none".into(),
        attestation_type: "none".into(),
        attestation_trusted: false,
        rp_id: RP_ID.into(),
        origin: ORIGIN.into(),
        discoverable: Some(true),
        app_id: None,
        nickname: None,
        created_at: 0,
        last_used_at: None,
        clone_warning: false,
        attestation_problem: None,
        authenticator_name: None,
    };
    let ceremony = Ceremony {
        kind: Kind::Assertion,
        challenge,
        rp_id: RP_ID.into(),
        origins: vec![ORIGIN.into()],
        user_inum: None,
        username: None,
        user_verification: UserVerification::Preferred,
        attestation: None,
        algorithms: Vec::new(),
        resident_key_required: false,
        allow_credentials: Vec::new(),
        app_id: None,
    };
    let parsed: AuthenticationResponse =
        serde_json::from_value(response.clone()).expect("response");
    let input = AssertionInput::decode(parsed).expect("decode");
    let mut signed = input.authenticator_data.clone();
    signed.extend_from_slice(&Sha256::digest(&input.client_data_json));
    let (_, key) =
        jans_core::fido2::cose::verifying_key(provider.as_ref(), &cose, &[Algorithm::ES256])
            .expect("key");
    let signature =
        jans_core::fido2::signature::to_jws(Algorithm::ES256, &input.signature).expect("der");
    Case {
        response,
        ceremony,
        registration,
        signed,
        signature,
        key,
    }
}

fn assertion(c: &mut Criterion) {
    let enabled = [Algorithm::ES256];
    let policy = Policy {
        keys: None,
        allowed_top_origins: &[],
        enabled: &enabled,
    };
    for (name, provider) in providers() {
        let case = case(&provider);
        let mut g = c.benchmark_group("fido2_assertion");
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("verify/{name}"), |b| {
            b.iter(|| {
                let parsed: AuthenticationResponse =
                    serde_json::from_value(black_box(case.response.clone())).expect("json");
                let input = AssertionInput::decode(parsed).expect("decode");
                verify(
                    &input,
                    &case.ceremony,
                    &case.registration,
                    &policy,
                    provider.as_ref(),
                )
                .expect("valid assertion")
            })
        });
        g.finish();
        let mut g = c.benchmark_group("verify");
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("ES256-webauthn/{name}"), |b| {
            b.iter(|| {
                case.key
                    .verify(black_box(&case.signed), black_box(&case.signature))
                    .expect("valid signature")
            })
        });
        g.finish();
    }
}

const CB: &str = "https://rp.example.com/cb";
// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// An engine, a relying party of it (a trusted client), and a way to give people passkeys.
struct Rig {
    engine: Engine,
    rng: Arc<dyn Random>,
    provider: Arc<dyn CryptoProvider>,
    client_id: String,
    basic: String,
}

impl Rig {
    fn new(provider: Arc<dyn CryptoProvider>) -> Rig {
        let config = Config {
            issuer: ORIGIN.into(),
            ..Config::default()
        };
        let engine = Engine::builder(config)
            .master_key([3; 32])
            .provider(provider.clone())
            .build()
            .expect("engine");
        let rng: Arc<dyn Random> = Arc::new(OsRandom);
        let ctx = Ctx::new(now(), rng.clone(), "bench");
        block_on(engine.start(&ctx)).expect("start");
        let metadata = jans_core::repo::client::ClientMetadata::from_json(json!({
            "redirect_uris": [CB],
            "trusted_client": true,
            "id_token_signed_response_alg": "ES256",
        }))
        .expect("metadata");
        let client = block_on(engine.register_client(metadata, &ctx)).expect("client");
        let basic = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                client.client.client_id,
                client.client_secret.as_deref().expect("secret")
            ))
        };
        Rig {
            engine,
            rng,
            provider,
            client_id: client.client.client_id,
            basic,
        }
    }

    fn ctx(&self) -> Ctx {
        Ctx::new(now(), self.rng.clone(), "bench")
    }

    fn call(&self, endpoint: Fido2Endpoint, body: &Value) -> Value {
        let mut req = Request::new(endpoint, Method::Post);
        req.body = serde_json::to_vec(body).expect("json");
        let resp = block_on(self.engine.handle(req, &self.ctx()));
        assert_eq!(resp.status(), 200, "{:?}", resp.body);
        match resp.body {
            jans_core::Body::Json(v) => v,
            other => panic!("{other:?}"),
        }
    }

    /// A new person `uid` with a passkey, registered in a session of theirs.
    fn enrol(&self, uid: &str) -> SoftAuthenticator {
        let ctx = self.ctx();
        let user = block_on(self.engine.add_user(
            jans_core::repo::user::User {
                uid: uid.into(),
                ..Default::default()
            },
            "correct horse battery",
            &ctx,
        ))
        .expect("user");
        let cookie = ctx.random_token(16);
        let session = Session {
            sid: "sid".into(),
            user_inum: user.inum.clone(),
            auth_time: now(),
            acr: "simple_password_auth".into(),
            amr: vec!["pwd".into()],
            opbs: String::new(),
            clients: Vec::new(),
        };
        block_on(self.engine.stores().sessions.insert(
            &token_key(&cookie),
            &session,
            now(),
            now() + 86_400,
        ))
        .expect("session");
        let mut key =
            SoftAuthenticator::new(self.provider.as_ref(), Algorithm::ES256, self.rng.as_ref())
                .expect("key");
        let options = self.call(
            Fido2Endpoint::AttestationOptions,
            &json!({"username": uid, "session_id": cookie}),
        );
        let reg = key
            .register(&options, ORIGIN, Attestation::None, self.rng.as_ref())
            .expect("register");
        self.call(Fido2Endpoint::AttestationResult, &reg);
        key
    }

    /// One passkey sign-in of `key`'s owner, from `/authorize` (`acr_values=passkey`) to the
    /// tokens; the time the server spent (the authenticator's signing left out).
    fn passkey_login(&self, key: &mut SoftAuthenticator) -> std::time::Duration {
        use jans_core::auth::authn::interaction::LoginResult;
        use jans_core::params::Params;
        use jans_core::{AuthEndpoint, Body};
        let query = |url: &str, name: &str| -> String {
            let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
            Params::parse(q.as_bytes())
                .expect("query")
                .get(name)
                .expect("unique")
                .expect("present")
                .to_owned()
        };
        let location = |r: &jans_core::Response| match &r.body {
            Body::Redirect(l) => l.clone(),
            other => panic!("expected a redirect: {other:?}"),
        };
        let t = std::time::Instant::now();
        let mut req = Request::new(AuthEndpoint::Authorize, Method::Get);
        req.query = Params::from_pairs([
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", CB),
            ("scope", "openid"),
            ("nonce", "n"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("acr_values", "passkey"),
        ]);
        let r = block_on(self.engine.handle(req, &self.ctx()));
        let id = query(&location(&r), "interaction");
        let view = block_on(self.engine.interaction(&id, &self.ctx()))
            .expect("view")
            .expect("interaction");
        let mut spent = t.elapsed();
        let signed = key
            .assert(
                view.webauthn.as_ref().expect("options"),
                ORIGIN,
                self.rng.as_ref(),
            )
            .expect("assert");
        let body = serde_json::to_vec(&signed).expect("json");
        let t = std::time::Instant::now();
        let done = block_on(
            self.engine
                .interaction_webauthn(&id, &view.csrf, &body, &self.ctx()),
        )
        .expect("sign-in");
        let LoginResult::Done(r) = done else {
            panic!("the passkey was refused");
        };
        let code = query(&location(&r), "code");
        let req = Request::new(AuthEndpoint::Token, Method::Post)
            .with_form(Params::from_pairs([
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ]))
            .with_authorization(format!("Basic {}", self.basic));
        let r = block_on(self.engine.handle(req, &self.ctx()));
        assert_eq!(r.status(), 200, "{:?}", r.body);
        spent += t.elapsed();
        spent
    }
}

/// An engine with one user holding one passkey; `assertion/result` bodies made ahead.
struct Server {
    rig: Rig,
    authenticator: RefCell<SoftAuthenticator>,
}

impl Server {
    fn new(provider: Arc<dyn CryptoProvider>) -> Server {
        let rig = Rig::new(provider);
        let key = rig.enrol("bench");
        Server {
            rig,
            authenticator: RefCell::new(key),
        }
    }

    /// A usernameless ceremony started and answered by the authenticator.
    fn signed_assertion(&self) -> Vec<u8> {
        let options = self.rig.call(Fido2Endpoint::AssertionOptions, &json!({}));
        let resp = self
            .authenticator
            .borrow_mut()
            .assert(&options, ORIGIN, self.rig.rng.as_ref())
            .expect("assert");
        serde_json::to_vec(&resp).expect("json")
    }
}

fn finish(c: &mut Criterion) {
    for (name, provider) in providers() {
        let server = Server::new(provider);
        let mut g = c.benchmark_group("fido2_assertion");
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("finish/{name}"), |b| {
            b.iter_batched(
                || server.signed_assertion(),
                |body| {
                    let mut req = Request::new(Fido2Endpoint::AssertionResult, Method::Post);
                    req.body = body;
                    let resp = block_on(server.rig.engine.handle(req, &server.rig.ctx()));
                    assert_eq!(resp.status(), 200, "{:?}", resp.body);
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

/// `passkey_login/{provider}`: one thread, the server's time only.
/// `passkey_login/2-threads/{provider}`: two threads signing in two people at once, wall
/// time, the authenticators' signing included (so the rate is a floor for the server's).
fn passkey_login(c: &mut Criterion) {
    for (name, provider) in providers() {
        let rig = Rig::new(provider);
        let mut keys = [rig.enrol("p1"), rig.enrol("p2")];
        let mut g = c.benchmark_group("passkey_login");
        g.throughput(Throughput::Elements(1));
        g.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| rig.passkey_login(&mut keys[0])).sum())
        });
        g.bench_function(format!("2-threads/{name}"), |b| {
            b.iter_custom(|iters| {
                let t = std::time::Instant::now();
                std::thread::scope(|s| {
                    let (a, b) = keys.split_at_mut(1);
                    let rig = &rig;
                    for (key, n) in [(&mut a[0], iters.div_ceil(2)), (&mut b[0], iters / 2)] {
                        s.spawn(move || {
                            for _ in 0..n {
                                rig.passkey_login(key);
                            }
                        });
                    }
                });
                t.elapsed()
            })
        });
        // Each thread sums the server's time of its own logins, the authenticator's signing
        // left out as in `passkey_login/{provider}`; the busier thread's sum over all the
        // logins is the time per login of two cores serving two people at once.
        g.bench_function(format!("2-threads-server/{name}"), |b| {
            b.iter_custom(|iters| {
                std::thread::scope(|s| {
                    let (a, b) = keys.split_at_mut(1);
                    let rig = &rig;
                    let workers: Vec<_> = [(&mut a[0], iters.div_ceil(2)), (&mut b[0], iters / 2)]
                        .into_iter()
                        .map(|(key, n)| {
                            s.spawn(move || {
                                (0..n)
                                    .map(|_| rig.passkey_login(key))
                                    .sum::<std::time::Duration>()
                            })
                        })
                        .collect();
                    workers
                        .into_iter()
                        .map(|w| w.join().expect("worker"))
                        .max()
                        .unwrap_or_default()
                })
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = jans_benches::criterion();
    targets = assertion, finish, passkey_login
}
criterion_main!(benches);
