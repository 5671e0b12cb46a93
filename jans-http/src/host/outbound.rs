//! The host's outbound HTTP for the engine (client `jwks_uri`, `sector_identifier_uri`,
//! back-channel logout), over reqwest with rustls, within DESIGN.md §6's bounds:
//!
//! - every address connected to is checked against the request's [`AddressPolicy`]
//!   *after* DNS resolution (a resolver that drops refused addresses), IP literals before
//!   the request and on every redirect, so a name that resolves to `127.0.0.1` or a
//!   redirect to `169.254.169.254` is refused like the literal;
//! - at most [`MAX_REDIRECTS`] redirects, http and https only;
//! - 3 s to connect, 5 s in all; bodies of at most [`MAX_FETCH_BYTES`] (large fetches,
//!   metadata BLOBs: the caller's limit and [`LARGE_FETCH_SECS`]);
//! - no proxy from the environment (it would resolve names where the checks cannot see).

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use jans_core::outbound::{AddressPolicy, HttpClient, HttpError, HttpResponse, MAX_FETCH_BYTES};

/// Redirects followed at most.
pub const MAX_REDIRECTS: usize = 3;

/// reqwest-backed [`HttpClient`]: one reqwest client per address policy in force (the
/// policy lives in the resolver, so a configuration change builds a new one).
#[derive(Debug, Default)]
pub struct ReqwestClient {
    clients: Mutex<Option<(AddressPolicy, reqwest::Client)>>,
}

impl ReqwestClient {
    /// A client; connections are made per the policy each request carries.
    pub fn new() -> Result<Self, reqwest::Error> {
        let c = ReqwestClient::default();
        c.client(&AddressPolicy::default())?;
        Ok(c)
    }

    fn client(&self, policy: &AddressPolicy) -> Result<reqwest::Client, reqwest::Error> {
        let mut cached = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((p, c)) = cached.as_ref()
            && p == policy
        {
            return Ok(c.clone());
        }
        let redirect_policy = policy.clone();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .no_proxy()
            .dns_resolver(CheckedResolver {
                policy: policy.clone(),
            })
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
                }
                match check_url(attempt.url(), &redirect_policy) {
                    Ok(()) => attempt.follow(),
                    Err(why) => attempt.error(why),
                }
            }))
            .user_agent(concat!("jans-rs/", env!("CARGO_PKG_VERSION")))
            .build()?;
        *cached = Some((policy.clone(), client.clone()));
        Ok(client)
    }

    /// The client for `policy`, once `url` passed the checks a resolver cannot make.
    fn prepare(&self, url: &str, policy: &AddressPolicy) -> Result<reqwest::Client, HttpError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| HttpError::Failed(e.to_string()))?;
        check_url(&parsed, policy)?;
        self.client(policy)
            .map_err(|e| HttpError::Failed(e.to_string()))
    }
}

/// Refused when the scheme is not http(s) or the host is an IP literal the policy refuses
/// (names are checked by [`CheckedResolver`] once resolved).
fn check_url(url: &reqwest::Url, policy: &AddressPolicy) -> Result<(), HttpError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(HttpError::Refused(format!(
            "scheme {} is not fetched",
            url.scheme()
        )));
    }
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(_)) => None,
        None => return Err(HttpError::Refused("no host".to_owned())),
    };
    match literal {
        Some(ip) if !policy.allows(ip) => Err(HttpError::Refused(format!(
            "{ip} is not a public address (outboundBlockPrivateIp)"
        ))),
        _ => Ok(()),
    }
}

/// The system resolver, keeping only the addresses the policy allows; a name left with
/// none is refused.
struct CheckedResolver {
    policy: AddressPolicy,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| policy.allows(a.ip()))
                .collect();
            if allowed.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> = format!(
                    "{host} resolves to no public address (outboundBlockPrivateIp): {:?}",
                    found.iter().map(SocketAddr::ip).collect::<Vec<_>>()
                )
                .into();
                return Err(refused);
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// A reqwest error as the engine's: refusals by the checks above stay refusals.
fn failed(e: reqwest::Error) -> HttpError {
    let text = jans_core::error::with_causes(&e);
    if text.contains("outboundBlockPrivateIp") || text.contains("is not fetched") {
        HttpError::Refused(text)
    } else {
        HttpError::Failed(text)
    }
}

