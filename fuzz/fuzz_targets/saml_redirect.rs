//! SAML's bindings must never panic: the bytes as the raw query of a GET (HTTP-Redirect:
//! URL-decoding, base64, bounded DEFLATE, the query signature's parameters), as the
//! `SAMLRequest` of a POST (HTTP-POST), and as a whole POST form; a message that decodes
//! is read on as XML and as an `AuthnRequest`.
#![no_main]

use jans_core::params::Params;
use jans_core::request::SamlEndpoint;
use jans_core::saml::authn_request::AuthnRequest;
use jans_core::saml::binding::{self, Received};
use jans_core::xml::{self, Limits};
use jans_core::{Method, Request};

fn read_on(received: Result<Option<Received>, binding::BindingError>) {
    if let Ok(Some(r)) = received
        && let Ok(root) = xml::parse(&r.xml, &Limits::default())
    {
        let _ = AuthnRequest::read(&root);
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    let mut get = Request::new(SamlEndpoint::Sso, Method::Get);
    get.raw_query = text.clone().into_owned();
    read_on(binding::receive(&get));

    let post = Request::new(SamlEndpoint::Sso, Method::Post)
        .with_form(Params::from_pairs([("SAMLRequest", text.as_ref())]));
    read_on(binding::receive(&post));

    if let Ok(form) = Params::parse(data) {
        read_on(binding::receive(
            &Request::new(SamlEndpoint::Sso, Method::Post).with_form(form),
        ));
    }
});
