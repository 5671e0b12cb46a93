//! Logs (text or JSON through `tracing`) and Prometheus metrics: request counts and latency
//! by endpoint, tokens issued by grant.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Changes the installed subscriber's level (none when `RUST_LOG` decides).
type LevelSetter = Box<dyn Fn(&str) -> bool + Send + Sync>;

/// The installed subscriber's level setter.
static LEVEL: std::sync::OnceLock<LevelSetter> = std::sync::OnceLock::new();

/// Install the global tracing subscriber. `RUST_LOG` overrides the default `info` filter,
/// and then the configuration's `loggingLevel` does not apply ([`apply_level`]).
pub fn init_logging(format: LogFormat) {
    let from_env = tracing_subscriber::EnvFilter::try_from_default_env().ok();
    let fixed = from_env.is_some();
    let filter = from_env.unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info"));
    // One branch per format: each subscriber, and so its reload handle, is its own type.
    let setter: Option<LevelSetter> = match format {
        LogFormat::Text => {
            let builder = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                // Colours for a terminal only: not in files and log collectors.
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_filter_reloading();
            let handle = builder.reload_handle();
            builder.try_init().ok().map(|()| -> LevelSetter {
                Box::new(move |d: &str| {
                    handle.reload(tracing_subscriber::EnvFilter::new(d)).is_ok()
                })
            })
        }
        LogFormat::Json => {
            let builder = tracing_subscriber::fmt()
                .json()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .with_filter_reloading();
            let handle = builder.reload_handle();
            builder.try_init().ok().map(|()| -> LevelSetter {
                Box::new(move |d: &str| {
                    handle.reload(tracing_subscriber::EnvFilter::new(d)).is_ok()
                })
            })
        }
    };
    if let Some(set) = setter
        && !fixed
    {
        let _ = LEVEL.set(set);
    }
}

/// The `tracing` filter of a Janssen `loggingLevel`.
pub fn level_directive(level: &str) -> &'static str {
    match level.to_ascii_uppercase().as_str() {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "WARN" => "warn",
        "ERROR" | "FATAL" => "error",
        "OFF" => "off",
        _ => "info",
    }
}

/// Log at Janssen's `loggingLevel` from now on (the configuration's, changed through the
/// config API on any node); whether the installed subscriber took it (not when `RUST_LOG`
/// decides, or none is installed).
pub fn apply_level(level: &str) -> bool {
    LEVEL.get().is_some_and(|set| set(level_directive(level)))
}

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

#[derive(Debug, Default)]
struct EndpointStats {
    /// Requests by status class: 1xx..5xx at index 0..4.
    by_class: [AtomicU64; 5],
    latency: Histogram,
}

/// Process-wide counters. Lock-free: the label sets are fixed at construction.
#[derive(Debug)]
pub struct Metrics {
    endpoints: HashMap<&'static str, EndpointStats>,
    grants: HashMap<&'static str, AtomicU64>,
}

/// Endpoint labels the host knows (engine endpoints plus its own).
pub const ENDPOINT_LABELS: [&str; 15] = [
    "discovery",
    "webfinger",
    "register",
    "end_session",
    "userinfo",
    "authorize",
    "jwks",
    "jwks_archived",
    "token",
    "introspection",
    "revocation",
    "health",
    "metrics",
    "not_found",
    "bad_request",
];

/// Grant types counted.
pub const GRANT_LABELS: [&str; 4] = [
    "authorization_code",
    "client_credentials",
    "password",
    "refresh_token",
];

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            endpoints: ENDPOINT_LABELS
                .iter()
                .map(|l| (*l, EndpointStats::default()))
                .collect(),
            grants: GRANT_LABELS
                .iter()
                .map(|g| (*g, AtomicU64::new(0)))
                .collect(),
        }
    }
}

