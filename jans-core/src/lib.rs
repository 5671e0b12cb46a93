//! jans-core: the jans-rs engine, every protocol and no transport.
//!
//! ```text
//!  host (jans-http, jans-ffi, an embedder)
//!    │  builds Request { endpoint, method, query, form, authorization, .. } and Ctx { now, rng, request_id }
//!    ▼
//!  Engine::handle(Request, &Ctx) ──► endpoint module (oauth::token, oauth::introspect, ..)
//!    │                                 load  : stores (ClientStore, GrantStore, KeyStore)
//!    │                                 decide: pure functions (scope, rotation plan, claims)
//!    │                                 commit: stores (atomic take / insert)
//!    ▼
//!  Response { body: Json | Jwt | Empty | Redirect | Error, cache, headers } ──► host writes it
//! ```
//!
//! The core opens no socket, reads no clock and draws no randomness of its own
//! (DESIGN.md §3): time and randomness come in [`Ctx`], outbound HTTP through
//! [`http::HttpClient`], storage through the [`store`] traits.

pub mod auth;
pub mod b64;
pub mod config;
pub mod crypto;
pub mod ctx;
pub mod engine;
pub mod error;
#[doc(hidden)]
pub mod internal;
pub mod jose;
pub mod keys;
pub mod outbound;
pub mod params;
pub mod password;
pub mod repo;
pub mod request;
pub mod response;
pub mod services;
pub mod store;
pub mod testing;

pub use auth::AuthServer;
pub use config::Config;
pub use ctx::{Ctx, Random, UnixTime};
pub use engine::{Engine, EngineBuilder, RegisteredClient, TickReport};
pub use error::Error;
pub use request::{AuthEndpoint, Endpoint, Method, Request};
pub use response::{Body, Response};
pub use services::Services;
