//! When the second factor is asked (issue 17 item 5): the person's policy among those the
//! administrator allows — every sign-in, an unknown device, an unknown location — and
//! trusted devices. A browser that confirmed the second factor under a device policy gets
//! a sealed device cookie and a record; there the factor is skipped until the person
//! revokes it in Casa, it expires, or the policy no longer allows it. A forged cookie,
//! another person's cookie, an unknown or unmapped country: asked.

use std::net::IpAddr;
use std::sync::Arc;

use jans_core::config::casa::EnforcementPolicy::{
    self, DeviceUnknown, EveryLogin, LocationUnknown,
};
use jans_core::geo::IpCountries;
use jans_core::otp::Totp;
use jans_core::repo::trusted_device::TrustedDevices;
use jans_core::repo::two_factor::{TwoFactor, TwoFactorSettings};
use jans_core::testing::block_on;
use serde_json::json;

use super::authorize::harness;
use super::authorize::{location, q};
use super::casa::{
    Browser, finish, offered_policies, page, password_step, second_factor_asked, sign_in,
};
use super::harness::*;
use super::passkey_login::{done, id_token_claims, with_acr};

const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/131.0.0.0 Safari/537.36";
const TABLE: &[u8] = b"10.0.0.0,10.0.0.255,NL\n10.0.1.0,10.0.1.255,FR\n";

/// A harness whose host has [`TABLE`], with alice.
fn harness_with_countries() -> Harness {
    let h = Harness::built(
        config(),
        jans_core::repo::Stores::memory(),
        [7; 32],
        42,
        |b| b.ip_countries(Arc::new(IpCountries::parse(TABLE).unwrap())),
    );
    h.add_user("alice");
    h
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn browser(at: &str) -> Browser {
    Browser {
        user_agent: Some(CHROME.to_owned()),
        ip: Some(ip(at)),
        ..Browser::default()
    }
}

fn inum(h: &Harness, uid: &str) -> String {
    block_on(h.stores.users.by_uid(uid)).unwrap().unwrap().inum
}

/// alice's authenticator app, and 2FA on under `policy`: a generator of her next code.
fn alice_with_app<'h>(h: &'h Harness, policy: &[EnforcementPolicy]) -> impl Fn() -> String + 'h {
    with_app(h, "alice", policy)
}

/// An authenticator app of `uid`, and 2FA on under `policy`: a generator of the next code.
fn with_app<'h>(
    h: &'h Harness,
    uid: &str,
    policy: &[EnforcementPolicy],
) -> impl Fn() -> String + 'h {
    let alice = inum(h, uid);
    let casa = h.engine.casa();
    let e = casa.start_totp(&alice, uid, &h.ctx()).unwrap();
    let secret = jans_core::otp::base32_decode(&e.secret).unwrap();
    let code = move |at: u64| format!("{:06}", Totp::default().code(&secret, at));
    block_on(casa.confirm_totp(&alice, &e.pending, "Phone", &code(h.clock.now()), &h.ctx()))
        .unwrap()
        .unwrap();
    block_on(
        TwoFactorSettings::new(h.stores.documents.clone()).put(&TwoFactor {
            user: alice,
            enabled: true,
            preferred: None,
            policy: policy.to_vec(),
            updated_at: 1,
        }),
    )
    .unwrap();
    // Each code in its own time step: a step's code is good once.
    move || {
        h.clock.advance(30);
        code(h.clock.now())
    }
}

fn devices(h: &Harness) -> Vec<jans_core::repo::trusted_device::TrustedDevice> {
    block_on(TrustedDevices::new(h.stores.documents.clone()).of_user(&inum(h, "alice"))).unwrap()
}

/// Whether signing in to Casa as `uid` in `b` asks for the second factor (answered with
/// `code` when it does).
fn asks_of(h: &Harness, b: &mut Browser, uid: &str, code: &dyn Fn() -> String) -> bool {
    // Signed out everywhere; the browser keeps its device cookie.
    b.cookies.retain(|(n, _)| n == "jans_device");
    let r = password_step(h, b, uid);
    let asked = second_factor_asked(&r);
    finish(h, b, r, asked.then_some(code));
    asked
}

fn asks(h: &Harness, b: &mut Browser, code: &dyn Fn() -> String) -> bool {
    asks_of(h, b, "alice", code)
}

