//! The UMA grant (issue 15 items 4, 6, 7) in the fake-clock harness: a resource server
//! registers a resource and asks a ticket; the client gets `need_info`, pushes claims,
//! is refused or granted by Cedar policies, gets an RPT and a PCT, the resource server
//! introspects the RPT, the client upgrades it, and it expires. Every refusal is UMA's
//! error with its status, and leaves what is stored as it was.

use std::sync::Arc;

use jans_core::config::{Config, UMA_TICKET_GRANT};
use jans_core::crypto::SigningKey;
use jans_core::jose::{Algorithm, Jwks, jws};
use jans_core::request::UmaEndpoint;
use jans_core::testing::block_on;
use jans_core::uma::policy::cedar::PolicyFile;
use jans_core::{Method, RegisteredClient, Request, Response};
use serde_json::{Value, json};

use super::harness::*;
use super::uma::{block_on_update, photo, refused, resource_server, uma, with_uma};

const POLICIES: &str = r#"
@id("public-for-nz")
@required_claims("country")
permit(principal, action == Jans::Action::"read-public", resource)
when { principal.claims has country && principal.claims.country == "NZ" };

@id("updates-for-known-parties")
@required_claims("sub")
permit(principal, action == Jans::Action::"post-updates", resource)
when { principal.claims has sub };

@id("never-private-for-minors")
forbid(principal, action == Jans::Action::"read-private", resource)
when { principal.claims has age && principal.claims.age < 18 };

@id("private-for-the-owner")
permit(principal, action == Jans::Action::"read-private", resource)
when { principal.claims has sub && principal.claims.sub == resource.owner };
"#;

pub(crate) fn load(h: &Harness, text: &str) {
    h.engine
        .uma()
        .load_policies(&[PolicyFile {
            name: "uma.cedar".into(),
            text: text.into(),
        }])
        .unwrap();
}

pub(crate) struct Party {
    pub client: RegisteredClient,
    key: Arc<dyn SigningKey>,
    kid: String,
}

/// A requesting party's client: the UMA grant, and its own key for claim tokens.
pub(crate) fn requesting_client(h: &Harness, extra: Value) -> Party {
    let key = h
        .provider()
        .generate(Algorithm::ES256, h.rng.as_ref())
        .unwrap();
    let mut jwk = key.public_jwk();
    let kid = jwk.thumbprint().unwrap();
    jwk.kid = Some(kid.clone());
    let mut meta = json!({
        "client_name": "rqp",
        "grant_types": [UMA_TICKET_GRANT],
        "jwks": Jwks { keys: vec![jwk] },
    });
    if let (Some(m), Value::Object(e)) = (meta.as_object_mut(), extra) {
        m.extend(e);
    }
    Party {
        client: h.register(meta),
        key,
        kid,
    }
}

impl Party {
    /// A claim token (the JWT format) the client signs for its party.
    pub fn claims(&self, h: &Harness, claims: Value) -> String {
        let mut body = claims;
        body["iss"] = self.client.client.client_id.clone().into();
        body["exp"] = (h.clock.now() + 300).into();
        let mut header = jws::Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jws::sign(
            &header,
            &serde_json::to_vec(&body).unwrap(),
            self.key.as_ref(),
            h.rng.as_ref(),
        )
        .unwrap()
    }
}

