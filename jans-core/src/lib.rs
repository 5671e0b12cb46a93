//! jans-core: the jans-rs engine — every protocol of Janssen's components, and no
//! transport.
//!
//! # The request flow
//!
//! ```text
//!  host (jans-http's server, jans-ffi's C ABI, an embedder)
//!    │  Request::from_http(Endpoint::from_path(path), method, query, headers, body)
//!    │  Ctx { now, rng, request_id }
//!    ▼
//!  Engine::handle(Request, &Ctx)                      engine/dispatch.rs
//!    │  Endpoint::Auth(AuthEndpoint::Token) ──► the component that serves it
//!    ▼
//!  AuthServer::handle ──► auth::oauth::token::handle  auth/ (one folder per component)
//!    │  load   : repositories and stores, through &Services (config, stores, keys, ..)
//!    │  decide : pure functions over the parsed request and the loaded state
//!    │  commit : atomic store operations (insert, take, increment)
//!    ▼
//!  Response { body: Json | Jwt | Redirect | FormPost | Html | Error, cache, headers }
//!    │  status(), all_headers() (CSP included) and body_bytes() decided here,
//!    ▼  so every host answers the same
//!  host writes it
//! ```
//!
//! # The component map
//!
//! | layer | modules |
//! |---|---|
//! | engine | [`engine`]: the [`Engine`] value (builder, cluster work, dispatch) |
//! | components | [`auth`]: the auth-server (OAuth 2.0, OpenID Connect, sign-in); [`fido2`]: the FIDO2 server (WebAuthn registration and authentication, attestation trust against FIDO metadata, legacy U2F) |
//! | services | [`services`]: what every component may use |
//! | foundations | [`request`], [`response`], [`error`], [`params`], [`ctx`], [`config`], [`jose`], [`crypto`], [`keys`], [`password`], [`otp`], [`qr`], [`outbound`], [`repo`], [`store`], [`b64`], [`x509`] |
//!
//! Foundations import no component and not the engine; a component imports neither the
//! engine nor another component (a test reads the imports and holds this). The engine is
//! the one place that knows every component. Where one component needs another's work, a
//! trait in [`services`] is the seam and the engine installs the implementation: the
//! auth-server's passkey sign-in runs the FIDO2 component's ceremonies through
//! [`services::KeyCeremonies`].
//!
//! # Where to start reading
//!
//! 1. [`request::Endpoint`] and [`auth::paths`]: what is served, at which path.
//! 2. [`engine::dispatch`]: how a request reaches its component.
//! 3. [`auth::oauth::token`]: one endpoint whole — client authentication, the grant, the
//!    tokens issued.
//! 4. [`store`]: the storage primitives every backend implements, and their rules
//!    (atomic single use, atomic counters, durability, expiry as data).
//!
//! The core opens no socket, reads no clock and draws no randomness of its own
//! (DESIGN.md §3): time and randomness come in [`Ctx`], outbound HTTP through
//! [`outbound::HttpClient`], storage through the [`store`] traits.

pub mod admin;
pub mod auth;
pub mod b64;
pub mod casa;
pub mod concurrent;
pub mod config;
pub mod crypto;
pub mod ctx;
pub mod engine;
pub mod error;
pub mod fido2;
pub mod first_party;
pub mod geo;
#[doc(hidden)]
pub mod internal;
pub mod jose;
pub mod keys;
pub mod management;
pub mod otp;
pub mod outbound;
pub mod params;
pub mod password;
pub mod qr;
pub mod repo;
pub mod request;
pub mod response;
pub mod saml;
pub mod scim;
pub mod services;
pub mod store;
pub mod testing;
pub mod uma;
pub mod x509;
pub mod xml;

pub use auth::AuthServer;
pub use config::Config;
pub use ctx::{Ctx, Random, UnixTime};
pub use engine::{Engine, EngineBuilder, RegisteredClient, TickReport};
pub use error::Error;
pub use request::{AuthEndpoint, Endpoint, Method, Request};
pub use response::{Body, Response};
pub use services::Services;
