//! What a SCIM client discovers: `/ServiceProviderConfig` (RFC 7643 §5), `/ResourceTypes`
//! (§6), `/Schemas` (§7), and Janssen's `/.well-known/scim-configuration` (the endpoint
//! URLs, as jans-scim answers it: a list of one object).

use serde_json::{Value, json};

use crate::config::scim::ScimConfiguration;
use crate::scim::resource::device::{FIDO_DEVICE, FIDO2_DEVICE};
use crate::scim::schema::{ENTERPRISE_USER, GLUU_USER, GROUP, Schema, USER};

/// Janssen's `/.well-known/scim-configuration`; `base` is the SCIM root
/// (`{issuer}/jans-scim/restv1/v2`).
pub fn scim_configuration(base: &str) -> Value {
    json!([{
        "version": "2.0",
        "authorization_supported": ["oauth2"],
        "user_endpoint": format!("{base}/Users"),
        "group_endpoint": format!("{base}/Groups"),
        "fido_devices_endpoint": format!("{base}/FidoDevices"),
        "fido2_devices_endpoint": format!("{base}/Fido2Devices"),
        "bulk_endpoint": format!("{base}/Bulk"),
        "service_provider_endpoint": format!("{base}/ServiceProviderConfig"),
        "resource_types_endpoint": format!("{base}/ResourceTypes"),
        "schemas_endpoint": format!("{base}/Schemas"),
    }])
}

/// `/ServiceProviderConfig` (RFC 7643 §5): PATCH, Bulk with its limits, filters with
/// `maxResults`, password change, sorting and ETags supported; OAuth bearer tokens
/// (RFC 6750) the one authentication scheme.
pub fn service_provider_config(base: &str, limits: &ScimConfiguration) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://docs.jans.io/",
        "patch": {"supported": true},
        "bulk": {
            "supported": true,
            "maxOperations": limits.bulk_max_operations,
            "maxPayloadSize": limits.bulk_max_payload_size,
        },
        "filter": {"supported": true, "maxResults": limits.max_count},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with an OAuth 2.0 bearer token issued by this server's auth-server",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}

/// One resource type (RFC 7643 §6).
fn resource_type(base: &str, id: &str, endpoint: &str, schema: &str, extensions: &[&str]) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": id,
        "name": id,
        "endpoint": endpoint,
        "description": format!("{id} resources"),
        "schema": schema,
        "schemaExtensions": extensions
            .iter()
            .map(|e| json!({"schema": e, "required": false}))
            .collect::<Vec<_>>(),
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{id}")},
    })
}

/// The resource types served: User (with the Enterprise and Janssen extensions), Group,
/// and Janssen's two views of FIDO registrations.
pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        resource_type(base, "User", "/Users", USER, &[ENTERPRISE_USER, GLUU_USER]),
        resource_type(base, "Group", "/Groups", GROUP, &[]),
        resource_type(base, "FidoDevice", "/FidoDevices", FIDO_DEVICE, &[]),
        resource_type(base, "Fido2Device", "/Fido2Devices", FIDO2_DEVICE, &[]),
    ]
}

/// `/Schemas`: every schema, each with its location.
pub fn schemas(base: &str, all: &[&Schema]) -> Vec<Value> {
    all.iter()
        .map(|s| s.to_json(&format!("{base}/Schemas/{}", s.id)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{enterprise_user, group, user};

    const BASE: &str = "https://id.example.com/jans-scim/restv1/v2";

    #[test]
    fn documents() {
        let c = scim_configuration(BASE);
        assert_eq!(c[0]["user_endpoint"], format!("{BASE}/Users"));
        assert_eq!(c[0]["authorization_supported"], json!(["oauth2"]));
        let spc = service_provider_config(BASE, &ScimConfiguration::default());
        assert_eq!(spc["bulk"]["maxOperations"], 30);
        assert_eq!(spc["bulk"]["maxPayloadSize"], 3_072_000);
        assert_eq!(spc["filter"]["maxResults"], 200);
        assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
        let types = resource_types(BASE);
        assert_eq!(types[0]["schemaExtensions"][0]["schema"], ENTERPRISE_USER);
        assert_eq!(types[1]["endpoint"], "/Groups");
        let s = schemas(BASE, &[&user(), &group(), &enterprise_user()]);
        assert_eq!(s.len(), 3);
        assert_eq!(s[1]["id"], GROUP);
        assert_eq!(s[0]["meta"]["location"], format!("{BASE}/Schemas/{USER}"));
        // The password's characteristics as RFC 7643 §8.7.1 gives them.
        let password = s[0]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "password")
            .unwrap();
        assert_eq!(password["returned"], "never");
        assert_eq!(password["mutability"], "writeOnly");
    }
}
