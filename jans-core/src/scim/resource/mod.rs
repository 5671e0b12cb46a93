//! SCIM resources over the engine's repositories: how a stored aggregate reads as a SCIM
//! resource (RFC 7643 §3) and what its `meta` says.

pub mod device;
pub mod group;
pub mod input;
pub mod user;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// A weak ETag of a resource's stored form (RFC 7644 §3.14, RFC 7232 §2.3): it changes
/// whenever what is stored changes.
pub fn version_of(stored: &impl serde::Serialize) -> String {
    let bytes = serde_json::to_vec(stored).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    format!(
        "W/\"{}\"",
        crate::b64::encode(digest.get(..12).unwrap_or_default())
    )
}

/// `meta` (RFC 7643 §3.1).
pub fn meta(
    resource_type: &str,
    created: u64,
    modified: u64,
    location: String,
    version: String,
) -> Value {
    serde_json::json!({
        "resourceType": resource_type,
        "created": crate::scim::datetime::format(created),
        "lastModified": crate::scim::datetime::format(modified),
        "location": location,
        "version": version,
    })
}
