//! `fido2-load`: WebAuthn `assertion/result` throughput of a server over HTTP
//! (`benches/load/fido2.sh` runs it against `jans serve` and against
//! `@simplewebauthn/server` on Node, side by side).
//!
//! One user registers one ES256 passkey (a software authenticator, attestation `none`,
//! counter fixed at 0 as synced passkeys keep it, so results may arrive in any order).
//! Then COUNT assertion ceremonies are started (`assertion/options` with the username) and
//! answered ahead; only their results are timed: COUNT `assertion/result` posts from
//! CONCURRENCY connections at once. Every answer must be 200 with `status: ok`, and every
//! challenge is used once, so a server that skips a check cannot be faster by replaying.
//!
//! For `jans serve`, registration needs the user's own session: with `--password` and
//! `--client` the tool signs in through the login page first (the authorization request of
//! that client, the login form), as a browser would.
//!
//! Prints `FIDO2_RESULT server=... count=... rps=... p50_us=... p99_us=... failed=...`;
//! exits 1 when any request failed. With `--bodies FILE` it stops before the timed part and
//! writes the answered ceremonies to FILE, one JSON body per line, for a lighter load
//! generator (`benches/load/fido2.lua` under wrk) to post.
//!
//! ```text
//! fido2-load --base URL --origin ORIGIN --username NAME [--name LABEL]
//!            [--password PASSWORD --client ID --redirect-uri URI]
//!            [--count N] [--concurrency N] [--bodies FILE]
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use jans_core::jose::Algorithm;
use jans_core::testing::authenticator::{Attestation, SoftAuthenticator};
use jans_http::OsRandom;
use serde_json::{Value, json};

