//! The server process of the cluster: `pg_ctl start` on a free loopback port (retried when the
//! port is taken meanwhile), adopting a postmaster already running, readiness, `pg_ctl stop`.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::cluster::socket_dir_for;
use super::Postgres;
use crate::embedded::sys;

/// How long to wait for the server to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Start attempts (each with a new port) when the chosen port got taken in between.
const START_ATTEMPTS: usize = 3;

/// `(pid, port)` from the first and fourth lines of `postmaster.pid`.
fn parse_postmaster_pid(text: &str) -> Option<(u32, u16)> {
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let port = lines.nth(2)?.trim().parse().ok()?;
    Some((pid, port))
}

/// The `-o` options handed to the postmaster by `pg_ctl` (through `/bin/sh`, hence quoting).
fn postgres_options(port: u16, socket_dir: Option<&Path>) -> String {
    let sock = socket_dir.map_or_else(|| "''".to_owned(), |d| sys::shell_quote(d.as_os_str()));
    format!(
        "-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c max_connections=300 -c shared_buffers=128MB"
    )
}

impl Postgres {
    /// The port of a live postmaster for this cluster, from `postmaster.pid`.
    pub(super) fn running_port(&self) -> Option<u16> {
        let text = std::fs::read_to_string(self.pgdata().join("postmaster.pid")).ok()?;
        let (pid, port) = parse_postmaster_pid(&text)?;
        let is_postgres =
            sys::pid_alive(pid) && sys::pid_cmdline(pid).is_some_and(|c| c.contains("postgres"));
        is_postgres.then_some(port)
    }

    /// Adopts the postmaster already running on `port` once it answers (it is not ours to stop).
    pub(super) async fn adopt_running(&mut self, port: u16) -> anyhow::Result<()> {
        wait_ready(port, READY_TIMEOUT, || self.running_port() == Some(port))
            .await
            .map_err(|e| {
                anyhow!(
                    "PostgreSQL from {} is running on port {port} but does not answer: {e}; see {}",
                    self.cluster_dir.display(),
                    self.log_path().display()
                )
            })?;
        self.port = port;
        tracing::info!(port, cluster = %self.cluster_dir.display(), "reusing running embedded PostgreSQL");
        Ok(())
    }

    pub(super) async fn start(&mut self) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let socket_dir = socket_dir_for(&self.cluster_dir);
        let mut last_err = None;
        for _ in 0..START_ATTEMPTS {
            let port = sys::free_port()?;
            let out = self
                .tool(&self.bins.pg_ctl)
                .arg("-D")
                .arg(self.pgdata())
                .arg("-l")
                .arg(self.log_path())
                .args([
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    &postgres_options(port, socket_dir.as_deref()),
                    "start",
                ])
                .output()
                .await
                .with_context(|| format!("running {}", self.bins.pg_ctl.display()))?;
            if out.status.success() {
                self.port = port;
                self.started_here = true;
                wait_ready(port, READY_TIMEOUT, || self.running_port() == Some(port))
                    .await
                    .map_err(|e| {
                        anyhow!(
                            "PostgreSQL started on port {port} but does not answer: {e}; see {}",
                            self.log_path().display()
                        )
                    })?;
                tracing::info!(port, cluster = %self.cluster_dir.display(), version = ?self.bins.version, elapsed_ms = started.elapsed().as_millis() as u64, "started embedded PostgreSQL");
                return Ok(());
            }
            let log_tail = sys::tail_file(&self.log_path(), 15);
            let err = anyhow!(
                "pg_ctl start failed for {} on port {port} (see {}):\n{}{}\n{log_tail}",
                self.pgdata().display(),
                self.log_path().display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            if !(log_tail.contains("could not bind") || log_tail.contains("Address already in use"))
            {
                return Err(err);
            }
            tracing::warn!(
                port,
                "port was taken before PostgreSQL could bind it; retrying with another"
            );
            last_err = Some(err);
        }
        Err(last_err.unwrap_or_else(|| anyhow!("pg_ctl start failed")))
    }

    /// Stops the cluster if this process started it (`pg_ctl stop -m fast`). Idempotent.
    pub(crate) async fn stop(&mut self) -> anyhow::Result<()> {
        if !self.started_here {
            return Ok(());
        }
        self.started_here = false;
        if self.running_port().is_none() {
            return Ok(());
        }
        let out = self
            .tool(&self.bins.pg_ctl)
            .arg("-D")
            .arg(self.pgdata())
            .args(["-m", "fast", "-w", "-t", "60", "stop"])
            .output()
            .await
            .with_context(|| format!("running {}", self.bins.pg_ctl.display()))?;
        if out.status.success() || self.running_port().is_none() {
            tracing::info!(cluster = %self.cluster_dir.display(), "stopped embedded PostgreSQL");
            return Ok(());
        }
        bail!(
            "pg_ctl stop failed for {} (see {}):\n{}{}",
            self.pgdata().display(),
            self.log_path().display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// Best-effort stop without waiting, for `Drop`.
    fn stop_nowait(&mut self) {
        if !std::mem::take(&mut self.started_here) {
            return;
        }
        let (prog, args) = self.tool_argv(&self.bins.pg_ctl);
        let _ = std::process::Command::new(prog)
            .args(args)
            .arg("-D")
            .arg(self.pgdata())
            .args(["-m", "fast", "-W", "stop"])
            .current_dir(&self.cluster_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}

/// Dropped without [`Postgres::stop`] (error paths, panics): stop what we started anyway.
impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop_nowait();
    }
}

/// One connection attempt: connect over TCP and run `SELECT 1`.
async fn answers(port: u16) -> Result<(), String> {
    let opts = PgConnectOptions::new()
        .host("127.0.0.1")
        .port(port)
        .username("postgres")
        .database("postgres")
        .disable_statement_logging();
    let attempt = async {
        let mut conn = opts.connect().await?;
        sqlx::query("SELECT 1").execute(&mut conn).await?;
        conn.close().await
    };
    match tokio::time::timeout(Duration::from_secs(3), attempt).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("connection attempt timed out".to_owned()),
    }
}

/// Waits until the server answers `SELECT 1` (see [`sys::wait_ready`]).
async fn wait_ready(port: u16, timeout: Duration, alive: impl Fn() -> bool) -> Result<(), String> {
    sys::wait_ready(|| answers(port), timeout, alive).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_options_listen_on_loopback_with_private_socket() {
        let opts = postgres_options(5555, Some(Path::new("/var/tmp/promo-pg-abc/sock")));
        assert_eq!(
            opts,
            "-c listen_addresses=127.0.0.1 -p 5555 -k /var/tmp/promo-pg-abc/sock -c max_connections=300 -c shared_buffers=128MB"
        );
        let spaced = postgres_options(5555, Some(Path::new("/my data/it's/sock")));
        assert!(spaced.contains(r"-k '/my data/it'\''s/sock'"), "{spaced}");
        assert!(postgres_options(5555, None).contains("-k ''"));
    }

    #[test]
    fn postmaster_pid_gives_pid_and_port() {
        let text = "12345\n/var/tmp/promo-pg-x/data\n1700000000\n41234\n/var/tmp/promo-pg-x/sock\n127.0.0.1\n  1234 5678\nready   \n";
        assert_eq!(parse_postmaster_pid(text), Some((12345, 41234)));
        assert_eq!(parse_postmaster_pid("12345\n"), None);
    }
}
