//! `mixed-load`: a mixed OAuth workload spread evenly over several `jans serve` nodes, then
//! an audit of every grant it was told about (`benches/load/cluster.sh` runs it against three
//! nodes on one PostgreSQL database).
//!
//! The load: `client_credentials` tokens, introspection of acknowledged tokens, revocation
//! (RFC 7009) and refresh-token rotation chains (seeded by the password grant), each request
//! to the next node in turn. Every answer is checked as it arrives (an introspected token
//! that was acknowledged and never revoked must be active). After the load:
//! - every acknowledged access token that was not revoked must still be active (nothing
//!   acknowledged was lost), on whichever node is asked;
//! - every revoked token must be inactive (no revocation lost);
//! - every refresh chain must refresh once more (no rotation lost or forked);
//! - no token value was ever handed out twice (no duplicated grant).
//!
//! Prints a summary and a `MIXED_RESULT key=value ...` line; exits 1 on any error.
//!
//! ```text
//! mixed-load --nodes URL,URL,URL --client ID:SECRET --refresh-client ID:SECRET
//!            --user NAME:PASSWORD [--duration SECS] [--concurrency N] [--chains N]
//!            [--mix TOKEN,INTROSPECT,REVOKE,REFRESH]
//! ```

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

const OPS: [&str; 4] = ["token", "introspect", "revoke", "refresh"];

struct Args {
    nodes: Vec<String>,
    duration: Duration,
    concurrency: usize,
    chains: usize,
    client: (String, String),
    refresh_client: (String, String),
    user: (String, String),
    /// Weights of token, introspect, revoke, refresh.
    mix: [u32; 4],
}

fn pair(v: &str, what: &str) -> Result<(String, String), String> {
    v.split_once(':')
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .ok_or_else(|| format!("{what}: expected A:B"))
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        nodes: Vec::new(),
        duration: Duration::from_secs(60),
        concurrency: 48,
        chains: 32,
        client: (String::new(), String::new()),
        refresh_client: (String::new(), String::new()),
        user: (String::new(), String::new()),
        mix: [40, 35, 10, 15],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number"))
        };
        match flag.as_str() {
            "--nodes" => args.nodes = value.split(',').map(str::to_owned).collect(),
            "--duration" => args.duration = Duration::from_secs(num(&value)?),
            "--concurrency" => args.concurrency = usize::try_from(num(&value)?).unwrap_or(1),
            "--chains" => args.chains = usize::try_from(num(&value)?).unwrap_or(1),
            "--client" => args.client = pair(&value, "--client")?,
            "--refresh-client" => args.refresh_client = pair(&value, "--refresh-client")?,
            "--user" => args.user = pair(&value, "--user")?,
            "--mix" => {
                let w: Vec<u32> = value
                    .split(',')
                    .map(|x| x.parse().map_err(|_| "--mix: four numbers".to_owned()))
                    .collect::<Result<_, _>>()?;
                args.mix = w.try_into().map_err(|_| "--mix: four numbers".to_owned())?;
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.nodes.is_empty() || args.client.0.is_empty() || args.refresh_client.0.is_empty() {
        return Err("--nodes, --client, --refresh-client and --user are required".to_owned());
    }
    if args.mix.iter().sum::<u32>() == 0 {
        return Err("--mix: weights sum to zero".to_owned());
    }
    Ok(args)
}

/// xorshift64*: the choices of operation and token need no cryptographic randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

/// What the load was told, and what it saw go wrong.
#[derive(Default)]
struct Ledger {
    /// `client_credentials` tokens acknowledged, for introspection; never revoked (so an
    /// introspection cannot race a revocation of its token).
    active: Vec<String>,
    /// `client_credentials` tokens acknowledged, for revocation; not yet sent to it.
    revocable: Vec<String>,
    /// Tokens whose revocation was acknowledged.
    revoked: Vec<String>,
    /// Access tokens from refresh grants (never revoked).
    refreshed: Vec<String>,
    /// Every token value handed out (access and refresh).
    seen: HashSet<String>,
    duplicates: u64,
}

impl Ledger {
    fn issued(&mut self, token: &str) {
        if !self.seen.insert(token.to_owned()) {
            self.duplicates += 1;
        }
    }
}

struct Shared {
    args: Args,
    http: reqwest::Client,
    basic: String,
    refresh_basic: String,
    next_node: AtomicUsize,
    ledger: Mutex<Ledger>,
    /// Refresh tokens of the chains not being refreshed right now.
    chains: Mutex<Vec<String>>,
    /// Per operation: successes, errors, latencies (µs).
    ok: [AtomicU64; 4],
    errors: [AtomicU64; 4],
    latencies: Mutex<[Vec<u32>; 4]>,
    samples: Mutex<Vec<String>>,
}

impl Shared {
    fn node(&self) -> &str {
        let i = self.next_node.fetch_add(1, Ordering::Relaxed) % self.args.nodes.len();
        &self.args.nodes[i]
    }

    fn fail(&self, op: usize, why: String) {
        self.errors[op].fetch_add(1, Ordering::Relaxed);
        let mut s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        if s.len() < 12 {
            s.push(format!("{}: {why}", OPS[op]));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn post(
        &self,
        node: &str,
        path: &str,
        basic: &str,
        form: &[(&str, &str)],
    ) -> Result<Value, String> {
        let r = self
            .http
            .post(format!("{node}{path}"))
            .header("authorization", basic)
            .form(form)
            .send()
            .await
            .map_err(|e| format!("{node}{path}: {e}"))?;
        let status = r.status();
        let body = r.text().await.map_err(|e| format!("{node}{path}: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "{node}{path}: {status} {}",
                body.chars().take(200).collect::<String>()
            ));
        }
        if body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&body).map_err(|e| format!("{node}{path}: {e}: {body}"))
    }

    async fn token(&self) -> Result<String, String> {
        let v = self
            .post(
                self.node(),
                "/jans-auth/restv1/token",
                &self.basic,
                &[("grant_type", "client_credentials")],
            )
            .await?;
        string(&v, "access_token")
    }

    async fn active(&self, node: &str, token: &str) -> Result<bool, String> {
        let v = self
            .post(
                node,
                "/jans-auth/restv1/introspection",
                &self.basic,
                &[("token", token)],
            )
            .await?;
        v["active"]
            .as_bool()
            .ok_or_else(|| format!("introspection without active: {v}"))
    }

    async fn revoke(&self, token: &str) -> Result<(), String> {
        self.post(
            self.node(),
            "/jans-auth/restv1/revoke",
            &self.basic,
            &[("token", token), ("token_type_hint", "access_token")],
        )
        .await
        .map(|_| ())
    }

    /// A rotation: (access token, new refresh token).
    async fn refresh(&self, refresh_token: &str) -> Result<(String, String), String> {
        let v = self
            .post(
                self.node(),
                "/jans-auth/restv1/token",
                &self.refresh_basic,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                ],
            )
            .await?;
        Ok((string(&v, "access_token")?, string(&v, "refresh_token")?))
    }

    async fn password(&self) -> Result<String, String> {
        let (user, password) = &self.args.user;
        let v = self
            .post(
                self.node(),
                "/jans-auth/restv1/token",
                &self.refresh_basic,
                &[
                    ("grant_type", "password"),
                    ("username", user),
                    ("password", password),
                    ("scope", "offline_access"),
                ],
            )
            .await?;
        string(&v, "refresh_token")
    }

    fn record(&self, op: usize, started: Instant, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.ok[op].fetch_add(1, Ordering::Relaxed);
                let us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
                self.latencies.lock().unwrap_or_else(|p| p.into_inner())[op].push(us);
            }
            Err(why) => self.fail(op, why),
        }
    }
}

