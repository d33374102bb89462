//! The private `nats-server` (JetStream): command line, config check, spawn, reuse of a running
//! instance, graceful stop. Its readiness probe is the `probe` submodule; its users' passwords
//! (`nats-secure.conf`) the `credentials` submodule.
//!
//! Files in the data folder: `nats/` (JetStream store), `nats.log`, `nats.pid`,
//! `nats-passwords`.

mod credentials;
mod probe;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};

use super::sys;
pub(crate) use credentials::NatsCredentials;
use probe::wait_ready;
pub(crate) use promo_eventstore::nats_url::redacted;

/// Where Debian's `nats-server` package installs the server.
pub(crate) const DEBIAN_NATS_SERVER: &str = "/usr/sbin/nats-server";
/// How long a freshly started server gets to answer JetStream requests.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an already running server gets to prove it answers before we replace it.
const REUSE_TIMEOUT: Duration = Duration::from_secs(15);
/// Grace period between SIGTERM and SIGKILL on stop.
const STOP_GRACE: Duration = Duration::from_secs(15);
const START_ATTEMPTS: usize = 3;

/// `/usr/sbin/nats-server`, else `nats-server` on `$PATH`.
pub(crate) fn find_nats_server() -> Option<PathBuf> {
    let debian = Path::new(DEBIAN_NATS_SERVER);
    if sys::is_executable(debian) {
        return Some(debian.to_path_buf());
    }
    sys::which("nats-server")
}

/// The server's address without credentials (what `infra.json` records).
pub(crate) fn nats_url(port: u16) -> String {
    format!("nats://127.0.0.1:{port}")
}

/// Files of the embedded server inside the data folder.
#[derive(Debug, Clone)]
pub(crate) struct NatsPaths {
    pub store_dir: PathBuf,
    pub log: PathBuf,
    pub pid_file: PathBuf,
}

impl NatsPaths {
    pub(crate) fn new(data_dir: &Path) -> Self {
        Self {
            store_dir: data_dir.join("nats"),
            log: data_dir.join("nats.log"),
            pid_file: data_dir.join("nats.pid"),
        }
    }
}

/// Arguments for `nats-server`: the config file first, then flags, which override it.
pub(crate) fn nats_args(conf: &Path, port: u16, paths: &NatsPaths) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["-c".into(), conf.into()];
    args.extend([
        "-a".into(),
        "127.0.0.1".into(),
        "-p".into(),
        port.to_string().into(),
    ]);
    args.extend([
        "-js".into(),
        "-sd".into(),
        paths.store_dir.clone().into_os_string(),
    ]);
    args.extend(["-l".into(), paths.log.clone().into_os_string()]);
    args.extend(["-P".into(), paths.pid_file.clone().into_os_string()]);
    args
}

/// A private nats-server, either started by this process or reused from an earlier one.
#[derive(Debug)]
pub(crate) struct Nats {
    port: u16,
    pid: u32,
    paths: NatsPaths,
    credentials: NatsCredentials,
    /// The child when this process started the server; `None` when reused.
    child: Option<tokio::process::Child>,
}

impl Nats {
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// `nats://promo:<password>@127.0.0.1:<port>`: a secret, log it only [`redacted`].
    pub(crate) fn service_url(&self) -> String {
        self.credentials.service_url(self.port)
    }

    pub(crate) fn started_here(&self) -> bool {
        self.child.is_some()
    }

    /// Reuses the server recorded in `infra.json` (`recorded` = port, pid) if it is ours, runs
    /// `conf`, and answers JetStream requests as the `promo` user; otherwise replaces a stale one
    /// and starts a new server. Both users' passwords come from the data folder (made once).
    pub(crate) async fn start_or_reuse(
        data_dir: &Path,
        conf: &Path,
        recorded: Option<(u16, u32)>,
    ) -> anyhow::Result<Self> {
        let paths = NatsPaths::new(data_dir);
        let server = find_nats_server()
            .context("nats-server not found (/usr/sbin/nats-server or on PATH)")?;
        let credentials = NatsCredentials::load_or_create(data_dir)?;

        let pid_from_file = std::fs::read_to_string(&paths.pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok());
        let candidates: Vec<u32> = recorded
            .map(|(_, pid)| pid)
            .into_iter()
            .chain(pid_from_file)
            .collect();
        for pid in candidates {
            if !is_our_server(pid, &paths) {
                continue;
            }
            if let Some((port, recorded_pid)) = recorded {
                // A server started with another config (an older `nats.conf` without users)
                // would also accept our login: only the same config counts as reusable.
                if recorded_pid == pid
                    && runs_config(pid, conf)
                    && wait_ready(port, &credentials, REUSE_TIMEOUT, || sys::pid_alive(pid))
                        .await
                        .is_ok()
                {
                    tracing::info!(port, pid, "reusing running embedded nats-server");
                    return Ok(Self {
                        port,
                        pid,
                        paths,
                        credentials,
                        child: None,
                    });
                }
            }
            // Ours (same store dir) but unusable, another config, other passwords or port
            // unknown: two servers must not share a JetStream store, so replace it.
            tracing::warn!(
                pid,
                "replacing an embedded nats-server that does not answer"
            );
            sys::terminate_pid(pid, STOP_GRACE).await?;
        }

        check_config(&server, conf, &credentials).await?;
        std::fs::create_dir_all(&paths.store_dir)
            .with_context(|| format!("creating {}", paths.store_dir.display()))?;
        let started = std::time::Instant::now();
        let mut last_err = None;
        for _ in 0..START_ATTEMPTS {
            let port = sys::free_port()?;
            match Self::spawn(&server, conf, port, &paths, &credentials).await {
                Ok(nats) => {
                    tracing::info!(
                        port,
                        pid = nats.pid,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "started embedded nats-server"
                    );
                    return Ok(nats);
                }
                Err((e, port_taken)) if port_taken => {
                    tracing::warn!(
                        port,
                        "port was taken before nats-server could bind it; retrying with another"
                    );
                    last_err = Some(e);
                }
                Err((e, _)) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow!("nats-server failed to start")))
    }

