//! Helpers shared by the end-to-end tests: the `jans` binary as a command and as a
//! server, ports, and reading pages and redirects.
#![allow(dead_code)]

pub mod pki;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const JANS: &str = env!("CARGO_BIN_EXE_jans");

/// `jans --data-dir DIR`, with the environment cleared of the settings tests choose.
pub fn jans_cmd(dir: &Path) -> Command {
    let mut c = Command::new(JANS);
    c.arg("--data-dir")
        .arg(dir)
        .env_remove("JANS_ISSUER")
        .env_remove("JANS_MASTER_KEY")
        .env_remove("JANS_PERSISTENCE_TYPE")
        .env_remove("JANS_DATABASE_URL");
    c
}

pub fn jans(dir: &Path, args: &[&str]) -> std::process::Output {
    jans_cmd(dir).args(args).output().unwrap()
}

pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn start(dir: &Path, extra: &[&str]) -> (Server, String) {
    start_cmd(jans_cmd(dir), free_port(), extra)
}

/// Run `cmd serve --listen 127.0.0.1:PORT EXTRA..` and wait until it listens (at most 30 s,
/// however the server behaves: its output is read on other threads). A server that exits
/// or hangs fails the test with what it wrote on stderr.
pub fn start_cmd(mut cmd: Command, port: u16, extra: &[&str]) -> (Server, String) {
    let listen = format!("127.0.0.1:{port}");
    let mut child = cmd
        .args(["serve", "--listen", &listen])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = keep_tail(child.stderr.take().unwrap());
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    // Keeps draining stdout after the start, so the child never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if l.contains("listening on") => break,
            Ok(_) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "server did not start within 30 s; stderr:\n{}",
                    stderr.lock().unwrap()
                );
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().unwrap();
                // Let the stderr reader finish.
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "server exited ({status}) before listening; stderr:\n{}",
                    stderr.lock().unwrap()
                );
            }
        }
    }
    (Server(child), format!("http://127.0.0.1:{port}"))
}

/// Read `pipe` to its end on a thread, keeping the last 64 KiB of it.
pub fn keep_tail(
    pipe: impl std::io::Read + Send + 'static,
) -> std::sync::Arc<std::sync::Mutex<String>> {
    let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mine = text.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut t = mine.lock().unwrap();
            t.push_str(&line);
            t.push('\n');
            if t.len() > 64 * 1024 {
                let cut: String = t.chars().skip(t.chars().count() / 2).collect();
                *t = cut;
            }
        }
    });
    text
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub fn jans_stdin(dir: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    jans_stdin_cmd(jans_cmd(dir), args, stdin)
}

/// Run `cmd ARGS..` with `stdin` on its standard input.
pub fn jans_stdin_cmd(mut cmd: Command, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write as _;
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn form_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let (_, rest) = html
        .split_once(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"));
    rest.split('"').next().unwrap().to_owned()
}

pub fn query_value(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    url_pairs(q)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub fn url_pairs(q: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// The PKCE challenge of [`VERIFIER`] (RFC 7636 Appendix B).
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// RFC 7636 Appendix B's code verifier.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// A client that follows no redirects (the tests look at each one).
pub fn no_redirects() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// An authorization request for `client_id` with the redirect URI the tests register
/// (`http://localhost:9/cb`), PKCE S256 and `scope`, then `extra` query parameters.
pub fn authorize_url(base: &str, client_id: &str, scope: &str, extra: &str) -> String {
    format!(
        "{base}/jans-auth/restv1/authorize?response_type=code&client_id={client_id}\
         &redirect_uri=http%3A%2F%2Flocalhost%3A9%2Fcb&scope={}&state=s&nonce=n\
         &code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        scope.replace(' ', "%20")
    )
}

/// Start the authorization request `authorize` in a browser without a session and answer
/// its login page with `user` and `password`: the server's answer to the form (302 on to
/// the client or the consent page, 401 with the form again, 429 while the user must wait).
/// `issuer` is the server's public URL, `base` where the test reaches it.
pub fn submit_login(
    http: &reqwest::blocking::Client,
    base: &str,
    issuer: &str,
    authorize: &str,
    user: &str,
    password: &str,
) -> reqwest::blocking::Response {
    let r = http.get(authorize).send().unwrap();
    assert_eq!(r.status(), 302, "the authorization request");
    let page = r.headers()["location"]
        .to_str()
        .unwrap()
        .replacen(issuer, base, 1);
    let html = http.get(&page).send().unwrap().text().unwrap();
    http.post(format!("{base}/jans-auth/interaction"))
        .form(&[
            ("interaction", form_value(&html, "interaction").as_str()),
            ("csrf", form_value(&html, "csrf").as_str()),
            ("action", "login"),
            ("username", user),
            ("password", password),
        ])
        .send()
        .unwrap()
}

/// The `session_id` cookie a response set.
pub fn session_cookie(r: &reqwest::blocking::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("session_id="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// The `code` of the redirect a response carries.
pub fn code_of(r: &reqwest::blocking::Response) -> Option<String> {
    query_value(r.headers().get("location")?.to_str().ok()?, "code")
}

/// A data directory with `alice` (password "correct horse battery") and a client added from
/// `metadata`; its (client_id, client_secret).
pub fn init_with_alice(data: &Path, metadata: &serde_json::Value) -> (String, String) {
    assert!(jans(data, &["init"]).status.success());
    let out = jans_stdin(
        data,
        &["user", "add", "--username", "alice", "--password-stdin"],
        "correct horse battery\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    add_client(data, metadata)
}

/// `jans client add --json` with `metadata`; (client_id, client_secret or "").
pub fn add_client(data: &Path, metadata: &serde_json::Value) -> (String, String) {
    let file = data.with_extension(format!("client-{}.json", std::process::id()));
    std::fs::write(&file, metadata.to_string()).unwrap();
    let out = jans(data, &["client", "add", "--json", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        c["client_id"].as_str().unwrap().to_owned(),
        c["client_secret"].as_str().unwrap_or_default().to_owned(),
    )
}