pub(crate) fn ticket(h: &Harness, pat: &str, permissions: Value) -> String {
    let r = uma(
        h,
        UmaEndpoint::Permission,
        Method::Post,
        Some(pat),
        Some(permissions),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    json(&r)["ticket"].as_str().unwrap().to_owned()
}

pub(crate) fn grant(h: &Harness, p: &Party, form: &[(&str, &str)]) -> Response {
    let mut all = vec![("grant_type", UMA_TICKET_GRANT)];
    all.extend_from_slice(form);
    h.token(&all, Some(basic(&p.client)))
}

fn status(h: &Harness, pat: Option<&str>, rpt: &str) -> Response {
    let mut req = Request::new(UmaEndpoint::RptStatus, Method::Post).with_form(
        jans_core::params::Params::from_pairs([("token".to_owned(), rpt.to_owned())]),
    );
    req.authorization = pat.map(|t| format!("Bearer {t}"));
    h.call(req)
}

fn harness(adjust: impl FnOnce(&mut Config)) -> Harness {
    let mut c = with_uma(config());
    c.uma_rpt_lifetime = 600;
    adjust(&mut c);
    Harness::with(c, jans_core::repo::Stores::memory(), [7; 32])
}

/// `policies` in force, and a resource server with its PAT and its photo album (the
/// resource's id).
pub(crate) fn resource_owner(h: &Harness, policies: &str) -> (RegisteredClient, String, String) {
    load(h, policies);
    let (rs, pat) = resource_server(h);
    let album = register(h, &pat, photo());
    (rs, pat, album)
}

/// A UMA server (every feature on) over `stores`.
pub(crate) fn uma_on(stores: jans_core::repo::Stores) -> Harness {
    Harness::with(with_uma(config()), stores, [7; 32])
}

pub(crate) fn register(h: &Harness, pat: &str, description: Value) -> String {
    let r = uma(
        h,
        UmaEndpoint::ResourceSets,
        Method::Post,
        Some(pat),
        Some(description),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    json(&r)["_id"].as_str().unwrap().to_owned()
}

#[test]
fn the_whole_flow_need_info_claims_rpt_status_upgrade_expiry() {
    let h = harness(|_| {});
    let (rs, pat, album) = resource_owner(&h, POLICIES);
    let (_, other_pat) = resource_server(&h);
    let p = requesting_client(&h, json!({}));
    let read = json!({"resource_id": album, "resource_scopes": ["read-public"]});

    // No claims yet: need_info, naming the claim and with a new ticket; the old is spent.
    let t1 = ticket(&h, &pat, read.clone());
    let r = grant(&h, &p, &[("ticket", &t1)]);
    refused(&r, 403, "need_info");
    let body = json(&r);
    assert_eq!(body["required_claims"][0]["name"], "country", "{body}");
    assert_eq!(
        body["required_claims"][0]["claim_token_format"],
        json!([
            "http://openid.net/specs/openid-connect-core-1_0.html#IDToken",
            "urn:ietf:params:oauth:token-type:jwt"
        ])
    );
    let t2 = body["ticket"].as_str().unwrap().to_owned();
    assert_ne!(t1, t2);
    refused(&grant(&h, &p, &[("ticket", &t1)]), 400, "invalid_grant");

    // Claims that the policy refuses: request_denied.
    let fr = p.claims(&h, json!({"sub": "alice", "country": "FR"}));
    let jwt_format = "urn:ietf:params:oauth:token-type:jwt";
    let r = grant(
        &h,
        &p,
        &[
            ("ticket", &t2),
            ("claim_token", &fr),
            ("claim_token_format", jwt_format),
        ],
    );
    refused(&r, 403, "request_denied");

    // Claims it permits: an RPT, a PCT.
    let t3 = ticket(&h, &pat, read.clone());
    let nz = p.claims(&h, json!({"sub": "alice", "country": "NZ"}));
    let r = grant(
        &h,
        &p,
        &[
            ("ticket", &t3),
            ("claim_token", &nz),
            ("claim_token_format", jwt_format),
        ],
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(r.issued_grant, Some(UMA_TICKET_GRANT));
    let body = json(&r);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["upgraded"], false);
    assert_eq!(body["expires_in"], 600);
    let rpt = body["access_token"].as_str().unwrap().to_owned();
    let pct = body["pct"].as_str().unwrap().to_owned();
    refused(&grant(&h, &p, &[("ticket", &t3)]), 400, "invalid_grant");

    // The resource server learns what the RPT grants; another learns nothing.
    let r = status(&h, Some(&pat), &rpt);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let s = json(&r);
    assert_eq!(s["active"], true, "{s}");
    assert_eq!(s["client_id"], p.client.client.client_id.as_str());
    assert_eq!(s["sub"], "alice");
    assert_eq!(s["permissions"][0]["resource_id"], album.as_str());
    assert_eq!(
        s["permissions"][0]["resource_scopes"],
        json!(["read-public"])
    );
    assert_eq!(s["permissions"][0]["exp"], h.clock.now() + 600);
    assert_eq!(s["pct_claims"]["country"], "NZ");
    assert_eq!(
        json(&status(&h, Some(&other_pat), &rpt)),
        json!({"active": false})
    );
    assert_eq!(
        json(&status(&h, Some(&pat), "nope")),
        json!({"active": false})
    );
    refused(&status(&h, None, &rpt), 401, "invalid_token");
    // An RPT is no access token: it opens no PAT-protected endpoint.
    refused(
        &uma(&h, UmaEndpoint::ResourceSets, Method::Get, Some(&rpt), None),
        401,
        "invalid_token",
    );

    // Upgrade: the PCT stands for the party, the new permission joins the old.
    h.clock.advance(60);
    let t4 = ticket(
        &h,
        &pat,
        json!({"resource_id": album, "resource_scopes": ["post-updates"]}),
    );
    let r = grant(&h, &p, &[("ticket", &t4), ("pct", &pct), ("rpt", &rpt)]);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let body = json(&r);
    assert_eq!(body["upgraded"], true);
    assert_eq!(
        body["pct"],
        pct.as_str(),
        "nothing new pushed: the same PCT"
    );
    let upgraded = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        json(&status(&h, Some(&pat), &rpt)),
        json!({"active": false})
    );
    let s = json(&status(&h, Some(&pat), &upgraded));
    assert_eq!(
        s["permissions"][0]["resource_scopes"],
        json!(["post-updates", "read-public"]),
        "{s}"
    );

    // The `scope` parameter adds a scope the resource has; the owner-only scope is refused
    // to alice, but what else was asked is granted.
    let t5 = ticket(&h, &pat, read.clone());
    let r = grant(
        &h,
        &p,
        &[("ticket", &t5), ("pct", &pct), ("scope", "read-private")],
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let s = json(&status(
        &h,
        Some(&pat),
        json(&r)["access_token"].as_str().unwrap(),
    ));
    assert_eq!(
        s["permissions"][0]["resource_scopes"],
        json!(["read-public"])
    );

    // Revocation (RFC 7009 at /revoke): only by its client; then it is inactive.
    let last = json(&r)["access_token"].as_str().unwrap().to_owned();
    let revoke = |c: &RegisteredClient| {
        h.post(
            jans_core::AuthEndpoint::Revocation,
            &[("token", &last)],
            Some(basic(c)),
        )
    };
    let stranger = requesting_client(&h, json!({}));
    assert_error(&revoke(&stranger.client), 400, "unauthorized_client");
    assert_eq!(json(&status(&h, Some(&pat), &last))["active"], true);
    assert_eq!(revoke(&p.client).status(), 200);
    assert_eq!(
        json(&status(&h, Some(&pat), &last)),
        json!({"active": false})
    );

    // Expiry: RPTs live umaRptLifetime seconds.
    h.clock.advance(600);
    let pat = h.cc_token(&rs);
    assert_eq!(
        json(&status(&h, Some(&pat), &upgraded)),
        json!({"active": false})
    );
}

#[test]
fn refusals_are_umas_and_leave_the_ticket_usable() {
    let h = harness(|_| {});
    let (_, pat, album) = resource_owner(&h, POLICIES);
    let p = requesting_client(&h, json!({}));
    let stranger = requesting_client(&h, json!({}));
    let read = json!({"resource_id": album, "resource_scopes": ["read-public"]});
    let t = ticket(&h, &pat, read.clone());
    let jwt = "urn:ietf:params:oauth:token-type:jwt";
    let nz = p.claims(&h, json!({"sub": "alice", "country": "NZ"}));
    let forged = stranger.claims(&h, json!({"sub": "alice", "country": "NZ"}));
    // The signature's first character changed (the last one may carry only padding bits,
    // or already be the replacement).
    let sig_at = nz.rfind('.').unwrap() + 1;
    let mut tampered = nz.clone().into_bytes();
    tampered[sig_at] = if tampered[sig_at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let other_pct = {
        let t = ticket(&h, &pat, read.clone());
        let c = stranger.claims(&h, json!({"sub": "bob", "country": "NZ"}));
        let r = grant(
            &h,
            &stranger,
            &[
                ("ticket", &t),
                ("claim_token", &c),
                ("claim_token_format", jwt),
            ],
        );
        json(&r)["pct"].as_str().unwrap().to_owned()
    };
    for (form, status, code) in [
        (vec![("ticket", "nope")], 400, "invalid_grant"),
        (vec![], 400, "invalid_request"),
        (
            vec![
                ("ticket", &t),
                ("claim_token", &forged),
                ("claim_token_format", jwt),
            ],
            400,
            "invalid_claim_token",
        ),
        (
            vec![
                ("ticket", &t),
                ("claim_token", &tampered),
                ("claim_token_format", jwt),
            ],
            400,
            "invalid_claim_token",
        ),
        (
            vec![
                ("ticket", &t),
                ("claim_token", &nz),
                ("claim_token_format", "saml"),
            ],
            400,
            "invalid_claim_token_format",
        ),
        (
            vec![("ticket", &t), ("claim_token", &nz)],
            400,
            "invalid_request",
        ),
        (
            vec![("ticket", &t), ("pct", &other_pct)],
            400,
            "invalid_pct",
        ),
        (vec![("ticket", &t), ("rpt", "nope")], 400, "invalid_rpt"),
        (
            vec![("ticket", &t), ("scope", "delete-all")],
            400,
            "invalid_scope",
        ),
    ] {
        let before = block_on(h.stores.grants.scan(
            jans_core::store::GrantKind::UmaRpt,
            h.ctx().now,
            100,
        ))
        .unwrap()
        .len();
        let r = grant(&h, &p, &form);
        refused(&r, status, code);
        let after = block_on(h.stores.grants.scan(
            jans_core::store::GrantKind::UmaRpt,
            h.ctx().now,
            100,
        ))
        .unwrap()
        .len();
        assert_eq!(before, after, "{form:?} stored no RPT");
    }
    // After all that, the ticket still works, once: of eight racing redemptions one wins.
    let wins: Vec<u16> = std::thread::scope(|s| {
        let racers: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    grant(
                        &h,
                        &p,
                        &[
                            ("ticket", &t),
                            ("claim_token", &nz),
                            ("claim_token_format", jwt),
                        ],
                    )
                    .status()
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert_eq!(wins.iter().filter(|s| **s == 200).count(), 1, "{wins:?}");
    assert!(wins.iter().all(|s| *s == 200 || *s == 400), "{wins:?}");

    // The grant is the client's only if registered for it, and UMA's only while UMA is on.
    let plain = h.register(json!({"client_name": "plain"}));
    let t = ticket(&h, &pat, read.clone());
    assert_error(
        &h.token(
            &[("grant_type", UMA_TICKET_GRANT), ("ticket", &t)],
            Some(basic(&plain)),
        ),
        400,
        "unauthorized_client",
    );
    let off = Harness::new();
    let q = requesting_client(&off, json!({}));
    assert_error(
        &grant(&off, &q, &[("ticket", "x")]),
        400,
        "unsupported_grant_type",
    );
}

#[test]
fn id_tokens_jwt_rpts_scope_expressions_and_no_policies() {
    let h = harness(|c| c.grant_types_supported.push("password".into()));
    load(&h, POLICIES);
    let (_, pat) = resource_server(&h);
    let alice = h.add_user("alice");
    let p = requesting_client(
        &h,
        json!({"grant_types": [UMA_TICKET_GRANT, "password"], "rpt_as_jwt": true}),
    );
    // An ID token this server issued to the client is a claim token of the ID token format.
    let r = h.token(
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "correct horse battery"),
            ("scope", "openid"),
        ],
        Some(basic(&p.client)),
    );
    let id_token = json(&r)["id_token"].as_str().unwrap().to_owned();
    let id_format = "http://openid.net/specs/openid-connect-core-1_0.html#IDToken";
    let album = register(&h, &pat, photo());
    let t = ticket(
        &h,
        &pat,
        json!({"resource_id": album, "resource_scopes": ["post-updates"]}),
    );
    let r = grant(
        &h,
        &p,
        &[
            ("ticket", &t),
            ("claim_token", &id_token),
            ("claim_token_format", id_format),
        ],
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    // A JWT RPT, signed by the server's key, with its permissions.
    let rpt = json(&r)["access_token"].as_str().unwrap().to_owned();
    let claims: Value = serde_json::from_slice(
        &jws::decode(&rpt)
            .unwrap()
            .verify_with_jwks(&h.jwks(), &[Algorithm::ES256], h.provider().as_ref())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], alice.inum.as_str());
    assert_eq!(claims["aud"], p.client.client.client_id.as_str());
    assert_eq!(
        claims["permissions"][0]["resource_scopes"],
        json!(["post-updates"])
    );
    assert_eq!(json(&status(&h, Some(&pat), &rpt))["active"], true);
    // Another client's ID token is not this client's claim token.
    let other = requesting_client(&h, json!({}));
    let t = ticket(
        &h,
        &pat,
        json!({"resource_id": album, "resource_scopes": ["post-updates"]}),
    );
    refused(
        &grant(
            &h,
            &other,
            &[
                ("ticket", &t),
                ("claim_token", &id_token),
                ("claim_token_format", id_format),
            ],
        ),
        400,
        "invalid_claim_token",
    );

    // scope_expression: read-private AND (read-public OR post-updates), per Janssen: with
    // the expression true, each scope is granted as its own policy decided.
    let guarded = register(
        &h,
        &pat,
        json!({"name": "guarded", "resource_scopes": ["read-public"],
               "scope_expression": {"rule": {"and": [{"var": 0}, {"or": [{"var": 1}, {"var": 2}]}]},
                                    "data": ["read-private", "read-public", "post-updates"]}}),
    );
    let all = json!({"resource_id": guarded,
                     "resource_scopes": ["read-private", "read-public", "post-updates"]});
    let with = |claims: Value| {
        let t = ticket(&h, &pat, all.clone());
        let c = p.claims(&h, claims);
        grant(
            &h,
            &p,
            &[
                ("ticket", &t),
                ("claim_token", &c),
                ("claim_token_format", "urn:ietf:params:oauth:token-type:jwt"),
            ],
        )
    };
    // The resource owner of a client's own PAT is the client: the owner-only scope holds
    // for a party whose sub is that client.
    let rs_id = {
        let v = json(&uma(
            &h,
            UmaEndpoint::ResourceSet(guarded.clone()),
            Method::Get,
            Some(&pat),
            None,
        ));
        assert_eq!(v["name"], "guarded");
        h.introspect(&p.client, &pat)["client_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let r = with(json!({"sub": rs_id, "country": "FR"}));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let s = json(&status(
        &h,
        Some(&pat),
        json(&r)["access_token"].as_str().unwrap(),
    ));
    assert_eq!(
        s["permissions"][0]["resource_scopes"],
        json!(["read-private", "post-updates"]),
        "read-public's own policy refused FR: dropped, as Janssen drops it"
    );
    refused(
        &with(json!({"sub": "alice", "country": "NZ"})),
        403,
        "request_denied",
    );

    // A scope no policy is bound to: refused, unless umaGrantAccessIfNoPolicies.
    let bare = register(
        &h,
        &pat,
        json!({"name": "bare", "resource_scopes": ["print"]}),
    );
    let print = json!({"resource_id": bare, "resource_scopes": ["print"]});
    let t = ticket(&h, &pat, print.clone());
    refused(&grant(&h, &p, &[("ticket", &t)]), 403, "request_denied");
    let mut c = (*h.engine.config()).clone();
    c.uma_grant_access_if_no_policies = true;
    block_on_update(&h, c);
    let t = ticket(&h, &pat, print);
    let r = grant(&h, &p, &[("ticket", &t)]);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert!(json(&r).get("pct").is_none(), "no claims: no PCT");
}