    /// Spawns one server and waits for it; on failure says whether the port was the problem.
    async fn spawn(
        server: &Path,
        conf: &Path,
        port: u16,
        paths: &NatsPaths,
        credentials: &NatsCredentials,
    ) -> Result<Self, (anyhow::Error, bool)> {
        let log_offset = std::fs::metadata(&paths.log).map(|m| m.len()).unwrap_or(0);
        let open_log = || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&paths.log)
                .with_context(|| format!("opening {}", paths.log.display()))
        };
        let (stdout, stderr) = match (open_log(), open_log()) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return Err((e, false)),
        };
        let mut child = tokio::process::Command::new(server)
            .args(nats_args(conf, port, paths))
            // The users' passwords, for `nats-secure.conf`; never on the command line, where
            // every local user could read them.
            .envs(credentials.server_env())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            // Own process group: a Ctrl-C on the terminal must not kill it before we stop it.
            .process_group(0)
            .spawn()
            .with_context(|| format!("spawning {}", server.display()))
            .map_err(|e| (e, false))?;
        let pid = child.id().unwrap_or_default();
        let ready = wait_ready(port, credentials, READY_TIMEOUT, || sys::pid_alive(pid)).await;
        match ready {
            Ok(()) => Ok(Self {
                port,
                pid,
                paths: paths.clone(),
                credentials: credentials.clone(),
                child: Some(child),
            }),
            Err(e) => {
                let _ = sys::terminate_pid(pid, Duration::from_secs(5)).await;
                let _ = child.wait().await;
                let new_log = std::fs::read(&paths.log)
                    .map(|b| {
                        String::from_utf8_lossy(&b[(log_offset as usize).min(b.len())..])
                            .into_owned()
                    })
                    .unwrap_or_default();
                let port_taken = new_log.contains("address already in use");
                Err((
                    anyhow!(
                        "nats-server ({} -c {}) did not become ready on port {port}: {e}; see {}:\n{}",
                        server.display(),
                        conf.display(),
                        paths.log.display(),
                        sys::tail_lines(&new_log, 15)
                    ),
                    port_taken,
                ))
            }
        }
    }

    /// Stops the server if this process started it: SIGTERM, wait, SIGKILL. Idempotent.
    pub(crate) async fn stop(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if child.try_wait()?.is_none() {
            sys::send_signal(self.pid, "TERM").await?;
            match tokio::time::timeout(STOP_GRACE, child.wait()).await {
                Ok(status) => {
                    status.context("waiting for nats-server")?;
                }
                Err(_) => {
                    tracing::warn!(pid = self.pid, "nats-server ignored SIGTERM; killing it");
                    child.kill().await.context("killing nats-server")?;
                }
            }
        }
        let _ = std::fs::remove_file(&self.paths.pid_file);
        tracing::info!(pid = self.pid, "stopped embedded nats-server");
        Ok(())
    }

    /// Best-effort stop without waiting, for `Drop`.
    fn stop_nowait(&mut self) {
        if let Some(mut child) = self.child.take() {
            if matches!(child.try_wait(), Ok(None)) {
                sys::send_signal_nowait(self.pid, "TERM");
            }
        }
    }
}

/// Dropped without [`Nats::stop`] (error paths, panics): stop what we started anyway.
impl Drop for Nats {
    fn drop(&mut self) {
        self.stop_nowait();
    }
}

/// True if `pid` is a live nats-server using this data folder's store.
fn is_our_server(pid: u32, paths: &NatsPaths) -> bool {
    sys::pid_alive(pid)
        && sys::pid_cmdline(pid).is_some_and(|c| {
            c.contains("nats-server") && c.contains(paths.store_dir.to_string_lossy().as_ref())
        })
}

/// True if the command line of `pid` names `conf` (the config it was started with).
fn runs_config(pid: u32, conf: &Path) -> bool {
    sys::pid_cmdline(pid).is_some_and(|c| c.contains(conf.to_string_lossy().as_ref()))
}

/// Checks the config file with `nats-server -c <conf> -t` for a clear error before starting
/// (with the passwords in the environment, as `nats-secure.conf` reads them from there).
async fn check_config(
    server: &Path,
    conf: &Path,
    credentials: &NatsCredentials,
) -> anyhow::Result<()> {
    let out = tokio::process::Command::new(server)
        .arg("-c")
        .arg(conf)
        .arg("-t")
        .envs(credentials.server_env())
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {} -t", server.display()))?;
    if !out.status.success() {
        bail!(
            "nats-server rejects {}: {}{}",
            conf.display(),
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod secured_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nats_command_line_has_config_first_then_overriding_flags() {
        let paths = NatsPaths::new(Path::new("/d"));
        let args: Vec<String> = nats_args(Path::new("/repo/nats.conf"), 40123, &paths)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            args.join(" "),
            "-c /repo/nats.conf -a 127.0.0.1 -p 40123 -js -sd /d/nats -l /d/nats.log -P /d/nats.pid"
        );
    }

    #[test]
    fn nats_url_has_the_pinned_shape() {
        assert_eq!(nats_url(42000), "nats://127.0.0.1:42000");
    }
}
