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
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

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

/// Registers `n` trusted clients (no consent page), each telling `rp.uri(i)`.
fn clients(data: &std::path::Path, rp: &HeldRp, n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let file = data.with_extension(format!("client{i}.json"));
            std::fs::write(
                &file,
                serde_json::json!({"client_name": format!("RP {i}"), "redirect_uris": [CB],
                                   "scope": "profile", "trusted_client": true,
                                   "backchannel_logout_uri": rp.uri(i)})
                .to_string(),
            )
            .unwrap();
            let out = jans(data, &["client", "add", "--json", file.to_str().unwrap()]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            (
                c["client_id"].as_str().unwrap().to_owned(),
                c["client_secret"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn setup(rp: &HeldRp, n: usize) -> (tempfile::TempDir, std::path::PathBuf, Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    let out = jans_stdin(
        &data,
        &["user", "add", "--username", "alice", "--password-stdin"],
        "correct horse battery\n",
    );
    assert!(out.status.success());
    let clients = clients(&data, rp, n);
    (dir, data, clients)
}

fn serve(data: &std::path::Path) -> (Server, String) {
    let mut cmd = jans_cmd(data);
    // The relying parties listen on loopback.
    cmd.env("JANS_OUTBOUND_BLOCK_PRIVATE_IP", "false");
    start_cmd(cmd, free_port(), &[])
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Sign alice in for every client (one browser session), and return the session cookie and
/// the first client's ID token.
fn sign_in_everywhere(base: &str, clients: &[(String, String)]) -> (String, String) {
    let http = http();
    let issuer = format!("http://localhost:{}", base.rsplit(':').next().unwrap());
    let authorize = |id: &str| {
        format!(
            "{base}/jans-auth/restv1/authorize?response_type=code&client_id={id}\
             &redirect_uri=http%3A%2F%2Flocalhost%3A9%2Fcb&scope=openid%20profile&state=s&nonce=n\
             &code_challenge={CHALLENGE}&code_challenge_method=S256"
        )
    };
    let (first, first_secret) = &clients[0];
    let r = http.get(authorize(first)).send().unwrap();
    let page = r.headers()["location"]
        .to_str()
        .unwrap()
        .replacen(&issuer, base, 1);
    let html = http.get(&page).send().unwrap().text().unwrap();
    let r = http
        .post(format!("{base}/jans-auth/interaction"))
        .form(&[
            ("interaction", form_value(&html, "interaction").as_str()),
            ("csrf", form_value(&html, "csrf").as_str()),
            ("action", "login"),
            ("username", "alice"),
            ("password", "correct horse battery"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("session_id="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .unwrap();
    let code = query_value(r.headers()["location"].to_str().unwrap(), "code").unwrap();
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
            .get(authorize(id))
            .header("cookie", format!("session_id={cookie}"))
            .send()
            .unwrap();
        assert!(
            query_value(r.headers()["location"].to_str().unwrap(), "code").is_some(),
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
    let r = http()
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
    let r = http()
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
