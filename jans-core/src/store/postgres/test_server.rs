//! A real PostgreSQL server for tests: the one `JANS_TEST_DATABASE_URL` names (`.ci/run`
//! starts one), or else a private one started here with the machine's `initdb` and `pg_ctl`
//! (PostgreSQL's own binaries, no Docker) in a temporary directory, listening on a free
//! loopback port, stopped when the [`TestServer`] is dropped. Tests only.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A PostgreSQL server tests may create databases on.
#[derive(Debug)]
pub struct TestServer {
    /// URL of a database with rights to `CREATE DATABASE` (the server's admin database).
    pub admin_url: String,
    /// The private server's data directory (stopped and removed on drop); `None` for an
    /// external server.
    data_dir: Option<PathBuf>,
    bin: PathBuf,
    /// Server options (port, sockets), given again on a restart.
    opts: String,
}

static NEXT_DB: AtomicU32 = AtomicU32::new(0);

fn postgres_bin() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("no PostgreSQL under /usr/lib/postgresql ({e}); set PG_BIN or JANS_TEST_DATABASE_URL"))?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin".to_owned())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Run a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses root).
fn pg(bin: &Path, tool: &str, args: &[&str]) -> Result<(), String> {
    let exe = bin.join(tool);
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    let out = cmd
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

impl TestServer {
    /// The server of `JANS_TEST_DATABASE_URL`, or a private one.
    pub fn start() -> Result<TestServer, String> {
        match std::env::var("JANS_TEST_DATABASE_URL") {
            Ok(url) => Ok(TestServer {
                admin_url: url,
                data_dir: None,
                bin: PathBuf::new(),
                opts: String::new(),
            }),
            Err(_) => TestServer::start_private(),
        }
    }

    /// A private server in a temporary directory, whatever the environment says (for tests
    /// that stop and restart it).
    pub fn start_private() -> Result<TestServer, String> {
        TestServer::start_private_with("")
    }

    /// [`TestServer::start_private`] with more server settings (`-c name=value ...`).
    pub fn start_private_with(settings: &str) -> Result<TestServer, String> {
        let bin = postgres_bin()?;
        let dir = std::env::temp_dir().join(format!(
            "jans-pg-{}-{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        if is_root() {
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err(format!(
                    "cannot give {} to the postgres user",
                    dir.display()
                ));
            }
        }
        let data = dir.join("data");
        let data_s = data.to_string_lossy().into_owned();
        pg(
            &bin,
            "initdb",
            &[
                "-D",
                &data_s,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        )?;
        let port = free_port()?;
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='{}' -c fsync=off -c max_connections=300 {settings}",
            dir.display()
        );
        let log = dir.join("server.log").to_string_lossy().into_owned();
        pg(
            &bin,
            "pg_ctl",
            &[
                "-D", &data_s, "-l", &log, "-o", &opts, "-w", "-t", "60", "start",
            ],
        )?;
        Ok(TestServer {
            admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            data_dir: Some(dir),
            bin,
            opts,
        })
    }

    /// A new, empty database on the server, and its URL.
    pub async fn create_database(&self) -> Result<String, String> {
        let name = format!(
            "jans_test_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        let (client, conn) = tokio_postgres::connect(&self.admin_url, tokio_postgres::NoTls)
            .await
            .map_err(|e| format!("{}: {e}", self.admin_url))?;
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| e.to_string())?;
        drop(client);
        let _ = task.await;
        let base = self
            .admin_url
            .rsplit_once('/')
            .map_or(self.admin_url.as_str(), |(b, _)| b);
        Ok(format!("{base}/{name}"))
    }

    /// Stop the server abruptly (as a crash would), keeping its data.
    pub fn stop(&self) -> Result<(), String> {
        let Some(dir) = &self.data_dir else {
            return Err("an external server cannot be stopped by the tests".to_owned());
        };
        let data = dir.join("data").to_string_lossy().into_owned();
        pg(
            &self.bin,
            "pg_ctl",
            &["-D", &data, "-m", "immediate", "-w", "stop"],
        )
    }

    /// Start a server stopped with [`TestServer::stop`] again, on the same port.
    pub fn restart(&self) -> Result<(), String> {
        let Some(dir) = &self.data_dir else {
            return Err("an external server cannot be restarted by the tests".to_owned());
        };
        let data = dir.join("data").to_string_lossy().into_owned();
        let log = dir.join("server.log").to_string_lossy().into_owned();
        pg(
            &self.bin,
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-o", &self.opts, "-w", "-t", "60", "start",
            ],
        )
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(dir) = &self.data_dir {
            let data = dir.join("data").to_string_lossy().into_owned();
            let _ = pg(
                &self.bin,
                "pg_ctl",
                &["-D", &data, "-m", "immediate", "-w", "stop"],
            );
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
