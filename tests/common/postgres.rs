//! A real PostgreSQL server for the store tests: a throw-away cluster in a
//! temporary directory, on a free loopback port, run as the `postgres` user
//! when the tests run as root (PostgreSQL refuses root). Needs Debian's
//! `postgresql` package (`.ci/run` installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running cluster; dropped, it is stopped and its files removed.
pub struct Postgres {
    /// `postgres://escalator@127.0.0.1:PORT`, without a database name.
    pub base_url: String,
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    next_db: std::sync::atomic::AtomicU32,
}

impl Postgres {
    /// Creates and starts a cluster.
    pub fn start() -> Postgres {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("escalator-pg")
            .tempdir()
            .unwrap();
        if as_root() {
            chown_postgres(dir.path());
        }
        let data = dir.path().join("data");
        let out = run_as(
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "escalator",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        );
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let pg = Postgres {
            base_url: format!("postgres://escalator@127.0.0.1:{port}"),
            bin,
            dir,
            port,
            next_db: 0.into(),
        };
        pg.resume();
        pg
    }

    /// A new empty database, by URL.
    pub fn new_database(&self) -> String {
        let n = self
            .next_db
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("escalator_{n}");
        let out = run_as(
            &self.bin.join("createdb"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "escalator",
                &name,
            ],
        );
        assert!(
            out.status.success(),
            "createdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("{}/{name}", self.base_url)
    }

    /// Stops the server at once, as a crash or an operator's fast stop would,
    /// keeping its files.
    pub fn stop(&self) {
        let out = self.pg_ctl(&["stop", "-m", "fast"]);
        assert!(
            out.status.success(),
            "pg_ctl stop failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts the (stopped) server again on the same port.
    pub fn resume(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        let out = self.pg_ctl(&["start", "-w", "-l", log.to_str().unwrap(), "-o", &options]);
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    fn pg_ctl(&self, args: &[&str]) -> Output {
        let data = self.dir.path().join("data");
        let mut all = vec!["-D", data.to_str().unwrap()];
        all.extend_from_slice(args);
        run_as(&self.bin.join("pg_ctl"), &all)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate"]);
    }
}

/// The newest installed server's `bin` directory.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect(
            "PostgreSQL server binaries are missing: install Debian's `postgresql` package \
             (.ci/run does)",
        )
        .filter_map(|e| Some(e.ok()?.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions
        .pop()
        .expect("no PostgreSQL server under /usr/lib/postgresql/*/bin")
}

fn as_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn chown_postgres(path: &Path) {
    let status = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(path)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cannot hand {} to postgres",
        path.display()
    );
}

/// Runs a PostgreSQL program, as the `postgres` user when we are root.
fn run_as(program: &Path, args: &[&str]) -> Output {
    let mut cmd = if as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
