//! Embedded infrastructure for development and tests: a PRIVATE PostgreSQL cluster and a private
//! `nats-server` (JetStream) under a data folder, used by `promo serve` when `DATABASE_URL` /
//! `NATS_URL` are not set and by `promo with-infra -- <cmd>` (the test runner).
//!
//! This module owns: installing the Debian packages `postgresql` / `nats-server` when missing
//! ([`ensure_packages`]), the cluster's location and lifecycle (`initdb`/`pg_ctl`, run as the
//! `postgres` user when we are root), the nats-server process, readiness checks, reuse of an
//! instance already running from the same data folder (recorded in `<data_dir>/infra.json`), and
//! running a command with the infrastructure's URLs exported ([`run_with_infra`]).
//!
//! Both servers listen on 127.0.0.1 on ports picked free at start, never the system instances'
//! 5432/4222. Data folder layout:
//!
//! - `infra.json`: ports, pids and the cluster directory of the running instance;
//! - `infra.lock`: held while a process starts the infrastructure;
//! - `postgres/`: the cluster (`data/`, `sock/`, `postgres.log`, `initdb.log`), unless the
//!   `postgres` user cannot reach the data folder (e.g. under `/root`): then it lives in
//!   `/var/tmp/promo-pg-<hash of the data folder path>` and `infra.json` says so;
//! - `nats/` (JetStream store), `nats.log`, `nats.pid`.

mod nats;
mod packages;
mod postgres;
mod sys;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

pub use packages::ensure_packages;

use crate::settings::ExternalUrlsSet;

/// Name of the state file in the data folder.
const INFRA_FILE: &str = "infra.json";
/// Name of the start lock in the data folder.
const LOCK_FILE: &str = "infra.lock";
/// How long to wait for another process that is starting the same infrastructure.
const LOCK_TIMEOUT: Duration = Duration::from_secs(180);
/// Grace period for the wrapped command after we forwarded a signal to it.
const CHILD_GRACE: Duration = Duration::from_secs(10);

/// What `<data_dir>/infra.json` records, for reuse by a later process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InfraState {
    database_url: String,
    nats_url: String,
    pg_port: u16,
    /// Where the cluster lives (inside the data folder or in `/var/tmp`).
    pg_cluster_dir: PathBuf,
    pg_log: PathBuf,
    nats_port: u16,
    nats_pid: u32,
    nats_log: PathBuf,
    /// The process that wrote this file (and may stop the servers when it exits).
    owner_pid: u32,
}

