//! Casa's admin console (issue 17 item 7): people with the `CasaAdmin` role, or in the
//! configured group, set the methods, the two-factor rules, the policies, branding and the
//! log level — in the shared configuration, so another node over the same store runs them
//! after its sync — and reset a locked-out person to password-only. Anyone else, a form
//! without its CSRF token, and settings that do not hold (a minimum of 0, a colour under
//! WCAG AA contrast, an unknown log level) are refused and change nothing.

use jans_core::config::casa::EnforcementPolicy::{DeviceUnknown, EveryLogin};
use jans_core::otp::Totp;
use jans_core::repo::group::{Group, Member};
use jans_core::repo::trusted_device::TrustedDevices;
use jans_core::repo::two_factor::{TwoFactor, TwoFactorSettings};
use jans_core::repo::user::User;
use jans_core::testing::block_on;
use serde_json::{Value, json};

use super::authorize::{harness, location};
use super::casa::{
    Browser, finish, offered_policies, page, password_step, second_factor_asked, sign_in,
};
use super::harness::*;

/// Add `uid`, with the `CasaAdmin` role when `admin`.
fn person(h: &Harness, uid: &str, admin: bool) -> User {
    let mut scim = serde_json::Map::new();
    if admin {
        scim.insert("roles".into(), json!([{"value": "CasaAdmin"}]));
    }
    block_on(h.engine.add_user(
        User {
            uid: uid.into(),
            scim,
            ..User::default()
        },
        "correct horse battery",
        &h.ctx(),
    ))
    .unwrap()
}

/// `uid` signed in to Casa (no second factor) in a new browser, and its CSRF token.
fn casa_as(h: &Harness, uid: &str) -> (Browser, String) {
    let mut b = Browser::default();
    let r = password_step(h, &mut b, uid);
    let dash = finish(h, &mut b, r, None);
    let csrf = page(&dash).2["csrf"].as_str().unwrap().to_owned();
    (b, csrf)
}

