//! Back-channel logout from the durable queue, over real sockets (issue 10 item 4): the
//! user's logout never waits for a relying party, and a delivery pending when the server
//! is killed is sent by the next start.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use common::*;

const CB: &str = "http://localhost:9/cb";

/// A relying party's back-channel endpoint: records every POST, and answers it only once
/// released (a relying party that hangs until then).
struct HeldRp {
    port: u16,
    received: Arc<Mutex<Vec<(String, String)>>>,
    released: Arc<(Mutex<bool>, Condvar)>,
}

impl HeldRp {
    fn start(held: bool) -> HeldRp {
        HeldRp::on(TcpListener::bind("127.0.0.1:0").unwrap(), held)
    }

    fn on(listener: TcpListener, held: bool) -> HeldRp {
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let released = Arc::new((Mutex::new(!held), Condvar::new()));
        let (r, rel) = (received.clone(), released.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let (r, rel) = (r.clone(), rel.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let path = line.split(' ').nth(1).unwrap_or("").to_owned();
                    let mut length = 0;
                    loop {
                        let mut h = String::new();
                        reader.read_line(&mut h).unwrap();
                        if h.trim().is_empty() {
                            break;
                        }
                        if let Some((n, v)) = h.split_once(':')
                            && n.eq_ignore_ascii_case("content-length")
                        {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    r.lock()
                        .unwrap()
                        .push((path, String::from_utf8(body).unwrap()));
                    let (lock, cv) = &*rel;
                    let mut go = lock.lock().unwrap();
                    while !*go {
                        go = cv.wait(go).unwrap();
                    }
                    let _ = conn.write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    );
                });
            }
        });
        HeldRp {
            port,
            received,
            released,
        }
    }

    fn uri(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}/bcl/{i}", self.port)
    }

    fn release(&self) {
        let (lock, cv) = &*self.released;
        *lock.lock().unwrap() = true;
        cv.notify_all();
    }

    /// Wait (at most 15 s) until `n` requests arrived; their (path, body).
    fn wait_for(&self, n: usize) -> Vec<(String, String)> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.received.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} deliveries arrived",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A data directory with alice and `n` trusted clients (no consent page), client `i`
/// telling `rp.uri(i)` of logouts.
fn setup(rp: &HeldRp, n: usize) -> (tempfile::TempDir, std::path::PathBuf, Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let metadata = |i: usize| {
        serde_json::json!({"client_name": format!("RP {i}"), "redirect_uris": [CB],
                           "scope": "profile", "trusted_client": true,
                           "backchannel_logout_uri": rp.uri(i)})
    };
    let mut clients = vec![init_with_alice(&data, &metadata(0))];
    clients.extend((1..n).map(|i| add_client(&data, &metadata(i))));
    (dir, data, clients)
}

fn serve(data: &std::path::Path) -> (Server, String) {
    let mut cmd = jans_cmd(data);
    // The relying parties listen on loopback.
    cmd.env("JANS_OUTBOUND_BLOCK_PRIVATE_IP", "false");
    start_cmd(cmd, free_port(), &[])
}

/// Sign alice in for every client (one browser session), and return the session cookie and
/// the first client's ID token.
fn sign_in_everywhere(base: &str, clients: &[(String, String)]) -> (String, String) {
    let http = no_redirects();
    let issuer = format!("http://localhost:{}", base.rsplit(':').next().unwrap());
    let (first, first_secret) = &clients[0];
    let r = submit_login(
        &http,
        base,
        &issuer,
        &authorize_url(base, first, "openid profile", ""),
        "alice",
        "correct horse battery",
    );
    assert_eq!(r.status(), 302);
    let cookie = session_cookie(&r).unwrap();
    let code = code_of(&r).unwrap();
    let tok: serde_json::Value = http
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(first, Some(first_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .unwrap()
        .json()
        .unwrap();
    for (id, _) in &clients[1..] {
        let r = http
            .get(authorize_url(base, id, "openid profile", ""))
            .header("cookie", format!("session_id={cookie}"))
            .send()
            .unwrap();
        assert!(
            code_of(&r).is_some(),
            "the session signs the other clients in"
        );
    }
    (cookie, tok["id_token"].as_str().unwrap().to_owned())
}

#[test]
fn logout_answers_while_every_relying_party_hangs() {
    let rp = HeldRp::start(true);
    let (_dir, data, clients) = setup(&rp, 3);
    let (_server, base) = serve(&data);
    let (cookie, id_token) = sign_in_everywhere(&base, &clients);
    let started = Instant::now();
    let r = no_redirects()
        .get(format!(
            "{base}/jans-auth/restv1/end_session?id_token_hint={id_token}"
        ))
        .header("cookie", format!("session_id={cookie}"))
        .send()
        .unwrap();
    let answered = started.elapsed();
    assert_eq!(r.status(), 302);
    // Every relying party gets its logout token while the user is long gone; none of them
    // has been answered yet (they hang until released), so the logout did not wait for them:
    // it answered before the outbound client's 5-second timeout could have freed it.
    let got = rp.wait_for(3);
    assert!(
        answered < Duration::from_secs(3),
        "end_session took {answered:?} with three hanging relying parties"
    );
    rp.release();
    let mut paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["/bcl/0", "/bcl/1", "/bcl/2"]);
    for (_, body) in &got {
        let token = url_pairs(body)
            .into_iter()
            .find(|(k, _)| k == "logout_token")
            .unwrap()
            .1;
        assert_eq!(token.split('.').count(), 3);
    }
}

#[test]
fn a_delivery_pending_at_kill_9_is_sent_after_the_restart() {
    // The relying party is down at logout: its port is reserved but not listening.
    let reserved = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = reserved.local_addr().unwrap().port();
    drop(reserved);
    let placeholder = HeldRp {
        port,
        received: Arc::default(),
        released: Arc::new((Mutex::new(true), Condvar::new())),
    };
    let (_dir, data, clients) = setup(&placeholder, 1);
    let (server, base) = serve(&data);
    let (cookie, id_token) = sign_in_everywhere(&base, &clients);
    let r = no_redirects()
        .get(format!(
            "{base}/jans-auth/restv1/end_session?id_token_hint={id_token}"
        ))
        .header("cookie", format!("session_id={cookie}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    // SIGKILL: no shutdown, no flush but the ones the server made before answering.
    drop(server);
    let rp = HeldRp::on(TcpListener::bind(("127.0.0.1", port)).unwrap(), false);
    let (_server, _base) = serve(&data);
    let got = rp.wait_for(1);
    assert_eq!(got[0].0, "/bcl/0");
    assert!(got[0].1.starts_with("logout_token="));
}
