//! One-time passwords (issue 17 item 2, the engine's part): an authenticator app enrolled
//! with a first code (nothing stored before it, the secret sealed after), its codes checked
//! one step either side of now, each accepted once per time step — raced by eight logins on
//! memory, sled and PostgreSQL, exactly one wins — never for an earlier step, and only for
//! its owner, who alone renames or deletes the device; wrong codes rate-limited per person
//! like passwords, counted apart from them.

use jans_core::otp::{OtpAlgorithm, Totp};
use jans_core::repo::otp::{OtpDevice, OtpDevices, OtpKind};
use jans_core::testing::block_on;

const SECRET: &[u8] = b"12345678901234567890";

fn device(id: &str, user: &str, added_on: u64) -> OtpDevice {
    OtpDevice {
        id: id.into(),
        user: user.into(),
        nickname: format!("{id}'s phone"),
        kind: OtpKind::Totp,
        // The test keeps the secret itself; the engine seals it.
        secret_sealed: "sealed".into(),
        alg: OtpAlgorithm::Sha1,
        digits: 6,
        period: 30,
        last_step: None,
        added_on,
        last_used: None,
    }
}

#[test]
fn a_code_is_accepted_once_per_step_on_every_backend() {
    for backend in super::backends::all() {
        let name = backend.name;
        let devices = OtpDevices::new(backend.stores.documents.clone());
        block_on(devices.insert(&device("d1", "alice", 1))).unwrap();
        let totp = Totp::default();
        let now = 1_800_000_000;
        let code = format!("{:06}", totp.code(SECRET, now));
        let step = totp.verify(SECRET, &code, now, 1).unwrap();
        let won: Vec<bool> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8)
                .map(|_| s.spawn(|| block_on(devices.spend("alice", "d1", step, now)).unwrap()))
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(won.iter().filter(|w| **w).count(), 1, "{name}");
        // The same step again, an earlier one: refused; the next one: accepted.
        assert!(
            !block_on(devices.spend("alice", "d1", step, now)).unwrap(),
            "{name}"
        );
        assert!(
            !block_on(devices.spend("alice", "d1", step - 1, now)).unwrap(),
            "{name}"
        );
        assert!(
            block_on(devices.spend("alice", "d1", step + 1, now + 30)).unwrap(),
            "{name}"
        );
        let d = block_on(devices.get("alice", "d1")).unwrap().unwrap();
        assert_eq!((d.last_step, d.last_used), (Some(step + 1), Some(now + 30)));
        // Another person's code of it is not theirs to spend.
        assert!(
            !block_on(devices.spend("mallory", "d1", step + 2, now)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn only_the_owner_lists_renames_and_deletes_a_device() {
    let devices = OtpDevices::new(jans_core::repo::Stores::memory().documents);
    for (id, user, at) in [("d2", "alice", 20), ("d1", "alice", 10), ("d3", "bob", 5)] {
        block_on(devices.insert(&device(id, user, at))).unwrap();
    }
    let ids = |user: &str| -> Vec<String> {
        block_on(devices.of_user(user))
            .unwrap()
            .into_iter()
            .map(|d| d.id)
            .collect()
    };
    assert_eq!(ids("alice"), ["d1", "d2"], "oldest first");
    assert_eq!(ids("bob"), ["d3"]);
    assert!(block_on(devices.get("bob", "d1")).unwrap().is_none());
    assert!(!block_on(devices.rename("bob", "d1", "mine now")).unwrap());
    assert!(!block_on(devices.delete("bob", "d1")).unwrap());
    assert_eq!(
        block_on(devices.get("alice", "d1"))
            .unwrap()
            .unwrap()
            .nickname,
        "d1's phone",
        "nothing changed"
    );
    assert!(block_on(devices.rename("alice", "d1", "work phone")).unwrap());
    assert_eq!(
        block_on(devices.get("alice", "d1"))
            .unwrap()
            .unwrap()
            .nickname,
        "work phone"
    );
    assert!(block_on(devices.delete("alice", "d1")).unwrap());
    assert_eq!(ids("alice"), ["d2"]);
    assert!(!block_on(devices.delete("alice", "d1")).unwrap());
}

/// The code an app makes from the enrolment's secret at `at`.
fn app_code(secret_base32: &str, at: u64) -> String {
    let secret = jans_core::otp::base32_decode(secret_base32).unwrap();
    format!("{:06}", Totp::default().code(&secret, at))
}

#[test]
fn an_authenticator_app_is_enrolled_with_a_first_code_then_signs_in_once_per_code() {
    let h = super::authorize::harness();
    let alice = block_on(h.stores.users.by_uid("alice")).unwrap().unwrap();
    let auth = h.engine.auth();
    let casa = h.engine.casa();
    let e = casa
        .start_totp(&alice.inum, "alice@example.com", &h.ctx())
        .unwrap();
    assert!(
        e.uri
            .starts_with("otpauth://totp/id.example.com:alice%40example.com?secret=")
    );
    assert!(e.uri.contains(&format!("secret={}&", e.secret)));
    assert!(e.qr_svg.starts_with("<svg "));
    let now = h.clock.now();
    // Nothing is stored before the first code; a wrong code, another person's enrolment
    // or an expired one store nothing either.
    let devices = OtpDevices::new(h.stores.documents.clone());
    let bob = h.add_user("bob");
    assert!(
        block_on(casa.confirm_totp(&alice.inum, &e.pending, "Phone", "000000", &h.ctx()))
            .unwrap()
            .is_none()
    );
    let code = app_code(&e.secret, now);
    assert!(
        block_on(casa.confirm_totp(&bob.inum, &e.pending, "Phone", &code, &h.ctx()))
            .unwrap()
            .is_none()
    );
    assert!(
        block_on(casa.confirm_totp(&alice.inum, "garbage", "Phone", &code, &h.ctx()))
            .unwrap()
            .is_none()
    );
    assert!(block_on(devices.of_user(&alice.inum)).unwrap().is_empty());
    let device = block_on(casa.confirm_totp(&alice.inum, &e.pending, "Phone", &code, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(device.nickname, "Phone");
    assert!(
        !device.secret_sealed.contains(&e.secret),
        "the secret is sealed"
    );
    // The enrolment's own code does not sign in again (its step is spent).
    use jans_core::auth::authn::otp::OtpCheck;
    let check = |c: &str| block_on(auth.check_otp(&alice.inum, c, &h.ctx())).unwrap();
    assert_eq!(check(&code), OtpCheck::Invalid);
    h.clock.advance(30);
    let next = app_code(&e.secret, h.clock.now());
    assert_eq!(check(&next), OtpCheck::Valid(device.id.clone()));
    assert_eq!(check(&next), OtpCheck::Invalid, "a code is good once");
    // A code of a step 90 s back is out of the window.
    h.clock.advance(30);
    assert_eq!(
        check(&app_code(&e.secret, h.clock.now() - 90)),
        OtpCheck::Invalid
    );
    // Bob has no device: nothing is valid for him.
    assert_eq!(
        block_on(auth.check_otp(&bob.inum, &app_code(&e.secret, h.clock.now()), &h.ctx())).unwrap(),
        OtpCheck::Invalid
    );
    // An enrolment waits ten minutes at most.
    let late = casa.start_totp(&alice.inum, "alice", &h.ctx()).unwrap();
    h.clock
        .advance(jans_core::casa::otp::ENROLMENT_LIFETIME + 1);
    let code = app_code(&late.secret, h.clock.now());
    assert!(
        block_on(casa.confirm_totp(&alice.inum, &late.pending, "Phone", &code, &h.ctx()))
            .unwrap()
            .is_none()
    );
}

#[test]
fn wrong_codes_are_rate_limited_per_person_like_passwords() {
    let h = super::authorize::harness();
    let alice = block_on(h.stores.users.by_uid("alice")).unwrap().unwrap();
    let auth = h.engine.auth();
    let casa = h.engine.casa();
    let e = casa.start_totp(&alice.inum, "alice", &h.ctx()).unwrap();
    let code = app_code(&e.secret, h.clock.now());
    block_on(casa.confirm_totp(&alice.inum, &e.pending, "Phone", &code, &h.ctx()))
        .unwrap()
        .unwrap();
    use jans_core::auth::authn::otp::OtpCheck;
    let allowed = h
        .engine
        .config()
        .authentication_protection_configuration
        .maximum_allowed_attempts_without_delay;
    let mut waited = false;
    for _ in 0..=allowed + 1 {
        match block_on(auth.check_otp(&alice.inum, "000000", &h.ctx())).unwrap() {
            OtpCheck::Wait(s) => {
                assert!(s >= 1);
                waited = true;
            }
            other => assert_eq!(other, OtpCheck::Invalid),
        }
    }
    assert!(waited, "guesses beyond the allowance wait");
    // Passwords are counted apart: alice's password still checks.
    assert!(matches!(
        block_on(
            h.engine
                .check_password_counted("alice", "correct horse battery", &h.ctx())
        )
        .unwrap(),
        jans_core::auth::authn::interaction::PasswordCheck::Valid(_)
    ));
}

#[test]
fn recovery_codes_are_a_second_factor_each_once_counted_with_otps() {
    use jans_core::auth::authn::otp::{OtpCheck, RECOVERY_CODE};
    let h = super::authorize::harness();
    let alice = block_on(h.stores.users.by_uid("alice")).unwrap().unwrap();
    let auth = h.engine.auth();
    let check = |c: &str| block_on(auth.check_recovery_code(&alice.inum, c, &h.ctx())).unwrap();
    assert_eq!(check("2345-6789-abcd"), OtpCheck::Invalid, "no set yet");
    let codes = block_on(h.engine.casa().new_recovery_codes(&alice.inum, &h.ctx())).unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(check(&codes[0]), OtpCheck::Valid(RECOVERY_CODE.into()));
    assert_eq!(check(&codes[0]), OtpCheck::Invalid, "used");
    let again = block_on(h.engine.casa().new_recovery_codes(&alice.inum, &h.ctx())).unwrap();
    assert_eq!(check(&codes[1]), OtpCheck::Invalid, "the old set ended");
    assert_eq!(check(&again[1]), OtpCheck::Valid(RECOVERY_CODE.into()));
    // Wrong recovery codes and wrong one-time passwords share one count.
    let allowed = h
        .engine
        .config()
        .authentication_protection_configuration
        .maximum_allowed_attempts_without_delay;
    for _ in 0..allowed {
        assert_eq!(check("2345-6789-abcd"), OtpCheck::Invalid);
    }
    assert!(matches!(
        block_on(auth.check_otp(&alice.inum, "000000", &h.ctx())).unwrap(),
        OtpCheck::Invalid
    ));
    assert!(
        matches!(check(&again[2]), OtpCheck::Wait(_)),
        "delayed, unchecked"
    );
    // After the delay the code is still good (a refusal unchecked spends nothing).
    h.clock.advance(
        h.engine
            .config()
            .authentication_protection_configuration
            .delay_time,
    );
    assert_eq!(check(&again[2]), OtpCheck::Valid(RECOVERY_CODE.into()));
}