/// The settings form as the console shows it, with `changes`.
fn settings(csrf: &str, changes: &[(&'static str, &'static str)]) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        ("csrf", csrf),
        ("action", "settings"),
        ("method_fido2", "1"),
        ("method_otp", "1"),
        ("min_creds", "1"),
        ("allow_off", "1"),
        ("default_policy", "EVERY_LOGIN"),
        ("policy_EVERY_LOGIN", "1"),
        ("policy_DEVICE_UNKNOWN", "1"),
        ("policy_LOCATION_UNKNOWN", "1"),
        ("device_days", "30"),
        ("location_days", "15"),
        ("admin_group", ""),
        ("accent_color", "#1a6bd6"),
        ("background_color", "#f3f5f8"),
        ("extra_css", ""),
        ("log_level", "INFO"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (k, v) in changes {
        form.retain(|(name, _)| name != k);
        if !v.is_empty() {
            form.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    form
}

fn post(h: &Harness, b: &mut Browser, form: &[(String, String)]) -> jans_core::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post(h, "/jans-casa/admin", &pairs)
}

fn casa_config(h: &Harness) -> Value {
    serde_json::to_value(&h.engine.config().casa_configuration).unwrap()
}

#[test]
fn only_administrators_open_the_console_and_their_settings_reach_every_node() {
    let h = harness();
    person(&h, "root", true);
    let before = casa_config(&h);
    // alice is no administrator: 403, and her post changes nothing.
    let (mut alice, alice_csrf) = casa_as(&h, "alice");
    let dash = alice.get(&h, "/jans-casa/");
    assert_eq!(page(&dash).2["admin"], false);
    assert_eq!(page(&alice.get(&h, "/jans-casa/admin")).1, 403);
    let r = post(
        &h,
        &mut alice,
        &settings(&alice_csrf, &[("min_creds", "3")]),
    );
    assert_eq!(page(&r).1, 403);
    assert_eq!(casa_config(&h), before);

    let (mut root, csrf) = casa_as(&h, "root");
    assert_eq!(page(&root.get(&h, "/jans-casa/")).2["admin"], true);
    let console = root.get(&h, "/jans-casa/admin");
    let (template, status, ctx) = page(&console);
    assert_eq!((template, status), ("casa_admin.html", 200));
    assert_eq!(ctx["min_creds"], 1);
    assert_eq!(ctx["policies"][0]["default"], true);

    // Refused, each naming why, and nothing changes.
    for (change, why) in [
        (&[("min_creds", "0")][..], "min_creds"),
        (&[("min_creds", "many")], "number"),
        (&[("accent_color", "#ffd700")], "contrast"),
        (&[("background_color", "#333333")], "contrast"),
        (&[("accent_color", "red")], "accent_color"),
        (&[("default_policy", "")], "policy"),
        (&[("device_days", "0")], "device_exp_days"),
        (&[("log_level", "LOUD")], "log level"),
        (
            &[("extra_css", "</style><script>alert(1)</script>")],
            "extra_css",
        ),
    ] {
        let r = post(&h, &mut root, &settings(&csrf, change));
        let (_, status, ctx) = page(&r);
        assert_eq!(status, 400, "{change:?}");
        assert!(
            ctx["error"].as_str().unwrap().contains(why),
            "{change:?}: {}",
            ctx["error"]
        );
        assert_eq!(casa_config(&h), before, "{change:?}");
    }
    let unsigned = post(&h, &mut root, &settings("forged", &[("min_creds", "2")]));
    assert_eq!(page(&unsigned).1, 403);
    assert_eq!(casa_config(&h), before);

    // Saved: in force here at once, and on another node over the store after its sync.
    let other = Harness::with(config(), h.stores.clone(), [7; 32]);
    let r = post(
        &h,
        &mut root,
        &settings(
            &csrf,
            &[
                ("method_otp", ""),
                ("min_creds", "2"),
                ("allow_off", ""),
                ("default_policy", "DEVICE_UNKNOWN"),
                ("policy_LOCATION_UNKNOWN", ""),
                ("device_days", "10"),
                ("accent_color", "#0B5D1E"),
                ("extra_css", "h1 { letter-spacing: .01em; }"),
                ("log_level", "DEBUG"),
            ],
        ),
    );
    assert_eq!(
        location(&r),
        format!("{ISSUER}/jans-casa/admin?done=settings")
    );
    let c = h.engine.config();
    let casa = &c.casa_configuration;
    assert_eq!(casa.enabled_methods, ["fido2"]);
    assert_eq!(casa.basic_2fa_settings.min_creds, 2);
    assert!(!casa.basic_2fa_settings.allow_self_enable_disable);
    assert_eq!(casa.policy_2fa, [DeviceUnknown, EveryLogin]);
    assert_eq!(casa.trusted_dev_settings.device_exp_days, 10);
    assert_eq!(casa.accent_color, "#0b5d1e");
    assert_eq!(c.logging_level, "DEBUG");
    assert!(jans_core::casa::brand_css(casa).contains("letter-spacing"));
    assert_ne!(other.engine.config().casa_configuration, *casa);
    assert!(block_on(other.engine.sync_config()).unwrap());
    assert_eq!(other.engine.config().casa_configuration, *casa);
    assert_eq!(other.engine.config().logging_level, "DEBUG");
    // The other node changes the configuration first: this node's next save, from the
    // revision it read, is a 409 and loses nothing of the other's.
    let mut doc = jans_core::services::shared_doc(&other.engine.config()).unwrap();
    doc["casaConfiguration"]["basic_2fa_settings"]["min_creds"] = 3.into();
    block_on(other.engine.update_config(doc)).unwrap();
    let r = post(&h, &mut root, &settings(&csrf, &[("min_creds", "4")]));
    assert_eq!(page(&r).1, 409);
    assert!(block_on(h.engine.sync_config()).unwrap());
    assert_eq!(
        h.engine
            .config()
            .casa_configuration
            .basic_2fa_settings
            .min_creds,
        3
    );
    let r = post(
        &h,
        &mut root,
        &settings(
            &csrf,
            &[
                ("min_creds", "2"),
                ("method_otp", ""),
                ("allow_off", ""),
                ("default_policy", "DEVICE_UNKNOWN"),
                ("policy_LOCATION_UNKNOWN", ""),
                ("device_days", "10"),
                ("accent_color", "#0B5D1E"),
                ("log_level", "DEBUG"),
            ],
        ),
    );
    assert_eq!(
        location(&r),
        format!("{ISSUER}/jans-casa/admin?done=settings")
    );

    // People see them: no authenticator apps to add (the page refuses), 2 credentials to
    // turn 2FA on, no turning it off.
    let dash = alice.get(&h, "/jans-casa/");
    let ctx = page(&dash).2;
    assert_eq!(ctx["apps_available"], false);
    assert_eq!(ctx["two_factor"]["min"], 2);
    assert_eq!(page(&alice.get(&h, "/jans-casa/otp")).1, 403);
    assert_eq!(offered_policies(ctx), ["every", "device"]);
    // An app alice enrolled before is not offered at sign-in now; her recovery codes are.
    let inum = block_on(h.stores.users.by_uid("alice"))
        .unwrap()
        .unwrap()
        .inum;
    let casa = h.engine.casa();
    let e = casa.start_totp(&inum, "alice", &h.ctx()).unwrap();
    let secret = jans_core::otp::base32_decode(&e.secret).unwrap();
    let code = format!("{:06}", Totp::default().code(&secret, h.clock.now()));
    block_on(casa.confirm_totp(&inum, &e.pending, "Phone", &code, &h.ctx()))
        .unwrap()
        .unwrap();
    block_on(casa.new_recovery_codes(&inum, &h.ctx())).unwrap();
    block_on(
        TwoFactorSettings::new(h.stores.documents.clone()).put(&TwoFactor {
            user: inum,
            enabled: true,
            preferred: Some(jans_core::repo::two_factor::Factor::Otp),
            policy: Vec::new(),
            updated_at: 1,
        }),
    )
    .unwrap();
    let r = password_step(&h, &mut Browser::default(), "alice");
    let id = super::authorize::q(&location(&r), "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(
        view.factors,
        [jans_core::repo::two_factor::Factor::RecoveryCode]
    );
}

#[test]
fn a_group_makes_administrators_too() {
    let h = harness();
    let bob = person(&h, "bob", false);
    person(&h, "root", true);
    block_on(h.stores.groups.insert(&Group {
        inum: "casa-admins".into(),
        display_name: "Casa administrators".into(),
        members: vec![Member {
            value: bob.inum.clone(),
            kind: Default::default(),
        }],
        ..Group::default()
    }))
    .unwrap();
    let (mut b, _) = casa_as(&h, "bob");
    assert_eq!(
        page(&b.get(&h, "/jans-casa/admin")).1,
        403,
        "no group configured"
    );
    let (mut root, csrf) = casa_as(&h, "root");
    let r = post(
        &h,
        &mut root,
        &settings(&csrf, &[("admin_group", "casa-admins")]),
    );
    assert_eq!(
        location(&r),
        format!("{ISSUER}/jans-casa/admin?done=settings")
    );
    assert_eq!(page(&b.get(&h, "/jans-casa/admin")).1, 200);
    let (mut alice, _) = casa_as(&h, "alice");
    assert_eq!(page(&alice.get(&h, "/jans-casa/admin")).1, 403);
}

#[test]
fn a_locked_out_person_is_reset_to_password_only() {
    let h = harness();
    person(&h, "root", true);
    // alice: an app, 2FA on, a trusted device.
    let alice = block_on(h.stores.users.by_uid("alice")).unwrap().unwrap();
    let casa = h.engine.casa();
    let e = casa.start_totp(&alice.inum, "alice", &h.ctx()).unwrap();
    let secret = jans_core::otp::base32_decode(&e.secret).unwrap();
    let code = |at: u64| format!("{:06}", Totp::default().code(&secret, at));
    block_on(casa.confirm_totp(
        &alice.inum,
        &e.pending,
        "Phone",
        &code(h.clock.now()),
        &h.ctx(),
    ))
    .unwrap()
    .unwrap();
    let settings = TwoFactorSettings::new(h.stores.documents.clone());
    block_on(settings.put(&TwoFactor {
        user: alice.inum.clone(),
        enabled: true,
        preferred: None,
        policy: vec![DeviceUnknown],
        updated_at: 1,
    }))
    .unwrap();
    let next = || {
        h.clock.advance(30);
        code(h.clock.now())
    };
    let mut phone = Browser::default();
    sign_in(&h, &mut phone, Some(&next));
    let devices = TrustedDevices::new(h.stores.documents.clone());
    assert_eq!(block_on(devices.of_user(&alice.inum)).unwrap().len(), 1);

    // Not by alice herself, not without CSRF, not for nobody.
    let (mut root, csrf) = casa_as(&h, "root");
    let mut own = Browser::default();
    let own_dash = sign_in(&h, &mut own, Some(&next));
    let own_csrf = page(&own_dash).2["csrf"].as_str().unwrap().to_owned();
    let reset = |csrf: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("action".to_owned(), "reset".to_owned()),
            ("username".to_owned(), "alice".to_owned()),
        ]
    };
    assert_eq!(page(&post(&h, &mut own, &reset(&own_csrf))).1, 403);
    assert_eq!(page(&post(&h, &mut root, &reset("forged"))).1, 403);
    let nobody = vec![
        ("csrf".to_owned(), csrf.clone()),
        ("action".to_owned(), "reset".to_owned()),
        ("username".to_owned(), "nobody".to_owned()),
    ];
    assert_eq!(page(&post(&h, &mut root, &nobody)).1, 404);
    assert!(block_on(settings.get(&alice.inum)).unwrap().enabled);
    assert_eq!(block_on(devices.of_user(&alice.inum)).unwrap().len(), 2);

    // Reset: 2FA off, devices forgotten, her app kept; the password alone signs her in.
    let r = post(&h, &mut root, &reset(&csrf));
    let (_, status, ctx) = page(&r);
    assert_eq!(status, 200);
    assert_eq!(ctx["notice"], "alice signs in with the password alone now.");
    assert!(!block_on(settings.get(&alice.inum)).unwrap().enabled);
    assert!(block_on(devices.of_user(&alice.inum)).unwrap().is_empty());
    let apps = jans_core::repo::otp::OtpDevices::new(h.stores.documents.clone());
    assert_eq!(block_on(apps.of_user(&alice.inum)).unwrap().len(), 1);
    let mut fresh = Browser::default();
    let r = password_step(&h, &mut fresh, "alice");
    assert!(!second_factor_asked(&r));
}
