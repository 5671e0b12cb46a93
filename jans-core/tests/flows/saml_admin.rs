//! The SAML IdP's trust relationships through the config API, at Janssen's kc-saml plugin
//! paths (`/jans-config-api/kc/saml/trust-relationship...`): uploaded as
//! `multipart/form-data` with the SP's metadata, listed, read, changed, their metadata
//! file read back, removed; bearer tokens with Janssen's `saml.readonly` / `saml.write`
//! scopes; refusals in Janssen's `ApiError` form, and nothing stored by a refused one.

use jans_core::jose::Algorithm;
use jans_core::request::{AdminEndpoint, SamlEndpoint};
use jans_core::testing::block_on;
use jans_core::{Method, Request, Response};
use serde_json::{Value, json};

use super::admin_util::{refused, token};
use super::harness::*;

const READ: &str = "https://jans.io/oauth/config/saml.readonly";
const WRITE: &str = "https://jans.io/oauth/config/saml.write";
const BOUNDARY: &str = "----jans-test-7MA4YWxkTrZu0gW";
const WIKI: &str = "https://wiki.example.test/saml";
/// The default attributes `uid` and `mail`, as Janssen names released attributes.
const UID: &str = "inum=29DA,ou=attributes,o=jans";
const MAIL: &str = "inum=8F88,ou=attributes,o=jans";

/// SP metadata of `entity`, with a new signing key's self-signed certificate.
fn sp_metadata(h: &Harness, entity: &str) -> String {
    let key = h
        .provider()
        .generate(Algorithm::ES256, h.rng.as_ref())
        .unwrap();
    let der = jans_core::x509::build::self_signed(
        key.as_ref(),
        "sp.example.test",
        &[7, 1],
        T0,
        T0 + 365 * 86_400,
        h.rng.as_ref(),
    )
    .unwrap();
    let cert = jans_core::b64::encode_std(&der);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}">
  <md:SPSSODescriptor AuthnRequestsSigned="true"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{cert}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{entity}/slo"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="{entity}/acs" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"#
    )
}

/// A `multipart/form-data` body as the Admin UI sends it: the JSON part, then the file.
fn form(tr: &Value, file: Option<&str>) -> Vec<u8> {
    let mut b = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"trustRelationship\"; \
         filename=\"blob\"\r\nContent-Type: application/json\r\n\r\n{tr}\r\n"
    );
    if let Some(f) = file {
        b.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"metaDataFile\"; \
             filename=\"sp-metadata.xml\"\r\nContent-Type: text/xml\r\n\r\n{f}\r\n"
        ));
    }
    b.push_str(&format!("--{BOUNDARY}--\r\n"));
    b.into_bytes()
}

fn call(h: &Harness, endpoint: SamlEndpoint, method: Method, token: Option<&str>) -> Response {
    let mut req = Request::new(endpoint, method);
    req.authorization = token.map(|t| format!("Bearer {t}"));
    h.call(req)
}

fn send(h: &Harness, method: Method, token: &str, content_type: &str, body: Vec<u8>) -> Response {
    let mut req = Request::new(SamlEndpoint::TrustRelationshipUpload, method);
    req.authorization = Some(format!("Bearer {token}"));
    req.content_type = Some(content_type.to_owned());
    req.body = body;
    h.call(req)
}

fn upload(h: &Harness, method: Method, token: &str, tr: Value, file: Option<&str>) -> Response {
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    send(h, method, token, &ct, form(&tr, file))
}