/// Seconds a large fetch ([`HttpClient::get_large`]: metadata BLOBs) may take in all.
pub const LARGE_FETCH_SECS: u64 = 60;

/// Send `req` and read at most `limit` bytes of its body.
async fn read_bounded(
    req: reqwest::RequestBuilder,
    limit: usize,
) -> Result<HttpResponse, HttpError> {
    let mut resp = req.send().await.map_err(failed)?;
    let status = resp.status().as_u16();
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(HttpError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(failed)? {
        if body.len() + chunk.len() > limit {
            return Err(HttpError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(HttpResponse { status, body })
}

#[async_trait]
impl HttpClient for ReqwestClient {
    async fn get(&self, url: &str, policy: &AddressPolicy) -> Result<HttpResponse, HttpError> {
        let req = self
            .prepare(url, policy)?
            .get(url)
            .header("accept", "application/json");
        read_bounded(req, MAX_FETCH_BYTES).await
    }

    async fn get_large(
        &self,
        url: &str,
        policy: &AddressPolicy,
        limit: usize,
    ) -> Result<HttpResponse, HttpError> {
        let req = self
            .prepare(url, policy)?
            .get(url)
            .timeout(Duration::from_secs(LARGE_FETCH_SECS));
        read_bounded(req, limit).await
    }

    async fn post_form(
        &self,
        url: &str,
        body: &str,
        policy: &AddressPolicy,
    ) -> Result<HttpResponse, HttpError> {
        let req = self
            .prepare(url, policy)?
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded");
        post(req, body.as_bytes()).await
    }

    async fn post_json(
        &self,
        url: &str,
        bearer: &str,
        body: &[u8],
        policy: &AddressPolicy,
    ) -> Result<HttpResponse, HttpError> {
        let req = self
            .prepare(url, policy)?
            .post(url)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {bearer}"));
        post(req, body).await
    }
}

/// Send a POST with `body`; only the status of the answer matters.
async fn post(req: reqwest::RequestBuilder, body: &[u8]) -> Result<HttpResponse, HttpError> {
    let resp = req.body(body.to_owned()).send().await.map_err(failed)?;
    Ok(HttpResponse {
        status: resp.status().as_u16(),
        body: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    use super::*;
    use jans_core::outbound::Cidr;

    /// A tiny server on `ip`: `/ok` answers a JSON document, `/to?URL` redirects there,
    /// `/loop` redirects to itself, `/big` sends more than MAX_FETCH_BYTES, `/hang` never
    /// answers.
    fn server(ip: &str) -> String {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                std::thread::spawn(move || {
                    let mut line = String::new();
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    reader.read_line(&mut line).unwrap();
                    let target = line.split(' ').nth(1).unwrap_or("/").to_owned();
                    let reply = |status: &str, headers: &str, body: &[u8]| {
                        let mut out = format!(
                            "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        out.extend_from_slice(body);
                        out
                    };
                    let out = match target.split_once('?') {
                        Some(("/to", to)) => {
                            reply("302 Found", &format!("location: {to}\r\n"), b"")
                        }
                        _ if target == "/loop" => reply("302 Found", "location: /loop\r\n", b""),
                        _ if target == "/big" => {
                            reply("200 OK", "", &vec![b' '; MAX_FETCH_BYTES + 1])
                        }
                        _ if target == "/hang" => {
                            std::thread::sleep(Duration::from_secs(30));
                            return;
                        }
                        _ => reply(
                            "200 OK",
                            "content-type: application/json\r\n",
                            b"{\"keys\":[]}",
                        ),
                    };
                    let _ = conn.write_all(&out);
                });
            }
        });
        base
    }

    fn strict() -> AddressPolicy {
        AddressPolicy::default()
    }

    /// The default policy, allowing 127.0.0.2 as if it were a public address.
    fn with_public_test_host() -> AddressPolicy {
        AddressPolicy {
            block_private: true,
            allow: vec![Cidr::parse("127.0.0.2").unwrap()],
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn refused(r: Result<HttpResponse, HttpError>) -> String {
        match r {
            Err(HttpError::Refused(why)) => why,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn non_public_addresses_are_refused_before_connecting() {
        let rt = rt();
        let c = ReqwestClient::new().unwrap();
        for url in [
            "http://127.0.0.1:9/jwks",
            "http://[::1]:9/jwks",
            "http://0.0.0.0:9/jwks",
            "http://10.0.0.1/jwks",
            "http://172.16.5.4/jwks",
            "http://192.168.0.10/jwks",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/jwks",
            "http://[fd00::1]/jwks",
            "http://[fe80::1]/jwks",
            "http://[::ffff:127.0.0.1]:9/jwks",
            "http://[64:ff9b::a9fe:a9fe]/jwks",
        ] {
            let why = refused(rt.block_on(c.get(url, &strict())));
            assert!(why.contains("not a public address"), "{url}: {why}");
            refused(rt.block_on(c.post_form(url, "logout_token=x", &strict())));
        }
        // Not http(s) at all.
        assert!(refused(rt.block_on(c.get("file:///etc/passwd", &strict()))).contains("scheme"));
    }

    #[test]
    fn names_are_checked_after_resolution() {
        let rt = rt();
        let c = ReqwestClient::new().unwrap();
        let base = server("127.0.0.1");
        let port = base.rsplit(':').next().unwrap();
        // localhost resolves to loopback only: refused, though it names no address.
        let why = refused(rt.block_on(c.get(&format!("http://localhost:{port}/ok"), &strict())));
        assert!(why.contains("resolves to no public address"), "{why}");
        // The operator's switch lets it through.
        let open = AddressPolicy {
            block_private: false,
            allow: Vec::new(),
        };
        let r = rt
            .block_on(c.get(&format!("http://localhost:{port}/ok"), &open))
            .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"{\"keys\":[]}"[..]));
    }

    #[test]
    fn redirects_are_checked_and_limited() {
        let rt = rt();
        let c = ReqwestClient::new().unwrap();
        let policy = with_public_test_host();
        let public = server("127.0.0.2");
        let private = server("127.0.0.1");
        let private_port = private.rsplit(':').next().unwrap();
        // The allowed host itself works, and a redirect to itself is followed.
        assert_eq!(
            rt.block_on(c.get(&format!("{public}/ok"), &policy))
                .unwrap()
                .status,
            200
        );
        assert_eq!(
            rt.block_on(c.get(&format!("{public}/to?{public}/ok"), &policy))
                .unwrap()
                .status,
            200
        );
        // A redirect to a private literal, or to a name resolving to one, is refused.
        for to in [
            format!("{private}/ok"),
            format!("http://localhost:{private_port}/ok"),
            "http://169.254.169.254/latest/meta-data/".to_owned(),
        ] {
            let r = rt.block_on(c.get(&format!("{public}/to?{to}"), &policy));
            assert!(matches!(r, Err(HttpError::Refused(_))), "{to}: {r:?}");
            let r = rt.block_on(c.post_form(&format!("{public}/to?{to}"), "a=b", &policy));
            assert!(matches!(r, Err(HttpError::Refused(_))), "{to}: {r:?}");
        }
        // At most MAX_REDIRECTS redirects.
        let r = rt.block_on(c.get(&format!("{public}/loop"), &policy));
        assert!(
            matches!(&r, Err(HttpError::Failed(why)) if why.contains("redirects")),
            "{r:?}"
        );
    }

    #[test]
    fn sizes_and_times_are_bounded() {
        let rt = rt();
        let c = ReqwestClient::new().unwrap();
        let policy = with_public_test_host();
        let public = server("127.0.0.2");
        assert_eq!(
            rt.block_on(c.get(&format!("{public}/big"), &policy)),
            Err(HttpError::TooLarge)
        );
        // A large fetch (metadata BLOBs) takes what its caller allows, and no more; the
        // address policy holds for it too.
        let big = rt
            .block_on(c.get_large(&format!("{public}/big"), &policy, 2 * MAX_FETCH_BYTES))
            .unwrap();
        assert_eq!((big.status, big.body.len()), (200, MAX_FETCH_BYTES + 1));
        assert_eq!(
            rt.block_on(c.get_large(&format!("{public}/big"), &policy, MAX_FETCH_BYTES)),
            Err(HttpError::TooLarge)
        );
        refused(rt.block_on(c.get_large(
            "http://127.0.0.1:9/blob",
            &strict(),
            2 * MAX_FETCH_BYTES,
        )));
        let started = std::time::Instant::now();
        let r = rt.block_on(c.get(&format!("{public}/hang"), &policy));
        assert!(matches!(r, Err(HttpError::Failed(_))), "{r:?}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the 5 s bound holds"
        );
    }
}