impl InfraState {
    fn load(data_dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(data_dir.join(INFRA_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn save(&self, data_dir: &Path) -> anyhow::Result<()> {
        let path = data_dir.join(INFRA_FILE);
        let tmp = data_dir.join(format!("{INFRA_FILE}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
}

/// An exclusive lock file holding our pid; a lock whose holder died is taken over.
struct StartLock {
    path: PathBuf,
}

impl StartLock {
    async fn acquire(data_dir: &Path) -> anyhow::Result<Self> {
        use std::io::Write;
        let path = data_dir.join(LOCK_FILE);
        let deadline = tokio::time::Instant::now() + LOCK_TIMEOUT;
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    writeln!(f, "{}", std::process::id())
                        .with_context(|| format!("writing {}", path.display()))?;
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if lock_is_stale(&path) {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                }
                Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
            }
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "another process holds {} (starting the embedded infrastructure) for more than {}s; \
                     if no such process runs, delete the file",
                    path.display(),
                    LOCK_TIMEOUT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for StartLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A lock is stale when its holder is dead, or it has held no pid for a while.
fn lock_is_stale(path: &Path) -> bool {
    match std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
    {
        Some(pid) => !sys::pid_alive(pid),
        None => std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(10)),
    }
}

/// A private PostgreSQL cluster and nats-server under a data folder.
///
/// [`EmbeddedInfra::stop`] stops what this process started; dropping it without `stop` does a
/// best-effort, non-waiting stop. Instances reused from another process are left running, and
/// the process that started them stops them when it stops, even if others still use them.
#[derive(Debug)]
pub struct EmbeddedInfra {
    data_dir: PathBuf,
    pg: postgres::Postgres,
    nats: nats::Nats,
}

impl EmbeddedInfra {
    /// Starts (or reuses, if already running from this data dir: check pid files/ports and that
    /// it answers) a private Postgres cluster and nats-server under `data_dir`.
    pub async fn start(data_dir: &Path, nats_conf: &Path) -> anyhow::Result<Self> {
        let started = std::time::Instant::now();
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating data folder {}", data_dir.display()))?;
        let data_dir = std::fs::canonicalize(data_dir)
            .with_context(|| format!("resolving {}", data_dir.display()))?;
        let nats_conf = std::fs::canonicalize(nats_conf)
            .with_context(|| format!("NATS config file {} not found", nats_conf.display()))?;
        ensure_packages().await?;

        let _lock = StartLock::acquire(&data_dir).await?;
        let recorded = InfraState::load(&data_dir);

        let pg = postgres::Postgres::start_or_reuse(
            &data_dir,
            recorded.as_ref().map(|s| s.pg_cluster_dir.as_path()),
        )
        .await
        .with_context(|| format!("starting embedded PostgreSQL for {}", data_dir.display()))?;
        // Record the cluster location right away, so it is found even if NATS fails below.
        let mut state = recorded.clone().unwrap_or_default();
        state.pg_port = pg.port();
        state.database_url = postgres::database_url(pg.port());
        state.pg_cluster_dir = pg.cluster_dir().to_path_buf();
        state.pg_log = pg.log_path();
        state.owner_pid = std::process::id();
        state.save(&data_dir)?;

        let nats_recorded = recorded
            .as_ref()
            .filter(|s| s.nats_pid != 0)
            .map(|s| (s.nats_port, s.nats_pid));
        let nats = match nats::Nats::start_or_reuse(&data_dir, &nats_conf, nats_recorded).await {
            Ok(n) => n,
            Err(e) => {
                let mut pg = pg;
                let _ = pg.stop().await;
                return Err(e.context(format!(
                    "starting embedded nats-server for {}",
                    data_dir.display()
                )));
            }
        };
        let infra = Self { data_dir, pg, nats };
        state.nats_port = infra.nats.port();
        state.nats_pid = infra.nats.pid();
        state.nats_url = infra.nats_url();
        state.nats_log = infra.data_dir.join("nats.log");
        state.save(&infra.data_dir)?;
        tracing::info!(
            database_url = %infra.database_url(),
            nats_url = %infra.nats_url(),
            postgres_reused = !infra.pg.started_here(),
            nats_reused = !infra.nats.started_here(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "embedded infrastructure ready"
        );
        Ok(infra)
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`
    pub fn database_url(&self) -> String {
        postgres::database_url(self.pg.port())
    }

    /// `nats://127.0.0.1:<port>`
    pub fn nats_url(&self) -> String {
        nats::nats_url(self.nats.port())
    }

    /// The data folder (absolute).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops what this process started (pg_ctl stop -m fast; kill nats-server and wait). Idempotent.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let nats = self.nats.stop().await;
        let pg = self.pg.stop().await;
        nats.context("stopping embedded nats-server")?;
        pg.context("stopping embedded PostgreSQL")?;
        Ok(())
    }
}

/// `promo with-infra -- <cmd> [args...]`: if DATABASE_URL and NATS_URL are both set (`urls_set`),
/// run cmd as is; otherwise start EmbeddedInfra under `data_dir`, run cmd with
/// DATABASE_URL/NATS_URL exported, stop the infra afterwards (also on Ctrl-C), and return the
/// command's exit code.
pub async fn run_with_infra(
    data_dir: &Path,
    nats_conf: &Path,
    urls_set: ExternalUrlsSet,
    command: &[String],
) -> anyhow::Result<i32> {
    use tokio::signal::unix::{signal, SignalKind};
    let (program, args) = command
        .split_first()
        .context("with-infra needs a command to run: promo with-infra -- <cmd> [args...]")?;
    // Listen before starting anything, so Ctrl-C during start-up still lets us clean up.
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;

    if urls_set.database_url && urls_set.nats_url {
        return run_child(program, args, None, &mut sigint, &mut sigterm).await;
    }
    for (name, set) in [
        ("DATABASE_URL", urls_set.database_url),
        ("NATS_URL", urls_set.nats_url),
    ] {
        if set {
            tracing::warn!("{name} is set but not both DATABASE_URL and NATS_URL: using the embedded infrastructure for both");
        }
    }
    let infra = EmbeddedInfra::start(data_dir, nats_conf).await?;
    let interrupted = {
        use futures::FutureExt;
        sigint.recv().now_or_never().is_some() || sigterm.recv().now_or_never().is_some()
    };
    let result = if interrupted {
        Ok(130)
    } else {
        let urls = (infra.database_url(), infra.nats_url());
        run_child(program, args, Some(urls), &mut sigint, &mut sigterm).await
    };
    let stopped = infra.stop().await;
    match (result, stopped) {
        (Ok(code), Ok(())) => Ok(code),
        (Ok(0), Err(e)) => Err(
            e.context("the command succeeded but the embedded infrastructure did not stop cleanly")
        ),
        (Ok(code), Err(e)) => {
            tracing::error!("stopping the embedded infrastructure failed: {e:#}");
            Ok(code)
        }
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(stop)) => {
            tracing::error!("stopping the embedded infrastructure failed: {stop:#}");
            Err(e)
        }
    }
}

/// Runs the command (stdio inherited) and returns its exit code. On SIGINT/SIGTERM the signal is
/// forwarded, the command gets [`CHILD_GRACE`] to exit, and 130/143 is returned.
async fn run_child(
    program: &str,
    args: &[String],
    urls: Option<(String, String)>,
    sigint: &mut tokio::signal::unix::Signal,
    sigterm: &mut tokio::signal::unix::Signal,
) -> anyhow::Result<i32> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).stdin(Stdio::inherit());
    if let Some((database_url, nats_url)) = urls {
        cmd.env("DATABASE_URL", database_url)
            .env("NATS_URL", nats_url);
    }
    let mut child = cmd.spawn().with_context(|| format!("running {program}"))?;
    let pid = child.id().unwrap_or_default();
    let (signal_name, code) = tokio::select! {
        status = child.wait() => return Ok(sys::exit_code(status.with_context(|| format!("waiting for {program}"))?)),
        _ = sigint.recv() => ("INT", 130),
        _ = sigterm.recv() => ("TERM", 143),
    };
    tracing::warn!(pid, "received SIG{signal_name}; stopping {program}");
    let _ = sys::send_signal(pid, signal_name).await;
    if tokio::time::timeout(CHILD_GRACE, child.wait())
        .await
        .is_err()
    {
        let _ = sys::send_signal(pid, "TERM").await;
        if tokio::time::timeout(CHILD_GRACE, child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_postgres_major_is_picked_numerically() {
        let names = ["9.6", "13", "15", "README", "16", "lib", "12"];
        assert_eq!(postgres::pick_highest_major(names), Some("16".to_owned()));
        assert_eq!(
            postgres::pick_highest_major(["9.6", "10"]),
            Some("10".to_owned())
        );
        assert_eq!(
            postgres::pick_highest_major(["9.5", "9.6"]),
            Some("9.6".to_owned())
        );
        assert_eq!(postgres::pick_highest_major(["x", ""]), None);
        assert_eq!(postgres::pick_highest_major(Vec::<String>::new()), None);
    }

    #[test]
    fn nats_command_line_has_config_first_then_overriding_flags() {
        let paths = nats::NatsPaths::new(Path::new("/d"));
        let args: Vec<String> = nats::nats_args(Path::new("/repo/nats.conf"), 40123, &paths)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            args.join(" "),
            "-c /repo/nats.conf -a 127.0.0.1 -p 40123 -js -sd /d/nats -l /d/nats.log -P /d/nats.pid"
        );
    }

    #[test]
    fn postgres_options_listen_on_loopback_with_private_socket() {
        let opts = postgres::postgres_options(5555, Some(Path::new("/var/tmp/promo-pg-abc/sock")));
        assert_eq!(
            opts,
            "-c listen_addresses=127.0.0.1 -p 5555 -k /var/tmp/promo-pg-abc/sock -c max_connections=300 -c shared_buffers=128MB"
        );
        let spaced = postgres::postgres_options(5555, Some(Path::new("/my data/it's/sock")));
        assert!(spaced.contains(r"-k '/my data/it'\''s/sock'"), "{spaced}");
        assert!(postgres::postgres_options(5555, None).contains("-k ''"));
    }

    #[test]
    fn socket_dir_is_dropped_when_too_long_for_sun_path() {
        assert!(postgres::socket_dir_for(Path::new("/var/tmp/promo-pg-0123456789ab")).is_some());
        let long = PathBuf::from(format!("/{}", "x".repeat(100)));
        assert!(postgres::socket_dir_for(&long).is_none());
    }

    #[test]
    fn postmaster_pid_gives_pid_and_port() {
        let text = "12345\n/var/tmp/promo-pg-x/data\n1700000000\n41234\n/var/tmp/promo-pg-x/sock\n127.0.0.1\n  1234 5678\nready   \n";
        assert_eq!(postgres::parse_postmaster_pid(text), Some((12345, 41234)));
        assert_eq!(postgres::parse_postmaster_pid("12345\n"), None);
    }

    #[test]
    fn fallback_cluster_dir_is_stable_and_per_data_folder() {
        let a = postgres::fallback_cluster_dir(Path::new("/root/promo/data"));
        let b = postgres::fallback_cluster_dir(Path::new("/root/promo/data"));
        let c = postgres::fallback_cluster_dir(Path::new("/root/other/data"));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("promo-pg-") && name.len() == "promo-pg-".len() + 12,
            "{name}"
        );
        assert_eq!(a.parent(), Some(Path::new("/var/tmp")));
    }

    #[test]
    fn jetstream_account_info_replies_are_checked() {
        let ok = br#"{"type":"io.nats.jetstream.api.v1.account_info_response","memory":0,"storage":0,"streams":0,"consumers":0,"limits":{},"api":{"total":1,"errors":0}}"#;
        assert_eq!(nats::check_account_info(ok), Ok(()));
        let disabled = br#"{"type":"io.nats.jetstream.api.v1.account_info_response","error":{"code":503,"err_code":10039,"description":"jetstream not enabled for account"}}"#;
        assert!(nats::check_account_info(disabled)
            .unwrap_err()
            .contains("not enabled"));
        assert!(nats::check_account_info(b"nope").is_err());
        assert!(nats::check_account_info(br#"{"type":"other"}"#).is_err());
    }

    #[test]
    fn urls_have_the_pinned_shape() {
        assert_eq!(
            postgres::database_url(41000),
            "postgres://postgres@127.0.0.1:41000/postgres"
        );
        assert_eq!(nats::nats_url(42000), "nats://127.0.0.1:42000");
    }

    #[test]
    fn proc_and_passwd_parsing() {
        assert_eq!(
            sys::parse_effective_uid("Name:\tx\nUid:\t1000\t0\t0\t0\n"),
            Some(0)
        );
        assert_eq!(
            sys::parse_effective_uid("Uid:\t0\t1000\t0\t0\n"),
            Some(1000)
        );
        assert_eq!(
            sys::parse_passwd_ids(
                "postgres:x:104:110:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n"
            ),
            Some((104, 110))
        );
        assert_eq!(sys::parse_passwd_ids("broken"), None);
        assert_eq!(sys::parse_stat_state("42 (nats server) S 1 2 3"), Some('S'));
        assert_eq!(sys::parse_stat_state("42 (a) b) Z 1"), Some('Z'));
    }

    #[test]
    fn shell_quoting_and_tails() {
        assert_eq!(
            sys::shell_quote("plain/path-1.2".as_ref()),
            "plain/path-1.2"
        );
        assert_eq!(sys::shell_quote("a b".as_ref()), "'a b'");
        assert_eq!(sys::shell_quote("".as_ref()), "''");
        assert_eq!(sys::tail_lines("1\n2\n3\n4", 2), "3\n4");
        assert_eq!(sys::tail_lines("1", 5), "1");
    }

    #[test]
    fn infra_state_round_trips_as_camel_case_json() {
        let state = InfraState {
            database_url: postgres::database_url(1),
            nats_url: nats::nats_url(2),
            pg_port: 1,
            pg_cluster_dir: "/var/tmp/promo-pg-x".into(),
            pg_log: "/var/tmp/promo-pg-x/postgres.log".into(),
            nats_port: 2,
            nats_pid: 3,
            nats_log: "/d/nats.log".into(),
            owner_pid: 4,
        };
        let json = serde_json::to_string(&state).unwrap();
        assert!(
            json.contains("\"pgClusterDir\":\"/var/tmp/promo-pg-x\""),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<InfraState>(&json).unwrap(), state);
    }

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            sys::exit_code(std::process::ExitStatus::from_raw(3 << 8)),
            3
        );
        assert_eq!(sys::exit_code(std::process::ExitStatus::from_raw(9)), 137);
    }

    /// End to end on a real machine (starts services, hence ignored):
    /// `cargo test -p promo-cli embedded -- --ignored --nocapture`.
    /// Data folder: `$PROMO_EMBED_TEST_DIR` or `/tmp/promo-embed-test`.
    #[tokio::test(flavor = "multi_thread")]
    #[ignore = "starts PostgreSQL and nats-server"]
    async fn embedded_infra_starts_answers_is_reused_and_stops() {
        use sqlx::Connection;
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_test_writer()
            .try_init();
        let data_dir = crate::settings::embed_test_dir();
        let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../nats.conf");

        let t = std::time::Instant::now();
        let infra = EmbeddedInfra::start(&data_dir, &conf).await.expect("start");
        eprintln!(
            "first start: {:?} db={} nats={}",
            t.elapsed(),
            infra.database_url(),
            infra.nats_url()
        );
        assert!(!infra.database_url().ends_with(":5432/postgres"));
        assert!(!infra.nats_url().ends_with(":4222"));

        let mut conn = sqlx::PgConnection::connect(&infra.database_url())
            .await
            .expect("pg connect");
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut conn)
            .await
            .expect("SELECT 1");
        assert_eq!(one, 1);
        conn.close().await.expect("close");

        let client = async_nats::connect(infra.nats_url())
            .await
            .expect("nats connect");
        let js = async_nats::jetstream::new(client.clone());
        let _ = js.delete_stream("EMBED_TEST").await;
        js.create_stream(async_nats::jetstream::stream::Config {
            name: "EMBED_TEST".into(),
            subjects: vec!["embedtest.>".into()],
            ..Default::default()
        })
        .await
        .expect("create stream");
        js.publish("embedtest.hello", "hi".into())
            .await
            .expect("publish")
            .await
            .expect("ack");
        let mut stream = js.get_stream("EMBED_TEST").await.expect("get stream");
        assert_eq!(stream.info().await.expect("info").state.messages, 1);
        js.delete_stream("EMBED_TEST").await.expect("delete stream");
        client.drain().await.expect("drain");

        // A second start from the same data folder reuses both servers and stops neither.
        let t = std::time::Instant::now();
        let again = EmbeddedInfra::start(&data_dir, &conf).await.expect("reuse");
        eprintln!("warm reuse: {:?}", t.elapsed());
        assert_eq!(again.database_url(), infra.database_url());
        assert_eq!(again.nats_url(), infra.nats_url());
        again.stop().await.expect("stop reused (no-op)");
        let conn = sqlx::PgConnection::connect(&infra.database_url())
            .await
            .expect("still running");
        conn.close().await.expect("close");

        // Only what this start launched is stopped (a leftover from a killed run is reused).
        let (nats_pid, nats_ours) = (infra.nats.pid(), infra.nats.started_here());
        let (cluster, pg_ours) = (
            infra.pg.cluster_dir().to_path_buf(),
            infra.pg.started_here(),
        );
        let t = std::time::Instant::now();
        infra.stop().await.expect("stop");
        eprintln!(
            "stop: {:?} (nats started here: {nats_ours}, postgres started here: {pg_ours})",
            t.elapsed()
        );
        assert_eq!(sys::pid_alive(nats_pid), !nats_ours, "nats-server");
        assert_eq!(
            cluster.join("data/postmaster.pid").exists(),
            !pg_ours,
            "postgres"
        );
    }
}