struct Args {
    base: String,
    origin: String,
    username: String,
    name: String,
    password: Option<String>,
    client: Option<String>,
    redirect_uri: String,
    count: usize,
    concurrency: usize,
    /// Write the answered ceremonies here (one JSON body per line) and stop: the timed
    /// part is then another tool's (wrk with `benches/load/fido2.lua`).
    bodies: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        base: String::new(),
        origin: String::new(),
        username: String::new(),
        name: "server".into(),
        password: None,
        client: None,
        redirect_uri: "http://localhost:9/cb".into(),
        count: 20_000,
        concurrency: 32,
        bodies: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--base" => a.base = value()?,
            "--origin" => a.origin = value()?,
            "--username" => a.username = value()?,
            "--name" => a.name = value()?,
            "--password" => a.password = Some(value()?),
            "--client" => a.client = Some(value()?),
            "--redirect-uri" => a.redirect_uri = value()?,
            "--bodies" => a.bodies = Some(value()?),
            "--count" => a.count = value()?.parse().map_err(|e| format!("--count: {e}"))?,
            "--concurrency" => {
                a.concurrency = value()?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.base.is_empty() || a.origin.is_empty() || a.username.is_empty() {
        return Err("--base, --origin and --username are required".into());
    }
    if a.count == 0 || a.concurrency == 0 {
        return Err("--count and --concurrency must be positive".into());
    }
    Ok(a)
}

/// POST `body` as JSON to `base + path`; the JSON answer, which must be a 200.
async fn post(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    body: &Value,
) -> Result<Value, String> {
    let r = http
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    let status = r.status().as_u16();
    let text = r.text().await.map_err(|e| format!("{path}: {e}"))?;
    if status != 200 {
        return Err(format!("{path} answered {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}: {text}"))
}

/// The value of the hidden input `name` of a page.
fn form_value(html: &str, name: &str) -> Result<String, String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.split_once(&marker)
        .and_then(|(_, rest)| rest.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| format!("no {name} in the login page"))
}

/// Sign in through the login page; the `session_id` cookie.
async fn session(a: &Args, client_id: &str, password: &str) -> Result<String, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let authorize = format!(
        "{}/jans-auth/restv1/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid&nonce=n&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        a.base,
        form_urlencoded::byte_serialize(a.redirect_uri.as_bytes()).collect::<String>()
    );
    let r = http
        .get(&authorize)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let location = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .ok_or("the authorization request did not redirect to the login page")?;
    // The issuer may name another host than the one reached.
    let page = match location.find("/jans-auth/") {
        Some(i) => format!("{}{}", a.base, location.get(i..).unwrap_or_default()),
        None => return Err(format!("unexpected login location {location}")),
    };
    let html = http
        .get(&page)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let r = http
        .post(format!("{}/jans-auth/interaction", a.base))
        .form(&[
            ("interaction", form_value(&html, "interaction")?.as_str()),
            ("csrf", form_value(&html, "csrf")?.as_str()),
            ("action", "login"),
            ("username", a.username.as_str()),
            ("password", password),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("session_id="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .ok_or_else(|| format!("the login did not start a session ({})", r.status()))
}

async fn run(a: Args) -> Result<bool, String> {
    let rng = OsRandom;
    let provider = jans_core::crypto::default_provider();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;

    // Register one passkey.
    let mut options_request = json!({"username": a.username, "displayName": a.username});
    if let (Some(client), Some(password)) = (&a.client, &a.password) {
        options_request["session_id"] = json!(session(&a, client, password).await?);
    }
    let options = post(
        &http,
        &a.base,
        "/jans-fido2/restv1/attestation/options",
        &options_request,
    )
    .await?;
    let mut key = SoftAuthenticator::new(provider.as_ref(), Algorithm::ES256, &rng)
        .map_err(|e| e.to_string())?;
    key.counts = false;
    let created = key
        .register(&options, &a.origin, Attestation::None, &rng)
        .map_err(|e| e.to_string())?;
    post(
        &http,
        &a.base,
        "/jans-fido2/restv1/attestation/result",
        &created,
    )
    .await?;

    // Start COUNT ceremonies (concurrently), then answer them (signing is not timed).
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency {
        let (http, base, next, user) = (
            http.clone(),
            a.base.clone(),
            next.clone(),
            a.username.clone(),
        );
        let count = a.count;
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < count {
                got.push(
                    post(
                        &http,
                        &base,
                        "/jans-fido2/restv1/assertion/options",
                        &json!({"username": user}),
                    )
                    .await?,
                );
            }
            Ok::<_, String>(got)
        }));
    }
    let mut bodies = Vec::with_capacity(a.count);
    for t in tasks {
        for options in t.await.map_err(|e| e.to_string())?? {
            let signed = key
                .assert(&options, &a.origin, &rng)
                .map_err(|e| e.to_string())?;
            bodies.push(signed.to_string());
        }
    }
    eprintln!(
        "[fido2-load] {}: {} ceremonies started and answered in {:.1}s",
        a.name,
        bodies.len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(file) = &a.bodies {
        let mut text = bodies.join("\n");
        text.push('\n');
        std::fs::write(file, text).map_err(|e| format!("{file}: {e}"))?;
        println!("FIDO2_PREPARED server={} count={}", a.name, bodies.len());
        return Ok(true);
    }

    // The timed part: every result, CONCURRENCY at a time.
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency {
        let (http, base, bodies, next, failed, first_error) = (
            http.clone(),
            a.base.clone(),
            bodies.clone(),
            next.clone(),
            failed.clone(),
            first_error.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let t = Instant::now();
                let r = http
                    .post(format!("{base}/jans-fido2/restv1/assertion/result"))
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                let ok = match r {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let text = r.text().await.unwrap_or_default();
                        let good = status == 200
                            && serde_json::from_str::<Value>(&text)
                                .is_ok_and(|v| v["status"] == "ok");
                        if !good && let Ok(mut e) = first_error.lock() {
                            e.get_or_insert(format!("{status}: {text}"));
                        }
                        good
                    }
                    Err(e) => {
                        if let Ok(mut f) = first_error.lock() {
                            f.get_or_insert(e.to_string());
                        }
                        false
                    }
                };
                latencies.push(t.elapsed());
                if !ok {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(a.count);
    for t in tasks {
        latencies.extend(t.await.map_err(|e| e.to_string())?);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).map_or(0, |d| d.as_micros())
    };
    let failed = failed.load(Ordering::Relaxed);
    let rps = latencies.len() as f64 / elapsed.as_secs_f64();
    if let Ok(e) = first_error.lock()
        && let Some(e) = e.as_ref()
    {
        eprintln!("[fido2-load] {}: first failure: {e}", a.name);
    }
    println!(
        "FIDO2_RESULT server={} count={} rps={:.0} p50_us={} p99_us={} failed={failed} seconds={:.2}",
        a.name,
        latencies.len(),
        rps,
        pct(0.5),
        pct(0.99),
        elapsed.as_secs_f64()
    );
    Ok(failed == 0)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fido2-load: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    match runtime.block_on(run(args)) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("fido2-load: {e}");
            std::process::exit(1);
        }
    }
}