fn string(v: &Value, key: &str) -> Result<String, String> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no {key} in {v}"))
}

/// RFC 6749 §2.3.1: the client id and secret are form-urlencoded, then Basic-encoded.
fn basic((id, secret): &(String, String)) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", encode(id), encode(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// One worker of the load: operations chosen by weight until the deadline.
async fn worker(s: Arc<Shared>, seed: u64, deadline: Instant) {
    let mut rng = Rng(seed | 1);
    let total: u32 = s.args.mix.iter().sum();
    while Instant::now() < deadline {
        let mut pick = u32::try_from(rng.next() % u64::from(total)).unwrap_or(0);
        let mut op = 0;
        while pick >= s.args.mix[op] {
            pick -= s.args.mix[op];
            op += 1;
        }
        let started = Instant::now();
        match op {
            1 => {
                let token = {
                    let l = s.lock();
                    (!l.active.is_empty()).then(|| l.active[rng.below(l.active.len())].clone())
                };
                let Some(token) = token else { continue };
                let r = s.active(s.node(), &token).await.and_then(|active| {
                    if active {
                        Ok(())
                    } else {
                        Err("an acknowledged, unrevoked token is inactive".to_owned())
                    }
                });
                s.record(1, started, r);
            }
            2 => {
                let token = {
                    let mut l = s.lock();
                    let n = l.revocable.len();
                    (n > 0).then(|| l.revocable.swap_remove(rng.below(n)))
                };
                let Some(token) = token else { continue };
                let r = s.revoke(&token).await;
                if r.is_ok() {
                    s.lock().revoked.push(token);
                }
                // A failed revocation leaves the token's state unknown: audited by neither list.
                s.record(2, started, r);
            }
            3 => {
                let chain = s.chains.lock().unwrap_or_else(|p| p.into_inner()).pop();
                let Some(refresh_token) = chain else { continue };
                let r = s.refresh(&refresh_token).await.map(|(access, next)| {
                    let mut l = s.lock();
                    l.issued(&access);
                    l.issued(&next);
                    l.refreshed.push(access);
                    drop(l);
                    s.chains
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(next);
                });
                // A failed rotation loses the chain (its state is unknown); the audit counts
                // the chains left.
                s.record(3, started, r);
            }
            _ => {
                let r = s.token().await.map(|t| {
                    let mut l = s.lock();
                    l.issued(&t);
                    // One in four may be revoked; the rest are introspected.
                    if rng.below(4) == 0 {
                        l.revocable.push(t);
                    } else {
                        l.active.push(t);
                    }
                });
                s.record(0, started, r);
            }
        }
    }
}

