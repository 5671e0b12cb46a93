//! `casa-load`: the time `jans serve` takes to answer Casa's dashboard for a person with
//! many credentials (`benches/load/casa.sh`; issue 17's target: p50 ≤ 5 ms with 20).
//!
//! Everything goes through the server's real pages, as a browser would: the person signs in
//! to `/jans-casa/` through the auth-server's login page, registers `--keys` passkeys
//! (software authenticators, through the FIDO2 API with the auth-server session) and enrols
//! `--apps` authenticator apps (the enrolment page, its secret, a first code computed here,
//! RFC 6238). The dashboard must then list every one of them. Then `--requests` dashboard
//! GETs are timed, one at a time over one kept-alive connection, so each figure is the
//! server's time plus a loopback round trip.
//!
//! Prints `CASA_RESULT requests=... credentials=... p50_us=... p99_us=... failed=...`;
//! exits 1 when any request failed.
//!
//! ```text
//! casa-load --base URL --origin ORIGIN --username NAME --password PASSWORD
//!           [--keys N] [--apps N] [--requests N]
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jans_core::jose::Algorithm;
use jans_core::otp::Totp;
use jans_core::testing::authenticator::{Attestation, SoftAuthenticator};
use jans_http::OsRandom;
use serde_json::{Value, json};

struct Args {
    base: String,
    origin: String,
    username: String,
    password: String,
    keys: usize,
    apps: usize,
    requests: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        base: String::new(),
        origin: String::new(),
        username: String::new(),
        password: String::new(),
        keys: 10,
        apps: 10,
        requests: 2000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--base" => a.base = value()?,
            "--origin" => a.origin = value()?,
            "--username" => a.username = value()?,
            "--password" => a.password = value()?,
            "--keys" => a.keys = number(value()?)?,
            "--apps" => a.apps = number(value()?)?,
            "--requests" => a.requests = number(value()?)?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.base.is_empty() || a.origin.is_empty() || a.username.is_empty() || a.password.is_empty() {
        return Err("--base, --origin, --username and --password are required".into());
    }
    if a.requests == 0 {
        return Err("--requests must be positive".into());
    }
    Ok(a)
}

