//! UMA's single-use rules raced on every backend (DESIGN.md §8): concurrent UMA grants on
//! one permission ticket (exactly one RPT), and concurrent upgrades of one RPT (exactly one
//! carries its permissions on).

use jans_core::Response;
use serde_json::json;

use super::harness::*;
use super::uma_grant::{grant, requesting_client, resource_owner, ticket, uma_on};

const OPEN: &str = "permit(principal, action, resource);";

fn race(n: usize, f: impl Fn() -> Response + Sync) -> Vec<Response> {
    std::thread::scope(|s| {
        let racers: Vec<_> = (0..n).map(|_| s.spawn(&f)).collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

#[test]
fn tickets_and_rpts_are_used_once_on_every_backend() {
    for backend in super::backends::all() {
        let name = backend.name;
        let h = uma_on(backend.stores.clone());
        let (_, pat, album) = resource_owner(&h, OPEN);
        let p = requesting_client(&h, json!({}));
        let ask = |scope: &str| {
            ticket(
                &h,
                &pat,
                json!({"resource_id": album, "resource_scopes": [scope]}),
            )
        };

        // Eight grants on one ticket: one RPT, seven invalid_grant.
        let t = ask("read-public");
        let answers = race(8, || grant(&h, &p, &[("ticket", &t)]));
        let won: Vec<&Response> = answers.iter().filter(|r| r.status() == 200).collect();
        assert_eq!(
            won.len(),
            1,
            "{name}: {:?}",
            answers.iter().map(Response::status).collect::<Vec<_>>()
        );
        for r in answers.iter().filter(|r| r.status() != 200) {
            assert_error(r, 400, "invalid_grant");
        }
        let rpt = json(won[0])["access_token"].as_str().unwrap().to_owned();

        // Four upgrades of that RPT, each with its own ticket: one carries its permission on.
        let tickets: Vec<String> = (0..4).map(|_| ask("post-updates")).collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let answers = race(4, || {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            grant(&h, &p, &[("ticket", &tickets[i]), ("rpt", &rpt)])
        });
        let upgraded = answers
            .iter()
            .filter(|r| r.status() == 200 && json(r)["upgraded"] == true)
            .count();
        assert_eq!(upgraded, 1, "{name}: one upgrade takes the RPT");
        assert!(
            answers
                .iter()
                .all(|r| r.status() == 200 || json(r)["error"] == "invalid_rpt"),
            "{name}: the others are new RPTs, or find the RPT gone before they start"
        );
    }
}
