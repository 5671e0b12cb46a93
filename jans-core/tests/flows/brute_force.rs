//! Janssen's `authenticationProtectionConfiguration`: per-user limits on password guessing
//! that hold whatever the channel and however many requests arrive at once (issue 10).

use std::sync::Arc;

use jans_core::auth::authn::interaction::{LoginResult, PasswordCheck};
use jans_core::testing::block_on;

use super::authorize::{authorize, harness, location, q, rp, std_params};
use super::harness::*;

/// One login attempt for alice through a fresh interaction (the login page's path).
fn page_attempt(h: &Harness, c: &jans_core::RegisteredClient, password: &str) -> LoginResult {
    let to = location(&authorize(h, &std_params(c), None));
    let id = q(&to, "interaction").unwrap();
    let v = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    block_on(
        h.engine
            .interaction_login(&id, &v.csrf, "alice", password, &h.ctx()),
    )
    .unwrap()
}

#[test]
fn attempts_beyond_the_allowance_wait_out_the_delay() {
    let h = harness();
    let c = rp(&h, serde_json::json!({}));
    // Janssen's defaults: 4 attempts without delay, then one per 2 s, remembered 15 s.
    for _ in 0..4 {
        assert!(matches!(
            page_attempt(&h, &c, "wrong password"),
            LoginResult::Retry { .. }
        ));
    }
    // The first attempt past the allowance is checked and starts the delay ...
    assert!(matches!(
        page_attempt(&h, &c, "wrong password"),
        LoginResult::Retry { .. }
    ));
    // ... within which any attempt is refused unchecked, whatever the case of the name,
    // and the right password too.
    let checks = h.engine.hasher().checks();
    assert!(matches!(
        page_attempt(&h, &c, "wrong password"),
        LoginResult::Wait { seconds: 2 }
    ));
    assert!(matches!(
        block_on(
            h.engine
                .check_password_counted("ALICE", "correct horse battery", &h.ctx())
        )
        .unwrap(),
        PasswordCheck::Wait(2)
    ));
    assert!(matches!(
        page_attempt(&h, &c, "correct horse battery"),
        LoginResult::Wait { .. }
    ));
    assert_eq!(
        h.engine.hasher().checks(),
        checks,
        "refused attempts are not hashed"
    );
    // Other users are not affected.
    assert!(matches!(
        block_on(
            h.engine
                .check_password_counted("bob", "some password", &h.ctx())
        )
        .unwrap(),
        PasswordCheck::Invalid
    ));
    // Once the delay has passed, one attempt is checked: the right password ends it all.
    h.clock.advance(1);
    assert!(matches!(
        page_attempt(&h, &c, "correct horse battery"),
        LoginResult::Wait { seconds: 1 }
    ));
    h.clock.advance(1);
    assert!(matches!(
        page_attempt(&h, &c, "correct horse battery"),
        LoginResult::Done(_)
    ));
    for _ in 0..4 {
        assert!(matches!(
            page_attempt(&h, &c, "wrong password"),
            LoginResult::Retry { .. }
        ));
    }
    // Attempts are forgotten attemptExpiration (15 s) after the last one.
    h.clock.advance(16);
    for _ in 0..5 {
        assert!(matches!(
            page_attempt(&h, &c, "wrong password"),
            LoginResult::Retry { .. }
        ));
    }
}

/// 50 guesses for one user at once, half through the login page and half through the
/// password grant: at most `maximumAllowedAttemptsWithoutDelay + 1` are checked against the
/// hash, every other one is refused with the time to wait, and the right password sent
/// inside the delay is refused until it ends. On every backend.
#[test]
fn concurrent_guesses_are_bounded_on_every_backend() {
    for backend in super::backends::all() {
        let mut config = super::harness::config();
        config.grant_types_supported.push("password".to_owned());
        let h = Arc::new(Harness::with(
            config.clone(),
            backend.stores.clone(),
            [7; 32],
        ));
        h.add_user("alice");
        let c = rp(
            &h,
            serde_json::json!({"grant_types": ["authorization_code", "password"]}),
        );
        let allowance = config
            .authentication_protection_configuration
            .maximum_allowed_attempts_without_delay as usize;
        // The page attempts need their interactions first.
        let interactions: Vec<(String, String)> = (0..25)
            .map(|_| {
                let to = location(&authorize(&h, &std_params(&c), None));
                let id = q(&to, "interaction").unwrap();
                let v = block_on(h.engine.interaction(&id, &h.ctx()))
                    .unwrap()
                    .unwrap();
                (id, v.csrf)
            })
            .collect();
        let checks = h.engine.hasher().checks();
        let barrier = Arc::new(std::sync::Barrier::new(50));
        let mut threads = Vec::new();
        for (id, csrf) in interactions {
            let (h, barrier) = (h.clone(), barrier.clone());
            threads.push(std::thread::spawn(move || {
                barrier.wait();
                match block_on(h.engine.interaction_login(
                    &id,
                    &csrf,
                    "alice",
                    "wrong password",
                    &h.ctx(),
                ))
                .unwrap()
                {
                    LoginResult::Retry { .. } => None,
                    LoginResult::Wait { seconds } => Some(seconds),
                    LoginResult::Done(r) => panic!("a wrong password signed in: {r:?}"),
                }
            }));
        }
        for _ in 0..25 {
            let (h, barrier, c) = (h.clone(), barrier.clone(), c.clone());
            threads.push(std::thread::spawn(move || {
                barrier.wait();
                let r = h.token(
                    &[
                        ("grant_type", "password"),
                        ("username", "alice"),
                        ("password", "wrong password"),
                    ],
                    Some(basic(&c)),
                );
                assert_error(&r, 400, "invalid_grant");
                header(&r, "retry-after").map(|s| s.parse::<u64>().unwrap())
            }));
        }
        let waits: Vec<Option<u64>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let checked = h.engine.hasher().checks() - checks;
        let refused = waits.iter().filter(|w| w.is_some()).count();
        assert!(
            checked as usize <= allowance + 1,
            "{}: {checked} of 50 concurrent guesses were hashed",
            backend.name
        );
        assert_eq!(
            checked as usize + refused,
            50,
            "{}: every guess not hashed was refused with the time to wait",
            backend.name
        );
        assert!(
            waits.iter().flatten().all(|s| (1..=2).contains(s)),
            "{}: {waits:?}",
            backend.name
        );
        // The right password inside the delay: refused, unchecked, until it ends.
        let before = h.engine.hasher().checks();
        assert!(matches!(
            block_on(
                h.engine
                    .check_password_counted("alice", "correct horse battery", &h.ctx())
            )
            .unwrap(),
            PasswordCheck::Wait(_)
        ));
        assert_eq!(h.engine.hasher().checks(), before, "{}", backend.name);
        h.clock.advance(2);
        let r = h.token(
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "correct horse battery"),
            ],
            Some(basic(&c)),
        );
        assert_eq!(r.status(), 200, "{}: {:?}", backend.name, r.body);
    }
}
