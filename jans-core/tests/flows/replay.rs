//! Replays that race (issue 10 item 3): a code or refresh token presented many times at
//! once. Exactly one presentation succeeds; every other learns the credential was used
//! (never "unknown"), so the replay revokes the whole grant — including the tokens the
//! winner stored after the revocation began. On every backend.

use std::sync::{Arc, Barrier};

use super::authorize::{VERIFIER, harness_on, offline_code, offline_rp, redeem, refresh};
use super::harness::*;

const RACERS: usize = 20;

/// `RACERS` threads released at once, each running `each`; their responses.
fn race(
    h: &Arc<Harness>,
    each: impl Fn(&Harness) -> jans_core::Response + Send + Sync + 'static,
) -> Vec<jans_core::Response> {
    let each = Arc::new(each);
    let barrier = Arc::new(Barrier::new(RACERS));
    let threads: Vec<_> = (0..RACERS)
        .map(|_| {
            let (h, barrier, each) = (h.clone(), barrier.clone(), each.clone());
            std::thread::spawn(move || {
                barrier.wait();
                each(&h)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// The one 200 among `responses` (its JSON), checking every other is `invalid_grant`.
fn single_winner(name: &str, responses: &[jans_core::Response]) -> serde_json::Value {
    let wins: Vec<&jans_core::Response> = responses.iter().filter(|r| r.status() == 200).collect();
    assert_eq!(wins.len(), 1, "{name}: exactly one redemption succeeds");
    for r in responses.iter().filter(|r| r.status() != 200) {
        assert_error(r, 400, "invalid_grant");
    }
    json(wins[0])
}

#[test]
fn racing_redemptions_of_one_code_revoke_what_the_winner_got() {
    for backend in super::backends::all() {
        let h = Arc::new(harness_on(backend.stores.clone()));
        let c = offline_rp(&h);
        let code = offline_code(&h, &c);
        let c2 = c.clone();
        let responses = race(&h, move |h| redeem(h, &c2, &code, VERIFIER));
        let won = single_winner(backend.name, &responses);
        for t in ["access_token", "refresh_token"] {
            let token = won[t].as_str().unwrap();
            assert_eq!(
                h.introspect(&c, token)["active"],
                false,
                "{}: the winner's {t} is revoked by the replays",
                backend.name
            );
        }
    }
}

#[test]
fn racing_refreshes_of_one_token_revoke_what_the_winner_got() {
    for backend in super::backends::all() {
        let h = Arc::new(harness_on(backend.stores.clone()));
        let c = offline_rp(&h);
        let first = json(&redeem(&h, &c, &offline_code(&h, &c), VERIFIER));
        let rt = first["refresh_token"].as_str().unwrap().to_owned();
        let c2 = c.clone();
        let responses = race(&h, move |h| refresh(h, &c2, &rt, None));
        let won = single_winner(backend.name, &responses);
        for token in [
            won["access_token"].as_str().unwrap(),
            won["refresh_token"].as_str().unwrap(),
            first["access_token"].as_str().unwrap(),
        ] {
            assert_eq!(
                h.introspect(&c, token)["active"],
                false,
                "{}: the whole grant is revoked",
                backend.name
            );
        }
    }
}
