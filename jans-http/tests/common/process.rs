//! Child processes for the interop tests (`interop.rs`, `saml.rs`): a command run to
//! completion within a time limit with its output in files, `jans` as such a command, and
//! `jans serve` logging to a file until it is dropped.
#![allow(dead_code)]

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub const JANS: &str = env!("CARGO_BIN_EXE_jans");

/// What a bounded command left behind.
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn describe(&self) -> String {
        format!(
            "exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Runs `cmd` to completion within `limit`, its output going to files under `dir` (so a chatty
/// child never blocks on a full pipe). Panics on a timeout, after killing the child.
pub fn run_bounded(cmd: &mut Command, dir: &Path, name: &str, limit: Duration) -> Ran {
    run_bounded_with(cmd, None, dir, name, limit)
}

/// [`run_bounded`], with `stdin` written to the child (then closed).
pub fn run_bounded_with(
    cmd: &mut Command,
    stdin: Option<&str>,
    dir: &Path,
    name: &str,
    limit: Duration,
) -> Ran {
    let out_path = dir.join(format!("{name}.stdout"));
    let err_path = dir.join(format!("{name}.stderr"));
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
    if let Some(input) = stdin {
        // Dropped at the end of the statement: the child sees EOF.
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{name} did not finish within {limit:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                fs::read_to_string(&out_path).unwrap_or_default(),
                fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        sleep(Duration::from_millis(50));
    };
    Ran {
        status,
        stdout: fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: fs::read_to_string(&err_path).unwrap_or_default(),
    }
}

/// `jans --data-dir DATA ARGS...` with `stdin`, within a minute, not checked.
pub fn jans_try(data: &Path, args: &[&str], stdin: Option<&str>, dir: &Path, name: &str) -> Ran {
    run_bounded_with(
        Command::new(JANS).arg("--data-dir").arg(data).args(args),
        stdin,
        dir,
        name,
        Duration::from_secs(60),
    )
}

/// `jans --data-dir DATA ARGS...`, which must succeed.
pub fn jans(data: &Path, args: &[&str], dir: &Path, name: &str) -> Ran {
    let ran = jans_try(data, args, None, dir, name);
    assert!(
        ran.status.success(),
        "`jans --data-dir {} {}` failed\n{}",
        data.display(),
        args.join(" "),
        ran.describe()
    );
    ran
}

/// A running `jans serve` writing to `log`; stopped (SIGTERM, then SIGKILL) when dropped,
/// whatever happened.
pub struct Server {
    pub child: Child,
    pub log: PathBuf,
}

impl Server {
    /// `cmd` started with both its output streams in `log`.
    pub fn spawn(cmd: &mut Command, log: PathBuf) -> Server {
        let out = File::create(&log).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start jans serve");
        Server { child, log }
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then up to `grace` for a graceful exit; SIGKILL after that.
    /// Returns the exit status if the server stopped by itself.
    pub fn stop(&mut self, grace: Duration) -> Option<ExitStatus> {
        if let Some(status) = self.child.try_wait().ok().flatten() {
            return Some(status);
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let start = Instant::now();
        while start.elapsed() < grace {
            if let Some(status) = self.child.try_wait().ok().flatten() {
                return Some(status);
            }
            sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop(Duration::from_secs(5));
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Status code of `GET path` over plain HTTP/1.1, or None if the server did not answer.
pub fn http_get_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 64];
    let n = s.read(&mut head).ok()?;
    let _ = s.shutdown(Shutdown::Both);
    let line = String::from_utf8_lossy(head.get(..n)?).into_owned();
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `jans --data-dir DATA serve` on `port` with the issuer `http://localhost:PORT` and `env`,
/// logging to `DIR/serve-PORT.log`, once `/health/ready` says 200 (at most 30 s).
pub fn start_server(data: &Path, dir: &Path, port: u16, env: &[(&str, &str)]) -> Server {
    let mut server = Server::spawn(
        Command::new(JANS)
            .arg("--data-dir")
            .arg(data)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--issuer",
                &format!("http://localhost:{port}"),
            ])
            .envs(env.iter().copied()),
        dir.join(format!("serve-{port}.log")),
    );
    let start = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            panic!(
                "jans serve exited ({status}) before it was ready\n--- log ---\n{}",
                server.log()
            );
        }
        if http_get_status(port, "/health/ready") == Some(200) {
            return server;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "jans serve: /health/ready did not answer 200 within 30s\n--- log ---\n{}",
            server.log()
        );
        sleep(Duration::from_millis(100));
    }
}