/// A browser: its cookies, and redirects followed by hand (the issuer may name another
/// host than the one reached).
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn url(&self, location: &str) -> String {
        match location.find("/jans-") {
            Some(i) => format!("{}{}", self.base, location.get(i..).unwrap_or_default()),
            None => format!("{}{location}", self.base),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Send `req`, keep its cookies; (status, location, body).
    async fn send(
        &mut self,
        req: reqwest::RequestBuilder,
    ) -> Result<(u16, Option<String>, String), String> {
        let r = req
            .header("cookie", self.cookie_header())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        for v in r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            if let Some((name, value)) = v.split(';').next().and_then(|c| c.split_once('=')) {
                if value.is_empty() || v.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(|l| self.url(l));
        Ok((status, location, r.text().await.map_err(|e| e.to_string())?))
    }

    /// GET `url` and follow redirects; the last (status, body).
    async fn get(&mut self, url: &str) -> Result<(u16, String), String> {
        let mut url = self.url(url);
        for _ in 0..10 {
            let (status, location, body) = self.send(self.http.get(&url)).await?;
            match location {
                Some(next) if (300..400).contains(&status) => url = next,
                _ => return Ok((status, body)),
            }
        }
        Err(format!("too many redirects from {url}"))
    }

    /// POST the form `fields` to `url` and follow redirects.
    async fn post(&mut self, url: &str, fields: &[(&str, &str)]) -> Result<(u16, String), String> {
        let (status, location, body) = self
            .send(self.http.post(self.url(url)).form(fields))
            .await?;
        match location {
            Some(next) if (300..400).contains(&status) => self.get(&next).await,
            _ => Ok((status, body)),
        }
    }
}

/// The value of the input `name` of a page.
fn form_value(html: &str, name: &str) -> Result<String, String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.split_once(&marker)
        .and_then(|(_, rest)| rest.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| format!("no {name} in the page"))
}

/// The text of the element with `id`.
fn text_of(html: &str, id: &str) -> Result<String, String> {
    html.split_once(&format!("id=\"{id}\">"))
        .and_then(|(_, rest)| rest.split('<').next())
        .map(|t| t.trim().to_owned())
        .ok_or_else(|| format!("no #{id} in the page"))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn run(a: Args) -> Result<bool, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut b = Browser {
        http,
        base: a.base.clone(),
        cookies: BTreeMap::new(),
    };
    // Casa sends the browser to the login page; the password brings it back signed in.
    let (_, login) = b.get("/jans-casa/").await?;
    let (status, dashboard) = b
        .post(
            "/jans-auth/interaction",
            &[
                ("interaction", &form_value(&login, "interaction")?),
                ("csrf", &form_value(&login, "csrf")?),
                ("action", "login"),
                ("username", &a.username),
                ("password", &a.password),
            ],
        )
        .await?;
    if status != 200 || !dashboard.contains("casa_dashboard") && !dashboard.contains("Hello") {
        return Err(format!("signing in to Casa answered {status}"));
    }
    let session = b
        .cookies
        .get("session_id")
        .cloned()
        .ok_or("no auth-server session")?;

    // Passkeys, through the FIDO2 API.
    let rng = OsRandom;
    let provider = jans_core::crypto::default_provider();
    for _ in 0..a.keys {
        let options: Value = {
            let r = b
                .http
                .post(format!("{}/jans-fido2/restv1/attestation/options", a.base))
                .json(&json!({"username": a.username, "session_id": session}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            r.json().await.map_err(|e| e.to_string())?
        };
        let mut key = SoftAuthenticator::new(provider.as_ref(), Algorithm::ES256, &rng)
            .map_err(|e| e.to_string())?;
        let created = key
            .register(&options, &a.origin, Attestation::None, &rng)
            .map_err(|e| e.to_string())?;
        let r = b
            .http
            .post(format!("{}/jans-fido2/restv1/attestation/result", a.base))
            .json(&created)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status() != 200 {
            return Err(format!("a passkey was not registered: {}", r.status()));
        }
    }
    // Authenticator apps, through Casa's enrolment page.
    for i in 0..a.apps {
        let (_, page) = b.get("/jans-casa/otp").await?;
        let secret = jans_core::otp::base32_decode(&text_of(&page, "otp-secret")?)
            .ok_or("the enrolment's key is not base32")?;
        let code = format!("{:06}", Totp::default().code(&secret, now()));
        let (status, _) = b
            .post(
                "/jans-casa/otp",
                &[
                    ("csrf", &form_value(&page, "csrf")?),
                    ("pending", &form_value(&page, "pending")?),
                    ("nickname", &format!("App {i}")),
                    ("code", &code),
                ],
            )
            .await?;
        if status != 200 {
            return Err(format!("app {i} was not enrolled: {status}"));
        }
    }
    let (_, page) = b.get("/jans-casa/").await?;
    let listed = page.matches("<div class=\"item\">").count();
    if listed != a.keys + a.apps {
        return Err(format!(
            "the dashboard lists {listed} credentials, not {}",
            a.keys + a.apps
        ));
    }

    // The timed part: the dashboard, one request at a time.
    let url = format!("{}/jans-casa/", a.base);
    let cookie = b.cookie_header();
    let mut latencies = Vec::with_capacity(a.requests);
    let mut failed = 0usize;
    let started = Instant::now();
    for _ in 0..a.requests {
        let t = Instant::now();
        let ok = match b.http.get(&url).header("cookie", &cookie).send().await {
            Ok(r) => r.status() == 200 && r.text().await.is_ok_and(|t| t.contains("App 0")),
            Err(_) => false,
        };
        latencies.push(t.elapsed());
        if !ok {
            failed += 1;
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).map_or(0, |d| d.as_micros())
    };
    println!(
        "CASA_RESULT requests={} credentials={} p50_us={} p99_us={} rps={:.0} failed={failed}",
        latencies.len(),
        listed,
        pct(0.5),
        pct(0.99),
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    Ok(failed == 0)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("casa-load: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match runtime.block_on(run(args)) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("casa-load: {e}");
            std::process::exit(1);
        }
    }
}