fn list(h: &Harness, token: &str) -> Vec<Value> {
    let r = call(
        h,
        SamlEndpoint::TrustRelationships,
        Method::Get,
        Some(token),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    json(&r).as_array().unwrap().clone()
}

#[test]
fn trust_relationships_are_managed_through_the_config_api() {
    let h = Harness::new();
    let read = token(&h, READ);
    let write = token(&h, WRITE);
    let other = token(&h, "https://jans.io/oauth/config/fido2.readonly");
    let all = SamlEndpoint::TrustRelationships;

    // A bearer token with the plugin's scopes is required.
    let r = call(&h, all.clone(), Method::Get, None);
    refused(&r, 401);
    assert!(header(&r, "www-authenticate").is_some());
    refused(&call(&h, all.clone(), Method::Get, Some(&other)), 403);
    assert!(list(&h, &read).is_empty());
    let xml = sp_metadata(&h, WIKI);
    let wiki = json!({
        "name": "wiki",
        "displayName": "The wiki",
        "description": "Our wiki",
        "enabled": true,
        "spMetaDataSourceType": "FILE",
        "releasedAttributes": ["uid", MAIL],
        "spLogoutURL": "https://wiki.example.test/bye",
        "profileConfigurations": {"SAML2SSO": {"name": "SAML2SSO", "signResponses": "conditional"}},
    });
    refused(
        &upload(&h, Method::Post, &read, wiki.clone(), Some(&xml)),
        403,
    );

    // Created from the uploaded metadata, shown as Janssen's TrustRelationship.
    let r = upload(&h, Method::Post, &write, wiki.clone(), Some(&xml));
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let made = json(&r);
    let inum = made["inum"].as_str().unwrap().to_owned();
    assert_eq!(
        made["dn"],
        format!("inum={inum},ou=trustRelationships,o=jans")
    );
    assert_eq!(made["name"], "wiki");
    assert_eq!(made["displayName"], "The wiki");
    assert_eq!(made["description"], "Our wiki");
    assert_eq!(made["spMetaDataSourceType"], "file");
    assert_eq!(made["status"], "active");
    assert_eq!(made["validationStatus"], "Success");
    assert_eq!(made["releasedAttributes"], json!([UID, MAIL]));
    assert_eq!(made["spLogoutURL"], "https://wiki.example.test/bye");
    assert_eq!(
        made["profileConfigurations"]["SAML2SSO"]["signResponses"],
        "conditional"
    );
    assert_eq!(made["samlMetadata"]["entityId"], WIKI);
    assert_eq!(
        made["samlMetadata"]["jansAssertionConsumerServicePostURL"],
        format!("{WIKI}/acs")
    );
    assert_eq!(
        made["samlMetadata"]["singleLogoutServiceUrl"],
        format!("{WIKI}/slo")
    );
    assert!(
        made["spMetaDataFN"]
            .as_str()
            .unwrap()
            .ends_with("_sp-metadata.xml")
    );
    assert!(made.get("spMetaDataXml").is_none(), "{made}");
    // The document is kept with it (not shown).
    let stored = block_on(h.engine.saml().get_sp(&inum)).unwrap().unwrap();
    assert_eq!(stored.sp_metadata_xml.as_deref(), Some(xml.as_str()));
    assert!(stored.sp_metadata.authn_requests_signed);
    assert_eq!(stored.sp_metadata.signing_certificates.len(), 1);

    // Listed and read by id.
    assert_eq!(list(&h, &read), vec![made.clone()]);
    let by_id = |id: &str| SamlEndpoint::TrustRelationshipById(id.into());
    let r = call(&h, by_id(&inum), Method::Get, Some(&read));
    assert_eq!(json(&r), made);
    let r = call(&h, by_id("nope"), Method::Get, Some(&read));
    assert_eq!(
        refused(&r, 404),
        "The TrustRelationship with id 'nope' was not found"
    );
    assert_eq!(json(&r)["message"], "Trust relationship not found");

    // Refused, and nothing stored: a name taken, an SP trusted already, no file, metadata
    // that is not metadata, a DTD (XXE), an unknown attribute, a bad form.
    let other_sp = sp_metadata(&h, "https://other.example.test/sp");
    let r = upload(&h, Method::Post, &write, wiki.clone(), Some(&other_sp));
    assert_eq!(
        refused(&r, 400),
        "Trust Relationship with same name `wiki` already exists!"
    );
    let r = upload(
        &h,
        Method::Post,
        &write,
        json!({"name": "wiki2"}),
        Some(&xml),
    );
    assert!(refused(&r, 400).contains("has a trust relationship already"));
    let r = upload(&h, Method::Post, &write, json!({"name": "nofile"}), None);
    assert_eq!(refused(&r, 400), "SP MetaData File should not be null!");
    let r = upload(
        &h,
        Method::Post,
        &write,
        json!({"name": "bad"}),
        Some("<html><body>not metadata</body></html>"),
    );
    assert!(refused(&r, 400).starts_with("SP metadata refused"));
    let xxe = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE md:EntityDescriptor [<!ENTITY xxe SYSTEM \
         \"file:///etc/passwd\">]>\n{}",
        other_sp.split_once("?>\n").unwrap().1.replace(
            "entityID=\"https://other.example.test/sp\"",
            "entityID=\"&xxe;\""
        )
    );
    let r = upload(&h, Method::Post, &write, json!({"name": "xxe"}), Some(&xxe));
    assert!(refused(&r, 400).starts_with("SP metadata refused"));
    let r = upload(
        &h,
        Method::Post,
        &write,
        json!({"name": "attrs", "releasedAttributes": ["noSuchAttribute"]}),
        Some(&other_sp),
    );
    assert!(refused(&r, 400).contains("noSuchAttribute"));
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let mut cut = form(&json!({"name": "cut"}), Some(&other_sp));
    cut.truncate(cut.len() / 2);
    assert!(refused(&send(&h, Method::Post, &write, &ct, cut), 400).contains("multipart"));
    let r = send(
        &h,
        Method::Post,
        &write,
        "application/json",
        b"{\"name\":\"json\"}".to_vec(),
    );
    refused(&r, 415);
    let r = send(
        &h,
        Method::Post,
        &write,
        &ct,
        form(&json!(["not", "an", "object"]), Some(&other_sp)),
    );
    refused(&r, 400);
    assert_eq!(list(&h, &read).len(), 1, "nothing refused was stored");

    // The metadata file as uploaded.
    let file = |id: &str| SamlEndpoint::SpMetadataFile(id.into());
    let r = call(&h, file(&inum), Method::Get, Some(&read));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(r.content_type(), Some("application/xml"));
    assert_eq!(r.body_bytes(), xml.as_bytes());
    refused(&call(&h, file("nope"), Method::Get, Some(&read)), 404);
    refused(&call(&h, file(&inum), Method::Get, None), 401);

    // Changed: the members sent replace the stored ones; no file keeps the metadata.
    let r = upload(
        &h,
        Method::Put,
        &write,
        json!({"inum": inum, "releasedAttributes": [MAIL], "enabled": false}),
        None,
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let changed = json(&r);
    assert_eq!(changed["releasedAttributes"], json!([MAIL]));
    assert_eq!(changed["enabled"], false);
    assert_eq!(changed["name"], "wiki");
    assert_eq!(changed["samlMetadata"], made["samlMetadata"]);
    assert_eq!(
        json(&call(&h, by_id(&inum), Method::Get, Some(&read))),
        changed
    );
    // A new file is read again (the SP's new key), and kept.
    let rekeyed = sp_metadata(&h, WIKI);
    let r = upload(
        &h,
        Method::Put,
        &write,
        json!({"inum": inum, "name": "wiki", "spMetaDataSourceType": "file"}),
        Some(&rekeyed),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let now = block_on(h.engine.saml().get_sp(&inum)).unwrap().unwrap();
    assert_ne!(
        now.sp_metadata.signing_certificates,
        stored.sp_metadata.signing_certificates
    );
    assert_eq!(now.released_attributes, vec![MAIL.to_owned()]);
    let r = call(&h, file(&inum), Method::Get, Some(&read));
    assert_eq!(r.body_bytes(), rekeyed.as_bytes());
    // Bad metadata changes nothing.
    let r = upload(
        &h,
        Method::Put,
        &write,
        json!({"inum": inum}),
        Some("<md:EntityDescriptor"),
    );
    refused(&r, 400);
    assert_eq!(
        block_on(h.engine.saml().get_sp(&inum)).unwrap().unwrap(),
        now
    );
    let r = upload(&h, Method::Put, &write, json!({"inum": "nope"}), None);
    refused(&r, 404);
    let r = upload(&h, Method::Put, &write, json!({"name": "wiki"}), None);
    refused(&r, 400);
    refused(
        &upload(&h, Method::Put, &read, json!({"inum": inum}), None),
        403,
    );

    // Typed in (Janssen's manual source): no file, `samlMetadata` says what the SP is.
    let manual = json!({
        "name": "typed",
        "spMetaDataSourceType": "manual",
        "samlMetadata": {
            "entityId": "https://typed.example.test/sp",
            "nameIDPolicyFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            "jansAssertionConsumerServicePostURL": "https://typed.example.test/acs",
            "singleLogoutServiceUrl": "https://typed.example.test/slo",
        },
    });
    let r = upload(&h, Method::Post, &write, manual.clone(), Some(&other_sp));
    assert_eq!(refused(&r, 400), "SP MetaData File should not be provided!");
    let r = upload(
        &h,
        Method::Post,
        &write,
        json!({"name": "typed", "spMetaDataSourceType": "MANUAL"}),
        None,
    );
    assert!(refused(&r, 400).contains("samlMetadata"));
    let r = upload(&h, Method::Post, &write, manual.clone(), None);
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let typed = json(&r);
    let typed_inum = typed["inum"].as_str().unwrap().to_owned();
    assert_eq!(typed["spMetaDataSourceType"], "manual");
    assert_eq!(typed["releasedAttributes"], json!([UID, MAIL]));
    let sp = block_on(h.engine.saml().get_sp(&typed_inum))
        .unwrap()
        .unwrap();
    assert_eq!(sp.sp_metadata.entity_id, "https://typed.example.test/sp");
    assert_eq!(
        sp.sp_metadata.assertion_consumer_services[0].location,
        "https://typed.example.test/acs"
    );
    assert!(sp.sp_metadata.signing_certificates.is_empty());
    let r = call(&h, file(&typed_inum), Method::Get, Some(&read));
    assert_eq!(
        refused(&r, 400),
        "TrustRelationship metadatasource type isn't a FILE"
    );
    // Renamed to a name taken: refused.
    let r = upload(
        &h,
        Method::Put,
        &write,
        json!({"inum": typed_inum, "name": "wiki"}),
        None,
    );
    assert_eq!(
        refused(&r, 400),
        "Trust Relationship with same name `wiki` already exists!"
    );
    assert_eq!(list(&h, &read).len(), 2);

    // Removed, with the write scope; then gone.
    let one = |id: &str| SamlEndpoint::TrustRelationship(id.into());
    refused(&call(&h, one(&inum), Method::Delete, Some(&read)), 403);
    let r = call(&h, one(&inum), Method::Get, Some(&read));
    assert_eq!(refused(&r, 405), "this endpoint answers DELETE only");
    assert_eq!(header(&r, "allow").as_deref(), Some("DELETE"));
    let r = call(&h, one(&inum), Method::Delete, Some(&write));
    assert_eq!(r.status(), 204, "{:?}", r.body);
    refused(&call(&h, one(&inum), Method::Delete, Some(&write)), 404);
    refused(&call(&h, by_id(&inum), Method::Get, Some(&read)), 404);
    assert_eq!(list(&h, &read).len(), 1);

    // Every write audited.
    let mut req = Request::new(AdminEndpoint::Audit, Method::Get);
    req.authorization = Some(format!(
        "Bearer {}",
        token(&h, "https://jans.io/oauth/config/read-all")
    ));
    let audit = json(&h.call(req)).to_string();
    assert!(
        audit.contains(&inum) && audit.contains(&typed_inum),
        "{audit}"
    );
}

#[test]
fn the_super_scopes_are_accepted_and_errors_are_never_pages() {
    let h = Harness::new();
    let write_all = token(&h, "https://jans.io/oauth/config/write-all");
    let read_all = token(&h, "https://jans.io/oauth/config/read-all");
    let xml = sp_metadata(&h, WIKI);
    let r = upload(
        &h,
        Method::Post,
        &write_all,
        json!({"name": "wiki"}),
        Some(&xml),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let inum = json(&r)["inum"].as_str().unwrap().to_owned();
    assert_eq!(list(&h, &read_all).len(), 1);
    refused(
        &upload(
            &h,
            Method::Post,
            &read_all,
            json!({"name": "x"}),
            Some(&xml),
        ),
        403,
    );
    let endpoint = SamlEndpoint::TrustRelationship(inum);
    assert!(!jans_core::Endpoint::Saml(endpoint.clone()).shows_errors_as_pages());
    assert!(jans_core::Endpoint::Saml(endpoint.clone()).is_management());
    let r = call(
        &h,
        endpoint,
        Method::Delete,
        Some(&token(&h, "https://jans.io/oauth/config/delete-all")),
    );
    assert_eq!(r.status(), 204, "{:?}", r.body);
}
