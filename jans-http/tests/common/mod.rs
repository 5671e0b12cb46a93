//! Helpers shared by the end-to-end tests: the `jans` binary as a command and as a
//! server, ports, and reading pages and redirects.
#![allow(dead_code)]

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

/// Run `cmd serve --listen 127.0.0.1:PORT EXTRA..` and wait until it listens.
pub fn start_cmd(mut cmd: Command, port: u16, extra: &[&str]) -> (Server, String) {
    let listen = format!("127.0.0.1:{port}");
    let mut child = cmd
        .args(["serve", "--listen", &listen])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "server did not start");
        match lines.next() {
            Some(Ok(l)) if l.contains("listening on") => break,
            Some(Ok(_)) => continue,
            _ => panic!("server exited before listening"),
        }
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (Server(child), format!("http://127.0.0.1:{port}"))
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