impl Metrics {
    /// Record one request.
    pub fn observe(&self, endpoint: &str, status: u16, elapsed: Duration) {
        let Some(s) = self.endpoints.get(endpoint) else {
            return;
        };
        let class = usize::from(status / 100).saturating_sub(1).min(4);
        if let Some(c) = s.by_class.get(class) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let secs = elapsed.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                if let Some(b) = s.latency.buckets.get(i) {
                    b.fetch_add(1, Ordering::Relaxed);
                }
                break;
            }
        }
        s.latency.count.fetch_add(1, Ordering::Relaxed);
        s.latency.sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Count one issued token.
    pub fn token_issued(&self, grant: &str) {
        if let Some(c) = self.grants.get(grant) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let mut labels: Vec<&&str> = self.endpoints.keys().collect();
        labels.sort();
        out.push_str(
            "# HELP jans_http_requests_total HTTP requests by endpoint and status class.\n",
        );
        out.push_str("# TYPE jans_http_requests_total counter\n");
        for l in &labels {
            if let Some(s) = self.endpoints.get(**l) {
                for (i, c) in s.by_class.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "jans_http_requests_total{{endpoint=\"{l}\",status=\"{}xx\"}} {}",
                        i + 1,
                        c.load(Ordering::Relaxed)
                    );
                }
            }
        }
        out.push_str("# HELP jans_http_request_duration_seconds Request latency by endpoint.\n");
        out.push_str("# TYPE jans_http_request_duration_seconds histogram\n");
        for l in &labels {
            if let Some(s) = self.endpoints.get(**l) {
                let mut cumulative = 0;
                for (i, le) in BUCKETS.iter().enumerate() {
                    cumulative += s
                        .latency
                        .buckets
                        .get(i)
                        .map_or(0, |b| b.load(Ordering::Relaxed));
                    let _ = writeln!(
                        out,
                        "jans_http_request_duration_seconds_bucket{{endpoint=\"{l}\",le=\"{le}\"}} {cumulative}"
                    );
                }
                let count = s.latency.count.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "jans_http_request_duration_seconds_bucket{{endpoint=\"{l}\",le=\"+Inf\"}} {count}"
                );
                let _ = writeln!(
                    out,
                    "jans_http_request_duration_seconds_sum{{endpoint=\"{l}\"}} {}",
                    s.latency.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
                );
                let _ = writeln!(
                    out,
                    "jans_http_request_duration_seconds_count{{endpoint=\"{l}\"}} {count}"
                );
            }
        }
        out.push_str("# HELP jans_tokens_issued_total Access tokens issued by grant type.\n");
        out.push_str("# TYPE jans_tokens_issued_total counter\n");
        let mut grants: Vec<(&&str, &AtomicU64)> = self.grants.iter().collect();
        grants.sort_by_key(|(g, _)| **g);
        for (g, c) in grants {
            let _ = writeln!(
                out,
                "jans_tokens_issued_total{{grant_type=\"{g}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        out
    }
}

/// The engine's own gauges and counters: the password hashing pool (its workers, each
/// holding one 19 MiB argon2 block, bound the server's memory; its checks count the
/// guesses the brute-force protection let through).
pub fn render_engine(engine: &jans_core::Engine) -> String {
    let hasher = engine.hasher();
    format!(
        "# HELP jans_password_checks_total Passwords checked against a stored argon2id hash.\n\
         # TYPE jans_password_checks_total counter\n\
         jans_password_checks_total {}\n\
         # HELP jans_password_hash_workers Threads hashing passwords, each with one argon2 block.\n\
         # TYPE jans_password_hash_workers gauge\n\
         jans_password_hash_workers {}\n",
        hasher.checks(),
        hasher.workers()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_histograms() {
        let m = Metrics::default();
        m.observe("token", 200, Duration::from_micros(300));
        m.observe("token", 401, Duration::from_millis(3));
        m.observe("unknown-label", 200, Duration::from_millis(3));
        m.token_issued("client_credentials");
        let text = m.render();
        assert!(text.contains("jans_http_requests_total{endpoint=\"token\",status=\"2xx\"} 1"));
        assert!(text.contains("jans_http_requests_total{endpoint=\"token\",status=\"4xx\"} 1"));
        assert!(text.contains("jans_http_request_duration_seconds_count{endpoint=\"token\"} 2"));
        assert!(text.contains(
            "jans_http_request_duration_seconds_bucket{endpoint=\"token\",le=\"0.0005\"} 1"
        ));
        assert!(text.contains("jans_tokens_issued_total{grant_type=\"client_credentials\"} 1"));
    }
}