/// After the load: every token's state on the nodes, in turn, against the ledger.
async fn audit(s: Arc<Shared>) -> (u64, u64, u64, usize, usize) {
    let work: Vec<(String, bool)> = {
        let l = s.lock();
        l.active
            .iter()
            .chain(&l.revocable)
            .chain(&l.refreshed)
            .map(|t| (t.clone(), true))
            .chain(l.revoked.iter().map(|t| (t.clone(), false)))
            .collect()
    };
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let lost = Arc::new(AtomicU64::new(0));
    let resurrected = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..s.args.concurrency {
        let (s, work, next) = (s.clone(), work.clone(), next.clone());
        let (lost, resurrected, errors) = (lost.clone(), resurrected.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((token, expected)) = work.get(i) else {
                    return;
                };
                match s.active(s.node(), token).await {
                    Ok(a) if a == *expected => {}
                    Ok(true) => {
                        resurrected.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(false) => {
                        lost.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        s.fail(1, format!("audit: {e}"));
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    // Every chain rotates once more.
    let chains: Vec<String> =
        std::mem::take(&mut *s.chains.lock().unwrap_or_else(|p| p.into_inner()));
    let mut chains_ok = 0;
    for rt in &chains {
        match s.refresh(rt).await {
            Ok(_) => chains_ok += 1,
            Err(e) => s.fail(3, format!("audit: chain does not refresh: {e}")),
        }
    }
    (
        lost.load(Ordering::Relaxed),
        resurrected.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        chains_ok,
        work.len(),
    )
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("mixed-load: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .expect("an HTTP client");
    let shared = Arc::new(Shared {
        basic: basic(&args.client),
        refresh_basic: basic(&args.refresh_client),
        http,
        next_node: AtomicUsize::new(0),
        ledger: Mutex::new(Ledger::default()),
        chains: Mutex::new(Vec::new()),
        ok: Default::default(),
        errors: Default::default(),
        latencies: Mutex::new(Default::default()),
        samples: Mutex::new(Vec::new()),
        args,
    });

    // Seed the refresh chains (password grant, untimed).
    let mut seeded = 0;
    for _ in 0..shared.args.chains {
        match shared.password().await {
            Ok(rt) => {
                shared.lock().issued(&rt);
                shared
                    .chains
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(rt);
                seeded += 1;
            }
            Err(e) => shared.fail(3, format!("seeding a chain: {e}")),
        }
    }

    let started = Instant::now();
    let deadline = started + shared.args.duration;
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let seed = (u64::from(std::process::id()) << 32) ^ clock;
    let workers: Vec<_> = (0..shared.args.concurrency)
        .map(|i| {
            tokio::spawn(worker(
                shared.clone(),
                seed ^ ((i as u64 + 1) * 0x9e37_79b9),
                deadline,
            ))
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (lost, resurrected, audit_errors, chains_ok, audited) = audit(shared.clone()).await;

    let ok: Vec<u64> = shared
        .ok
        .iter()
        .map(|a| a.load(Ordering::Relaxed))
        .collect();
    let errors: Vec<u64> = shared
        .errors
        .iter()
        .map(|a| a.load(Ordering::Relaxed))
        .collect();
    let total: u64 = ok.iter().sum();
    let error_total: u64 = errors.iter().sum();
    let duplicates = shared.lock().duplicates;
    let mut lat = std::mem::take(&mut *shared.latencies.lock().unwrap_or_else(|p| p.into_inner()));
    println!(
        "{} nodes, {} workers, {:.1} s: {} requests, {:.0} req/s",
        shared.args.nodes.len(),
        shared.args.concurrency,
        elapsed,
        total,
        total as f64 / elapsed
    );
    println!("operation   ok        errors  p50 ms  p99 ms");
    for (i, name) in OPS.iter().enumerate() {
        lat[i].sort_unstable();
        println!(
            "{name:<11} {:<9} {:<7} {:<7.2} {:.2}",
            ok[i],
            errors[i],
            percentile(&lat[i], 0.5),
            percentile(&lat[i], 0.99)
        );
    }
    println!(
        "audit: {audited} tokens asked again: {lost} lost, {resurrected} revoked-but-active, \
         {audit_errors} errors; {chains_ok}/{seeded} refresh chains intact; {duplicates} duplicated token values"
    );
    for s in shared
        .samples
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
    {
        println!("  error: {s}");
    }
    println!(
        "MIXED_RESULT requests={total} rps={:.0} token={} introspect={} revoke={} refresh={} \
         errors={error_total} lost={lost} resurrected={resurrected} duplicates={duplicates} \
         chains={chains_ok}/{seeded} audited={audited}",
        total as f64 / elapsed,
        ok[0],
        ok[1],
        ok[2],
        ok[3]
    );
    let clean = error_total == 0
        && lost == 0
        && resurrected == 0
        && duplicates == 0
        && seeded == shared.args.chains
        && chains_ok == seeded
        && ok.iter().all(|n| *n > 0);
    if clean {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
