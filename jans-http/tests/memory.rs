//! Memory stays bounded under logins (issue 10 item 12): argon2id hashes on a fixed pool of
//! workers that reuse one 19 MiB block each, so 100 logins (50 one after another, 50 at
//! once) grow `jans serve`'s resident memory by at most one block per worker and 7 MiB over
//! what it holds fresh, and leave it flat from the first logins on. (The bound is relative:
//! a fresh server's own size is mostly its code, which grows with every feature — this
//! debug build's text alone is 28 MB.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::*;

const CB: &str = "http://localhost:9/cb";
const MIB: u64 = 1024 * 1024;

/// VmRSS of a process, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

/// A whole browser login of `user`: authorize, the login page, the password; returns the
/// code.
fn login(base: &str, issuer: &str, client_id: &str, user: &str) -> String {
    let r = submit_login(
        &no_redirects(),
        base,
        issuer,
        &authorize_url(base, client_id, "openid", ""),
        user,
        "correct horse battery",
    );
    assert_eq!(r.status(), 302, "{user}");
    code_of(&r).unwrap()
}

fn metric(base: &str, name: &str) -> u64 {
    let text = client()
        .get(format!("{base}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn resident_memory_stays_flat_over_100_logins() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    // 50 people for the concurrent logins (one person's 50 simultaneous attempts would,
    // rightly, meet the brute-force delay).
    for i in 0..50 {
        let out = jans_stdin(
            &data,
            &[
                "user",
                "add",
                "--username",
                &format!("user{i}"),
                "--password-stdin",
            ],
            "correct horse battery\n",
        );
        assert!(out.status.success());
    }
    let (client_id, _) = add_client(
        &data,
        &serde_json::json!({"client_name": "RP", "redirect_uris": [CB], "trusted_client": true}),
    );
    let port = free_port();
    let (server, base) = start_cmd(jans_cmd(&data), port, &[]);
    let issuer = format!("http://localhost:{port}");
    let pid = server.0.id();
    let workers = metric(&base, "jans_password_hash_workers");
    let fresh = rss(pid);
    let mut after = Vec::new();
    for i in 0..50 {
        login(&base, &issuer, &client_id, "user0");
        if i == 9 || i == 49 {
            after.push(rss(pid));
        }
    }
    let base = Arc::new(base);
    let concurrent = |after: &mut Vec<u64>| {
        let threads: Vec<_> = (0..50)
            .map(|i| {
                let (base, issuer, client_id) = (base.clone(), issuer.clone(), client_id.clone());
                std::thread::spawn(move || login(&base, &issuer, &client_id, &format!("user{i}")))
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        after.push(rss(pid));
    };
    concurrent(&mut after);
    assert_eq!(metric(&base, "jans_password_checks_total"), 100);
    // 9 MiB over the fresh size: the fresh reading itself varies by 2 MiB from start to
    // start (28–30 MiB for the same build), the growth by 2 MiB (43–45 MiB).
    let bound = fresh + 9 * MIB + 19 * MIB * workers;
    eprintln!(
        "RSS: fresh {} MiB; after 10, 50 sequential and 50 concurrent logins {:?} MiB; bound {} MiB ({workers} workers)",
        fresh / MIB,
        after.iter().map(|r| r / MIB).collect::<Vec<_>>(),
        bound / MIB
    );
    // Sequential logins use one worker: its block, then nothing more.
    assert!(
        after[1] < after[0] + 4 * MIB,
        "RSS grew from {} to {} MiB over 40 sequential logins",
        after[0] / MIB,
        after[1] / MIB
    );
    let last = *after.last().unwrap();
    assert!(
        last < bound,
        "RSS {} MiB over {} MiB",
        last / MIB,
        bound / MIB
    );
    // Flat: with every worker's block in place, 50 more concurrent logins add nothing.
    concurrent(&mut after);
    let again = *after.last().unwrap();
    eprintln!("RSS after 50 more concurrent logins: {} MiB", again / MIB);
    assert!(
        again < last + 4 * MIB,
        "RSS grew from {} to {} MiB over 50 more logins",
        last / MIB,
        again / MIB
    );
    assert!(again < bound);
}