fn device_cookie(b: &Browser) -> Option<String> {
    b.cookies
        .iter()
        .find(|(n, _)| n == "jans_device")
        .map(|(_, v)| v.clone())
}

#[test]
fn a_trusted_device_skips_the_second_factor_until_it_is_revoked_or_expires() {
    let h = harness_with_countries();
    let code = alice_with_app(&h, &[DeviceUnknown]);
    let mut laptop = browser("10.0.0.5");
    // The first sign-in asks, then trusts the browser: a sealed cookie and a record.
    assert!(asks(&h, &mut laptop, &code));
    let cookie = device_cookie(&laptop).expect("a device cookie");
    let known = devices(&h);
    assert_eq!(known.len(), 1);
    assert_eq!(
        (known[0].browser.as_str(), known[0].os.as_str()),
        ("Chrome 131", "Linux")
    );
    assert_eq!(known[0].origins[0].country, "NL");
    assert!(
        !cookie.contains(&known[0].id),
        "the record's id is not the cookie"
    );
    // Signed out, back again on the same browser: the password alone, acr casa.
    assert!(!asks(&h, &mut laptop, &code));
    // An application asking for `casa` there: an ID token of the password alone.
    let c = super::authorize::rp(&h, json!({"trusted_client": true}));
    let params = jans_core::params::Params::from_pairs(
        with_acr(&c, "casa")
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    laptop.cookies.retain(|(n, _)| n == "jans_device");
    let start = laptop.get(
        &h,
        &format!("/jans-auth/restv1/authorize?{}", params.encode()),
    );
    let id = q(&location(&start), "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let r = done(
        block_on(h.engine.interaction_login(
            &id,
            &view.csrf,
            "alice",
            "correct horse battery",
            &h.ctx(),
        ))
        .unwrap(),
    );
    let claims = id_token_claims(&h, &c, &location(&r));
    assert_eq!(
        (&claims["acr"], &claims["amr"]),
        (&json!("casa"), &json!(["pwd"]))
    );
    // Another browser, a forged cookie, an altered one: asked.
    assert!(asks(&h, &mut browser("10.0.0.5"), &code));
    let mut altered = cookie.clone();
    altered.pop();
    altered.push(if cookie.ends_with('A') { 'B' } else { 'A' });
    for forged in ["forged", &altered] {
        let mut b = browser("10.0.0.5");
        b.cookies.push(("jans_device".into(), forged.to_owned()));
        assert!(asks(&h, &mut b, &code), "{forged}");
    }
    // Revoked in Casa: asked there again.
    let mut b = browser("10.0.0.5");
    let dash = sign_in(&h, &mut b, Some(&code));
    let (_, _, ctx) = page(&dash);
    let csrf = ctx["csrf"].as_str().unwrap().to_owned();
    let shown: Vec<String> = ctx["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    // Every browser that answered the code: the laptop, the other, the two with forged
    // cookies (each given a real one), this one.
    assert_eq!(shown.len(), 5);
    assert_eq!(ctx["devices"][0]["name"], "Chrome 131 on Linux");
    assert_eq!(ctx["devices"][0]["countries"], json!(["NL"]));
    let other = b.post(
        &h,
        "/jans-casa/devices/not-a-device",
        &[("csrf", &csrf), ("action", "remove")],
    );
    assert_eq!(page(&other).1, 404);
    let unsigned = b.post(
        &h,
        &format!("/jans-casa/devices/{}", shown[0]),
        &[("action", "remove")],
    );
    assert_eq!(page(&unsigned).1, 403);
    assert_eq!(devices(&h).len(), 5, "nothing changed");
    for id in &shown {
        let r = b.post(
            &h,
            &format!("/jans-casa/devices/{id}"),
            &[("csrf", &csrf), ("action", "remove")],
        );
        assert_eq!(
            location(&r),
            format!("{ISSUER}/jans-casa/?done=device-removed")
        );
    }
    assert!(devices(&h).is_empty());
    assert!(asks(&h, &mut laptop, &code), "revoked");
    // Trusted again, then 30 days (device_exp_days) pass: asked.
    assert!(!asks(&h, &mut laptop, &code));
    h.clock.advance(31 * 86_400);
    assert!(asks(&h, &mut laptop, &code), "expired");
}

#[test]
fn a_device_is_trusted_per_person_and_every_login_ignores_it() {
    let h = harness_with_countries();
    let code = alice_with_app(&h, &[DeviceUnknown]);
    let mut b = browser("10.0.0.5");
    assert!(asks(&h, &mut b, &code));
    assert!(!asks(&h, &mut b, &code));
    // Under "every sign-in" the cookie counts for nothing, and no device is added.
    let alice = inum(&h, "alice");
    let settings = TwoFactorSettings::new(h.stores.documents.clone());
    let mut s = block_on(settings.get(&alice)).unwrap();
    s.policy = vec![EveryLogin];
    block_on(settings.put(&s)).unwrap();
    let before = devices(&h);
    assert!(asks(&h, &mut b, &code));
    assert_eq!(devices(&h), before, "nothing trusted under every sign-in");
    // The administrator stops allowing device policies: alice's choice no longer holds.
    s.policy = vec![DeviceUnknown];
    block_on(settings.put(&s)).unwrap();
    assert!(!asks(&h, &mut b, &code));
    let mut doc = jans_core::services::shared_doc(&h.engine.config()).unwrap();
    doc["casaConfiguration"]["policy_2fa"] = json!(["EVERY_LOGIN", "LOCATION_UNKNOWN"]);
    block_on(h.engine.update_config(doc)).unwrap();
    assert!(asks(&h, &mut b, &code));
    // Bob, on alice's trusted browser, is a stranger there: asked, then trusted apart.
    let bob = h.add_user("bob");
    let bob_code = with_app(&h, "bob", &[DeviceUnknown]);
    let mut doc = jans_core::services::shared_doc(&h.engine.config()).unwrap();
    doc["casaConfiguration"]["policy_2fa"] = json!(["DEVICE_UNKNOWN"]);
    block_on(h.engine.update_config(doc)).unwrap();
    assert!(!asks(&h, &mut b, &code), "alice's trust holds again");
    assert!(asks_of(&h, &mut b, "bob", &bob_code));
    let of_bob = block_on(TrustedDevices::new(h.stores.documents.clone()).of_user(&bob.inum));
    assert_eq!(of_bob.unwrap().len(), 1);
    assert!(!asks_of(&h, &mut b, "bob", &bob_code));
    assert!(!asks(&h, &mut b, &code));
}

#[test]
fn an_unknown_country_asks_and_a_recent_one_does_not() {
    let h = harness_with_countries();
    let code = alice_with_app(&h, &[LocationUnknown]);
    // No country known yet: asked; NL is then known, from any browser.
    assert!(asks(&h, &mut browser("10.0.0.5"), &code));
    assert!(!asks(&h, &mut browser("10.0.0.77"), &code));
    // France, an address the table does not map, no address at all: asked.
    assert!(asks(&h, &mut browser("10.0.1.5"), &code));
    assert!(asks(&h, &mut browser("192.0.2.1"), &code));
    let mut nowhere = browser("10.0.0.5");
    nowhere.ip = None;
    assert!(asks(&h, &mut nowhere, &code));
    // Both known now; 16 days later (location_exp_days 15) neither is.
    assert!(!asks(&h, &mut browser("10.0.1.9"), &code));
    h.clock.advance(16 * 86_400);
    assert!(asks(&h, &mut browser("10.0.0.5"), &code));
    // Device or location: a new browser in a known country is still asked.
    let alice = inum(&h, "alice");
    let settings = TwoFactorSettings::new(h.stores.documents.clone());
    let mut s = block_on(settings.get(&alice)).unwrap();
    s.policy = vec![DeviceUnknown, LocationUnknown];
    block_on(settings.put(&s)).unwrap();
    assert!(asks(&h, &mut browser("10.0.0.5"), &code));
}

#[test]
fn without_a_country_table_no_location_is_known_or_offered() {
    let h = harness();
    let code = alice_with_app(&h, &[LocationUnknown]);
    let mut b = browser("10.0.0.5");
    assert!(asks(&h, &mut b, &code));
    assert!(asks(&h, &mut b, &code), "still unknown");
    // Casa offers every sign-in and unknown devices only.
    let dash = b.get(&h, "/jans-casa/");
    let (_, _, ctx) = page(&dash);
    assert_eq!(offered_policies(ctx), ["every", "device"]);
    let csrf = ctx["csrf"].as_str().unwrap().to_owned();
    let alice = inum(&h, "alice");
    let settings = TwoFactorSettings::new(h.stores.documents.clone());
    for refused in ["location", "device_location", "sometimes", ""] {
        let r = b.post(
            &h,
            "/jans-casa/2fa",
            &[("csrf", &csrf), ("action", "policy"), ("when", refused)],
        );
        assert_eq!(page(&r).1, 400, "{refused}");
        assert_eq!(
            block_on(settings.get(&alice)).unwrap().policy,
            [LocationUnknown]
        );
    }
    let r = b.post(
        &h,
        "/jans-casa/2fa",
        &[("csrf", &csrf), ("action", "policy"), ("when", "device")],
    );
    assert_eq!(location(&r), format!("{ISSUER}/jans-casa/?done=policy"));
    assert_eq!(
        block_on(settings.get(&alice)).unwrap().policy,
        [DeviceUnknown]
    );
    let dash = b.get(&h, "/jans-casa/?done=policy");
    let (_, _, ctx) = page(&dash);
    assert_eq!(ctx["when"][1]["checked"], true);
}

/// Sign-ins noting a device and its revocation, racing, on every backend: the revocation
/// holds (a sign-in never writes the device back), and one revocation of two says so.
#[test]
fn a_revocation_racing_sign_ins_holds_on_every_backend() {
    use jans_core::repo::trusted_device::TrustedDevice;
    for backend in super::backends::all() {
        let name = backend.name;
        let devices = TrustedDevices::new(backend.stores.documents.clone());
        let device = TrustedDevice {
            id: "d1".into(),
            user: "u1".into(),
            browser: "Chrome 131".into(),
            os: "Linux".into(),
            added_at: 1,
            last_used: 1,
            trusted_until: u64::MAX,
            origins: Vec::new(),
        };
        block_on(devices.put(&device)).unwrap();
        let devices = &devices;
        let outcomes: Vec<(bool, bool)> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8u64)
                .map(|i| {
                    s.spawn(move || {
                        if i % 4 == 0 {
                            (true, block_on(devices.delete("u1", "d1")).unwrap())
                        } else {
                            (
                                false,
                                block_on(devices.seen("u1", "d1", Some("NL"), 10 + i)).unwrap(),
                            )
                        }
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let revoked = outcomes.iter().filter(|(del, ok)| *del && *ok).count();
        assert_eq!(revoked, 1, "{name}: {outcomes:?}");
        assert!(
            block_on(devices.get("u1", "d1")).unwrap().is_none(),
            "{name}"
        );
        assert!(
            block_on(devices.of_user("u1")).unwrap().is_empty(),
            "{name}"
        );
    }
}

/// A person keeps at most 20 trusted devices: trusting one more forgets the least recently
/// used, on every backend; another person's are untouched.
#[test]
fn the_least_recently_used_device_goes_past_twenty_on_every_backend() {
    use jans_core::repo::trusted_device::{MAX_PER_PERSON, TrustedDevice};
    for backend in super::backends::all() {
        let name = backend.name;
        let devices = TrustedDevices::new(backend.stores.documents.clone());
        let device = |user: &str, n: u64| TrustedDevice {
            id: format!("{user}-d{n}"),
            user: user.into(),
            browser: "Chrome 131".into(),
            os: "Linux".into(),
            added_at: n,
            // d0 is the least recently used, then d1, ...
            last_used: 100 + n,
            trusted_until: u64::MAX,
            origins: Vec::new(),
        };
        block_on(devices.put(&device("other", 0))).unwrap();
        for n in 0..MAX_PER_PERSON as u64 {
            block_on(devices.put(&device("u1", n))).unwrap();
        }
        assert_eq!(
            block_on(devices.of_user("u1")).unwrap().len(),
            MAX_PER_PERSON,
            "{name}"
        );
        block_on(devices.put(&device("u1", 99))).unwrap();
        let kept = block_on(devices.of_user("u1")).unwrap();
        assert_eq!(kept.len(), MAX_PER_PERSON, "{name}");
        assert_eq!(kept[0].id, "u1-d99", "{name}: most recently used first");
        assert!(
            kept.iter().all(|d| d.id != "u1-d0"),
            "{name}: the oldest went"
        );
        assert_eq!(
            block_on(devices.of_user("other")).unwrap().len(),
            1,
            "{name}"
        );
    }
}
