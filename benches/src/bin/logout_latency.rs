//! `logout-latency`: how long `end_session` takes when every relying party's back-channel
//! logout endpoint hangs (`benches/load/logout.sh` runs it against `jans serve`).
//!
//! It listens as the relying parties' back-channel endpoint itself and never answers (each
//! connection is held for 10 s, then dropped). For each of `--sessions` browser sessions it
//! signs the user in to every client (one login, then the other clients through the session),
//! redeems the first client's code for an ID token, then ends the session with that ID
//! token as `id_token_hint` — so every logout queues one delivery per client, all of which
//! hang. The logouts are timed one after another; the tool prints p50, p99 and the maximum,
//! and a `LOGOUT_RESULT ...` line; exits 1 on any unexpected answer.
//!
//! ```text
//! logout-latency --base URL --issuer URL --user NAME:PASSWORD --rp-port PORT
//!                --client ID:SECRET [--client ID:SECRET ...] [--sessions N]
//! ```

use std::time::{Duration, Instant};

use serde_json::Value;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const CB: &str = "http://localhost:9/cb";

struct Args {
    base: String,
    issuer: String,
    user: (String, String),
    rp_port: u16,
    clients: Vec<(String, String)>,
    sessions: usize,
}

fn pair(v: &str) -> Result<(String, String), String> {
    v.split_once(':')
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .ok_or_else(|| format!("{v}: expected A:B"))
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        base: String::new(),
        issuer: String::new(),
        user: (String::new(), String::new()),
        rp_port: 0,
        clients: Vec::new(),
        sessions: 200,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--base" => a.base = v,
            "--issuer" => a.issuer = v,
            "--user" => a.user = pair(&v)?,
            "--rp-port" => a.rp_port = v.parse().map_err(|_| "--rp-port: a port")?,
            "--client" => a.clients.push(pair(&v)?),
            "--sessions" => a.sessions = v.parse().map_err(|_| "--sessions: a number")?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.base.is_empty() || a.issuer.is_empty() || a.clients.is_empty() || a.rp_port == 0 {
        return Err("--base, --issuer, --user, --rp-port and --client are required".to_owned());
    }
    Ok(a)
}

/// The relying parties' back-channel endpoint: accepts, reads, never answers.
async fn hanging_rp(port: u16) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("listen on {port}: {e}"))?;
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt as _;
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                tokio::time::sleep(Duration::from_secs(10)).await;
            });
        }
    });
    Ok(())
}

fn location(r: &reqwest::Response) -> Result<String, String> {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| format!("no location (status {})", r.status()))
}

fn query(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn hidden(html: &str, name: &str) -> Result<String, String> {
    let marker = format!("name=\"{name}\" value=\"");
    let (_, rest) = html
        .split_once(&marker)
        .ok_or_else(|| format!("no {name} in the page"))?;
    Ok(rest.split('"').next().unwrap_or_default().to_owned())
}

/// One session signed in to every client; returns (cookie, first client's ID token).
async fn session(a: &Args, http: &reqwest::Client) -> Result<(String, String), String> {
    let e = |e: reqwest::Error| e.to_string();
    let authorize = |id: &str| {
        format!(
            "{}/jans-auth/restv1/authorize?response_type=code&client_id={id}\
             &redirect_uri=http%3A%2F%2Flocalhost%3A9%2Fcb&scope=openid&state=s\
             &code_challenge={CHALLENGE}&code_challenge_method=S256",
            a.base
        )
    };
    let (first, first_secret) = &a.clients[0];
    let r = http.get(authorize(first)).send().await.map_err(e)?;
    let page = location(&r)?.replacen(&a.issuer, &a.base, 1);
    let html = http
        .get(&page)
        .send()
        .await
        .map_err(e)?
        .text()
        .await
        .map_err(e)?;
    let r = http
        .post(format!("{}/jans-auth/interaction", a.base))
        .form(&[
            ("interaction", hidden(&html, "interaction")?.as_str()),
            ("csrf", hidden(&html, "csrf")?.as_str()),
            ("action", "login"),
            ("username", a.user.0.as_str()),
            ("password", a.user.1.as_str()),
        ])
        .send()
        .await
        .map_err(e)?;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("session_id="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or("no session cookie: is the client trusted (no consent)?")?;
    let code = query(&location(&r)?, "code").ok_or("no code after the login")?;
    for (id, _) in &a.clients[1..] {
        let r = http
            .get(authorize(id))
            .header("cookie", format!("session_id={cookie}"))
            .send()
            .await
            .map_err(e)?;
        query(&location(&r)?, "code").ok_or("the session did not sign a client in")?;
    }
    let tokens: Value = http
        .post(format!("{}/jans-auth/restv1/token", a.base))
        .basic_auth(first, Some(first_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .map_err(e)?
        .json()
        .await
        .map_err(e)?;
    let id_token = tokens["id_token"]
        .as_str()
        .ok_or_else(|| format!("no ID token: {tokens}"))?;
    Ok((cookie, id_token.to_owned()))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

async fn run() -> Result<(), String> {
    let a = parse_args()?;
    hanging_rp(a.rp_port).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut sessions = Vec::with_capacity(a.sessions);
    for _ in 0..a.sessions {
        sessions.push(session(&a, &http).await?);
    }
    let mut took = Vec::with_capacity(sessions.len());
    for (cookie, id_token) in &sessions {
        let started = Instant::now();
        let r = http
            .get(format!(
                "{}/jans-auth/restv1/end_session?id_token_hint={id_token}",
                a.base
            ))
            .header("cookie", format!("session_id={cookie}"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        took.push(started.elapsed());
        if r.status() != 302 {
            return Err(format!("end_session answered {}", r.status()));
        }
    }
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "end_session with {} hanging back-channel clients per session, {} sessions: \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        a.clients.len(),
        took.len(),
        ms(percentile(&took, 0.5)),
        ms(percentile(&took, 0.99)),
        ms(took.last().copied().unwrap_or_default())
    );
    println!(
        "LOGOUT_RESULT sessions={} clients={} p50_ms={:.2} p99_ms={:.2} max_ms={:.2}",
        took.len(),
        a.clients.len(),
        ms(percentile(&took, 0.5)),
        ms(percentile(&took, 0.99)),
        ms(took.last().copied().unwrap_or_default())
    );
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("logout-latency: {e}");
        std::process::exit(1);
    }
}
