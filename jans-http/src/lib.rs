//! jans-http: the hosts of the jans-rs engine.
//!
//! - [`host`]: what every host needs, with no server in it (clock, fork-safe randomness,
//!   data directory, outbound HTTP, background loops); `libjans` uses only this part
//!   (`default-features = false`).
//! - The server (feature `server`, on by default): the HTTP host (axum on hyper + tower)
//!   and the `jans` binary. [`router`] returns an `axum::Router` so other axum
//!   applications can mount it.

#[cfg(feature = "server")]
use std::sync::Arc;

#[cfg(feature = "server")]
use jans_core::Engine;

pub mod host;

#[cfg(feature = "server")]
pub mod components;
#[cfg(feature = "server")]
pub mod layers;
#[cfg(feature = "server")]
pub mod pages;
#[cfg(feature = "server")]
pub mod routes;
#[cfg(feature = "server")]
pub mod serve;
#[cfg(feature = "server")]
pub mod telemetry;
#[cfg(feature = "server")]
pub mod translate;

pub use host::{Background, OsRandom, delivery_loop, now, tick_loop};
#[cfg(feature = "server")]
pub use layers::HostConfig;
#[cfg(feature = "server")]
pub use routes::AppState;
#[cfg(feature = "server")]
pub use telemetry::Metrics;

/// The full router for `engine`, with the standard layers.
#[cfg(feature = "server")]
pub fn router(engine: Engine, host: HostConfig) -> axum::Router {
    router_with(
        Arc::new(AppState::new(
            engine,
            Arc::new(Metrics::default()),
            Arc::new(OsRandom),
        )),
        &host,
    )
}

/// The router over existing state (to share metrics with background tasks).
#[cfg(feature = "server")]
pub fn router_with(state: Arc<AppState>, host: &HostConfig) -> axum::Router {
    layers::apply(routes::routes(state, host.components), host)
}

/// Drive periodic engine work until `stop` resolves: due key rotations and sweeps of
/// expired grants, every `cleanServiceInterval` seconds (at most every 60 s, so rotation is
/// never late by more than a minute).
#[cfg(feature = "server")]
pub async fn background(
    state: Arc<AppState>,
    background: Background,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    background
        .run(state.engine.clone(), state.rng.clone(), stop)
        .await;
}
