//! jans-core: the jans-rs engine.
pub mod b64;
pub mod crypto;
pub mod ctx;
pub mod jose;
