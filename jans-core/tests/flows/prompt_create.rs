//! `prompt=create` (OpenID Connect Prompt Create 1.0; issue 16 item 10): the sign-up step
//! instead of the login form, its refusals (taken username, bad email, short password,
//! missing name, forged form), then the new person signed in through consent to a code and
//! tokens; `disablePromptCreate`; `create` with `none`; discovery.

use jans_core::auth::authn::create::{CreateResult, NewAccount};
use jans_core::auth::authn::interaction::Stage;
use jans_core::testing::block_on;
use jans_core::{AuthEndpoint, Method, Request};
use serde_json::json;

use super::authorize::{VERIFIER, authorize, harness, location, q, redeem, rp, std_params};
use super::harness::*;

fn account(uid: &str) -> NewAccount {
    NewAccount {
        uid: uid.into(),
        mail: format!("{uid}@example.com"),
        given_name: "Carol".into(),
        family_name: Some("Jones".into()),
        password: "a long enough password".into(),
    }
}

#[test]
fn a_person_creates_their_account_and_goes_on_signed_in() {
    let h = harness();
    let c = rp(&h, json!({}));
    let mut p = std_params(&c);
    p.push(("prompt", "create"));
    let to = location(&authorize(&h, &p, None));
    let id = q(&to, "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(view.stage, Stage::Create);
    let create =
        |a: NewAccount, csrf: &str| block_on(h.engine.interaction_create(&id, csrf, a, &h.ctx()));

    // Refusals leave the step as it was.
    let refusals = [
        (
            NewAccount {
                uid: "alice".into(),
                ..account("alice")
            },
            "taken",
        ),
        (
            NewAccount {
                mail: "not-an-address".into(),
                ..account("carol")
            },
            "mail",
        ),
        (
            NewAccount {
                password: "short".into(),
                ..account("carol")
            },
            "password",
        ),
        (
            NewAccount {
                given_name: " ".into(),
                ..account("carol")
            },
            "name",
        ),
        (
            NewAccount {
                uid: "carol smith".into(),
                ..account("carol")
            },
            "uid",
        ),
    ];
    for (a, why) in refusals {
        match create(a, &view.csrf).unwrap() {
            CreateResult::Refused(msg) => assert!(msg.contains(why), "{msg} should say {why}"),
            CreateResult::Done(r) => panic!("{why}: created: {:?}", r.body),
        }
    }
    assert!(
        block_on(h.engine.user("carol")).unwrap().is_none(),
        "nothing created"
    );
    assert!(create(account("carol"), "forged").is_err());

    let CreateResult::Done(r) = create(account("carol"), &view.csrf).unwrap() else {
        panic!("not created")
    };
    let carol = block_on(h.engine.user("carol")).unwrap().unwrap();
    assert_eq!(carol.mail.as_deref(), Some("carol@example.com"));
    assert_eq!(carol.family_name.as_deref(), Some("Jones"));
    assert!(header(&r, "set-cookie").unwrap().starts_with("session_id="));
    // Consent next, then the code: the person is signed in.
    let to = location(&r);
    let id2 = q(&to, "interaction").unwrap();
    let consent = block_on(h.engine.interaction(&id2, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(consent.stage, Stage::Consent);
    let r = block_on(
        h.engine
            .interaction_consent(&id2, &consent.csrf, true, false, &h.ctx()),
    )
    .unwrap();
    let r = redeem(&h, &c, &q(&location(&r), "code").unwrap(), VERIFIER);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    // The step is spent.
    assert!(create(account("dave"), &view.csrf).is_err());
    // She signs in with her password next time.
    let checked = block_on(h.engine.check_password_counted(
        "carol",
        "a long enough password",
        &h.ctx(),
    ));
    assert!(matches!(
        checked.unwrap(),
        jans_core::auth::authn::interaction::PasswordCheck::Valid(_)
    ));
}

#[test]
fn prompt_create_can_be_turned_off_and_never_goes_with_none() {
    let h = harness();
    let c = rp(&h, json!({}));
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert!(
        d["prompt_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("create"))
    );
    let mut p = std_params(&c);
    p.push(("prompt", "create none"));
    assert_eq!(
        q(&location(&authorize(&h, &p, None)), "error").as_deref(),
        Some("invalid_request")
    );

    let mut config = config();
    config.disable_prompt_create = true;
    let off = Harness::with(config, jans_core::repo::Stores::memory(), [7; 32]);
    let c = rp(&off, json!({}));
    let mut p = std_params(&c);
    p.push(("prompt", "create"));
    assert_eq!(
        q(&location(&authorize(&off, &p, None)), "error").as_deref(),
        Some("invalid_request")
    );
    let d = json(&off.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert!(
        !d["prompt_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("create"))
    );
}
