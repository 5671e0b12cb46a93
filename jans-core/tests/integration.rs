//! Black-box flows through `Engine::handle` with the fake-clock harness (DESIGN.md §8).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod flows;
mod layering;
