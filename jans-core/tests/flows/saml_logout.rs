//! SAML Single Logout through the engine, raced: every single-use rule of a sign-on and of
//! an SP-initiated logout — the sign-on's callback, the `LogoutRequest`'s id, the SPs
//! taken out of the ending session, each logout frame, the way back to the SP that asked —
//! holds when the same step arrives eight times at once, on every backend (DESIGN.md §8).

use jans_core::response::{Body, Response};
use jans_core::testing::SeededRandom;
use jans_core::xml::dsig::sign_enveloped;
use jans_core::xml::{Element, Limits, Scope, parse};

use super::authorize::{harness_on, location, q};
use super::casa::Browser;
use super::harness::Harness;
use super::saml_sign_on::{A, P, Sp, ask, decrypted, message, posted, signed_in, sp};

/// `n` copies of `b` send the request `call` makes at once: the answers.
fn race(
    h: &Harness,
    b: &Browser,
    n: usize,
    call: impl Fn(&Harness, &mut Browser) -> Response + Sync,
) -> Vec<Response> {
    let call = &call;
    std::thread::scope(|s| {
        let racers: Vec<_> = (0..n)
            .map(|_| {
                let mut b = b.clone();
                s.spawn(move || call(h, &mut b))
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

/// A `LogoutRequest` of `sp` for the `NameID` and `SessionIndex` of `assertion`, signed
/// (HTTP-POST binding), as its form's `SAMLRequest`.
fn logout_request(h: &Harness, sp: &Sp, id: &str, assertion: &Element) -> String {
    let name_id = assertion
        .first(A, "Subject")
        .and_then(|s| s.first(A, "NameID"))
        .unwrap();
    let index = assertion
        .first(A, "AuthnStatement")
        .and_then(|s| s.get("SessionIndex"))
        .unwrap();
    let slo = format!("{}/jans-saml/idp/slo", h.engine.config().issuer);
    let mut e = message(h, sp, "LogoutRequest", id, &slo)
        .child(
            Element::new("saml", "NameID", A)
                .attr("Format", name_id.get("Format").unwrap_or_default())
                .text(&name_id.text_content()),
        )
        .child(Element::new("samlp", "SessionIndex", P).text(index));
    e.rescope(&Scope::default());
    sign_enveloped(&mut e, id, 1, sp.key.as_ref(), None, &SeededRandom::new(6)).unwrap();
    jans_core::b64::encode_std(e.to_xml().as_bytes())
}

/// How many of `answers` are 400 error pages.
fn pages_400(answers: &[Response]) -> usize {
    answers
        .iter()
        .filter(|r| r.status() == 400 && matches!(r.body, Body::Page(_)))
        .count()
}

#[test]
fn sign_on_and_logout_steps_raced_happen_once_on_every_backend() {
    for backend in super::backends::all() {
        let name = backend.name;
        let h = harness_on(backend.stores);
        let (one, two) = (sp(&h, "one", 61), sp(&h, "two", 62));
        let mut b = Browser::default();

        // The sign-on's callback, eight times at once: one assertion, seven error pages.
        let r = ask(&h, &mut b, &one, "_one");
        let callback = signed_in(&h, &mut b, r);
        let answers = race(&h, &b, 8, |h, b| b.get(h, &callback));
        let won: Vec<&Response> = answers
            .iter()
            .filter(|r| matches!(r.body, Body::FormPost { .. }))
            .collect();
        assert_eq!((won.len(), pages_400(&answers)), (1, 7), "{name}");
        let (_, doc, _) = posted(won[0]);
        let at_one = decrypted(&h, &one, &doc);
        // The same session at the second SP (no sign-in asked: the session is there).
        let r = ask(&h, &mut b, &two, "_two");
        let authorize = b.get(&h, &location(&r));
        let (action, _, _) = posted(&b.get(&h, &location(&authorize)));
        assert_eq!(action, "https://two.example.test/acs", "{name}");

        // The first SP's LogoutRequest, eight times at once: one goes on, seven are
        // refused as replays.
        let request = logout_request(&h, &one, "_logout", &at_one);
        let answers = race(&h, &b, 8, |h, b| {
            b.post(h, "/jans-saml/idp/slo", &[("SAMLRequest", &request)])
        });
        let next: Vec<String> = answers
            .iter()
            .filter(|r| matches!(r.body, Body::Redirect(_)))
            .map(location)
            .collect();
        assert_eq!((next.len(), pages_400(&answers)), (1, 7), "{name}");
        assert!(next[0].contains("/jans-saml/idp/slo?next="), "{}", next[0]);

        // This browser is the person's: on to the auth-server's logout with the ID token.
        let end_session = location(&b.get(&h, &next[0]));
        assert!(
            end_session.contains("/jans-auth/restv1/end_session?")
                && q(&end_session, "id_token_hint").is_some(),
            "{end_session}"
        );
        // That logout, eight times at once: the second SP is taken out of the session
        // once, so exactly one page frames its LogoutRequest.
        let answers = race(&h, &b, 8, |h, b| b.get(h, &end_session));
        let mut frames = Vec::new();
        let mut back = None;
        for r in &answers {
            match &r.body {
                Body::LogoutPage { iframes, next } => {
                    frames.extend(iframes.clone());
                    back = Some(next.clone());
                }
                Body::Redirect(to) => back = Some(to.clone()),
                other => panic!("{name}: {other:?}"),
            }
        }
        assert_eq!(frames.len(), 1, "{name}: {frames:?}");
        assert!(
            frames[0].contains("/jans-saml/idp/slo?frame="),
            "{frames:?}"
        );

        // The frame, eight times at once: one posts the LogoutRequest to the second SP.
        let answers = race(&h, &b, 8, |h, b| b.get(h, &frames[0]));
        let posting = answers
            .iter()
            .filter(|r| {
                matches!(&r.body, Body::Html { html, .. }
                    if html.contains("https://two.example.test/slo") && html.contains("SAMLRequest"))
            })
            .count();
        assert_eq!(posting, 1, "{name}");

        // Back for the first SP's LogoutResponse, eight times at once: one answer.
        let back = back.unwrap();
        assert!(back.contains("/jans-saml/idp/slo?state="), "{back}");
        let answers = race(&h, &b, 8, |h, b| b.get(h, &back));
        let responses: Vec<&Response> = answers
            .iter()
            .filter(|r| matches!(r.body, Body::FormPost { .. }))
            .collect();
        assert_eq!((responses.len(), pages_400(&answers)), (1, 7), "{name}");
        let Body::FormPost { action, params } = &responses[0].body else {
            unreachable!()
        };
        assert_eq!(action, "https://one.example.test/slo");
        let xml = jans_core::b64::decode_std_wrapped(&params[0].1).unwrap();
        let doc = parse(&String::from_utf8(xml).unwrap(), &Limits::default()).unwrap();
        assert_eq!(doc.get("InResponseTo"), Some("_logout"));
        let codes: Vec<&str> = doc
            .descendants()
            .into_iter()
            .filter(|e| e.is(P, "StatusCode"))
            .filter_map(|e| e.get("Value"))
            .collect();
        assert_eq!(
            codes,
            ["urn:oasis:names:tc:SAML:2.0:status:Success"],
            "{name}"
        );

        // Signed out: the next sign-on at the first SP asks for the password again.
        let r = ask(&h, &mut b, &one, "_again");
        let authorize = b.get(&h, &location(&r));
        assert!(
            q(&location(&authorize), "interaction").is_some(),
            "{name}: {:?}",
            authorize.body
        );
    }
}
