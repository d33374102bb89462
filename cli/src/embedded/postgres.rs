//! The private PostgreSQL cluster: finding the Debian binaries, choosing where the cluster lives
//! (the data folder, or `/var/tmp/promo-pg-<hash>` when the `postgres` user cannot reach it),
//! `initdb`, `pg_ctl start`/`stop` (through `runuser -u postgres` when we are root), readiness.
//!
//! Cluster directory layout: `data/` (PGDATA), `sock/` (Unix socket), `postgres.log`,
//! `initdb.log`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::sys;

/// Where Debian's `postgresql-<major>` packages put their server binaries.
pub(crate) const DEBIAN_PG_ROOT: &str = "/usr/lib/postgresql";
/// How long to wait for the server to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Start attempts (each with a new port) when the chosen port got taken in between.
const START_ATTEMPTS: usize = 3;
/// A Unix socket path (`<dir>/.s.PGSQL.<port>`) must fit in `sun_path` (108 bytes with NUL).
const MAX_SOCKET_PATH: usize = 107;

/// The server tools of one PostgreSQL installation.
#[derive(Debug, Clone)]
pub(crate) struct PgBins {
    pub initdb: PathBuf,
    pub pg_ctl: PathBuf,
    /// Major version directory name (`15`), when found under [`DEBIAN_PG_ROOT`].
    pub version: Option<String>,
}

/// Parses a version directory name (`15`, `9.6`) into comparable numbers.
pub(crate) fn parse_version(name: &str) -> Option<Vec<u32>> {
    name.split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<u32>>>()
        .filter(|v| !v.is_empty())
}

/// The highest PostgreSQL major among directory names; non-version names are ignored.
pub(crate) fn pick_highest_major<I, S>(names: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    names
        .into_iter()
        .map(Into::into)
        .filter_map(|n| parse_version(&n).map(|v| (v, n)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, n)| n)
}

/// Version directories under [`DEBIAN_PG_ROOT`] that hold both `initdb` and `pg_ctl`.
fn installed_versions() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(DEBIAN_PG_ROOT) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| {
            let bin = Path::new(DEBIAN_PG_ROOT).join(name).join("bin");
            sys::is_executable(&bin.join("initdb")) && sys::is_executable(&bin.join("pg_ctl"))
        })
        .collect()
}

fn debian_bins(version: &str) -> PgBins {
    let bin = Path::new(DEBIAN_PG_ROOT).join(version).join("bin");
    PgBins {
        initdb: bin.join("initdb"),
        pg_ctl: bin.join("pg_ctl"),
        version: Some(version.to_owned()),
    }
}

/// Finds `initdb`/`pg_ctl`: the requested major (an existing cluster's `PG_VERSION`), else the
/// highest major under [`DEBIAN_PG_ROOT`], else whatever is on `$PATH`.
pub(crate) fn find_bins(wanted: Option<&str>) -> anyhow::Result<PgBins> {
    let versions = installed_versions();
    if let Some(wanted) = wanted {
        if versions.iter().any(|v| v == wanted) {
            return Ok(debian_bins(wanted));
        }
        if versions.is_empty() {
            if let (Some(initdb), Some(pg_ctl)) = (sys::which("initdb"), sys::which("pg_ctl")) {
                return Ok(PgBins {
                    initdb,
                    pg_ctl,
                    version: None,
                });
            }
        }
        bail!(
            "the existing cluster was initialised by PostgreSQL {wanted}, but {}/{wanted}/bin is not installed \
             (installed: {}); install postgresql-{wanted} or delete the cluster directory",
            DEBIAN_PG_ROOT,
            if versions.is_empty() { "none".to_owned() } else { versions.join(", ") }
        );
    }
    if let Some(v) = pick_highest_major(versions) {
        return Ok(debian_bins(&v));
    }
    match (sys::which("initdb"), sys::which("pg_ctl")) {
        (Some(initdb), Some(pg_ctl)) => Ok(PgBins { initdb, pg_ctl, version: None }),
        _ => Err(anyhow!("PostgreSQL server binaries (initdb, pg_ctl) not found in {DEBIAN_PG_ROOT}/<major>/bin or on PATH")),
    }
}

/// True if PostgreSQL server binaries are installed.
pub(crate) fn binaries_present() -> bool {
    find_bins(None).is_ok()
}

/// The cluster directory used when the data folder is not reachable by the `postgres` user.
pub(crate) fn fallback_cluster_dir(data_dir: &Path) -> PathBuf {
    PathBuf::from(format!("/var/tmp/promo-pg-{}", sys::short_hash(data_dir)))
}

/// The preferred cluster directory, inside the data folder.
pub(crate) fn local_cluster_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("postgres")
}

fn is_initialised(cluster_dir: &Path) -> bool {
    cluster_dir.join("data").join("PG_VERSION").is_file()
}

/// `(pid, port)` from the first and fourth lines of `postmaster.pid`.
pub(crate) fn parse_postmaster_pid(text: &str) -> Option<(u32, u16)> {
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let port = lines.nth(2)?.trim().parse().ok()?;
    Some((pid, port))
}

/// The socket directory to pass with `-k`, or `None` (no Unix socket) if the path would be too
/// long for `sun_path`.
pub(crate) fn socket_dir_for(cluster_dir: &Path) -> Option<PathBuf> {
    let dir = cluster_dir.join("sock");
    (dir.as_os_str().len() + "/.s.PGSQL.65535".len() <= MAX_SOCKET_PATH).then_some(dir)
}

/// The `-o` options handed to the postmaster by `pg_ctl` (through `/bin/sh`, hence quoting).
pub(crate) fn postgres_options(port: u16, socket_dir: Option<&Path>) -> String {
    let sock = socket_dir.map_or_else(|| "''".to_owned(), |d| sys::shell_quote(d.as_os_str()));
    format!(
        "-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c max_connections=300 -c shared_buffers=128MB"
    )
}

pub(crate) fn database_url(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

/// A private cluster, either started by this process or reused from an earlier one.
#[derive(Debug)]
pub(crate) struct Postgres {
    cluster_dir: PathBuf,
    bins: PgBins,
    /// `Some(runuser)` when the tools must run as the `postgres` user (we are root).
    runuser: Option<PathBuf>,
    port: u16,
    /// Stop on [`Postgres::stop`] only what this process started.
    started_here: bool,
}

impl Postgres {
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn cluster_dir(&self) -> &Path {
        &self.cluster_dir
    }

    pub(crate) fn started_here(&self) -> bool {
        self.started_here
    }

    fn pgdata(&self) -> PathBuf {
        self.cluster_dir.join("data")
    }

    pub(crate) fn log_path(&self) -> PathBuf {
        self.cluster_dir.join("postgres.log")
    }

    /// Starts the cluster belonging to `data_dir` (initialising it if needed), or reuses it if
    /// it is already running and answers. `recorded` is the cluster directory from `infra.json`.
    pub(crate) async fn start_or_reuse(
        data_dir: &Path,
        recorded: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let as_postgres = sys::is_root();
        let (runuser, owner) = if as_postgres {
            let runuser = sys::which("runuser").context("running as root needs `runuser` (util-linux) to run PostgreSQL as the postgres user")?;
            let ids = sys::user_ids("postgres").context(
                "the `postgres` system user does not exist (the Debian package `postgresql` creates it); PostgreSQL refuses to run as root",
            )?;
            (Some(runuser), Some(ids))
        } else {
            (None, None)
        };

        let existing = recorded
            .map(Path::to_path_buf)
            .into_iter()
            .chain([local_cluster_dir(data_dir), fallback_cluster_dir(data_dir)])
            .find(|d| is_initialised(d));

        let mut pg = match existing {
            Some(cluster_dir) => {
                let version = std::fs::read_to_string(cluster_dir.join("data").join("PG_VERSION"))
                    .with_context(|| {
                        format!("reading {}/data/PG_VERSION", cluster_dir.display())
                    })?;
                let bins = find_bins(Some(version.trim()))?;
                Postgres {
                    cluster_dir,
                    bins,
                    runuser,
                    port: 0,
                    started_here: false,
                }
            }
            None => {
                let bins = find_bins(None)?;
                let cluster_dir =
                    choose_fresh_cluster_dir(data_dir, runuser.as_deref(), owner).await?;
                let pg = Postgres {
                    cluster_dir,
                    bins,
                    runuser,
                    port: 0,
                    started_here: false,
                };
                pg.initdb().await?;
                pg
            }
        };
        prepare_owned_dir(&pg.cluster_dir, owner)?;
        if let Some(sock) = socket_dir_for(&pg.cluster_dir) {
            prepare_owned_dir(&sock, owner)?;
        }

        if let Some(port) = pg.running_port() {
            wait_ready(port, READY_TIMEOUT, || pg.running_port() == Some(port))
                .await
                .map_err(|e| {
                    anyhow!(
                    "PostgreSQL from {} is running on port {port} but does not answer: {e}; see {}",
                    pg.cluster_dir.display(),
                    pg.log_path().display()
                )
                })?;
            pg.port = port;
            tracing::info!(port, cluster = %pg.cluster_dir.display(), "reusing running embedded PostgreSQL");
            return Ok(pg);
        }

        pg.start().await?;
        Ok(pg)
    }

    /// The port of a live postmaster for this cluster, from `postmaster.pid`.
    fn running_port(&self) -> Option<u16> {
        let text = std::fs::read_to_string(self.pgdata().join("postmaster.pid")).ok()?;
        let (pid, port) = parse_postmaster_pid(&text)?;
        let is_postgres =
            sys::pid_alive(pid) && sys::pid_cmdline(pid).is_some_and(|c| c.contains("postgres"));
        is_postgres.then_some(port)
    }

    /// `(program, leading args)` to run a PostgreSQL tool, through `runuser` when root.
    fn tool_argv(&self, program: &Path) -> (PathBuf, Vec<OsString>) {
        match &self.runuser {
            Some(runuser) => (
                runuser.clone(),
                vec![
                    "-u".into(),
                    "postgres".into(),
                    "--".into(),
                    program.as_os_str().to_owned(),
                ],
            ),
            None => (program.to_path_buf(), Vec::new()),
        }
    }

    fn tool(&self, program: &Path) -> tokio::process::Command {
        let (prog, args) = self.tool_argv(program);
        let mut cmd = tokio::process::Command::new(prog);
        cmd.args(args)
            // The postgres user may not be able to enter our working directory (e.g. /root).
            .current_dir(&self.cluster_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    async fn initdb(&self) -> anyhow::Result<()> {
        let pgdata = self.pgdata();
        let log = self.cluster_dir.join("initdb.log");
        let started = std::time::Instant::now();
        let mut transcript = String::new();
        for locale in ["--locale=C.UTF-8", "--no-locale"] {
            if pgdata.exists() {
                std::fs::remove_dir_all(&pgdata)
                    .with_context(|| format!("removing half-initialised {}", pgdata.display()))?;
            }
            let out = self
                .tool(&self.bins.initdb)
                .arg("-D")
                .arg(&pgdata)
                .args(["-A", "trust", "-U", "postgres", "--encoding=UTF8", locale])
                .output()
                .await
                .with_context(|| format!("running {}", self.bins.initdb.display()))?;
            transcript.push_str(&format!(
                "$ initdb -D {} -A trust -U postgres --encoding=UTF8 {locale}\n{}{}\n",
                pgdata.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
            let _ = std::fs::write(&log, &transcript);
            if out.status.success() {
                tracing::info!(cluster = %self.cluster_dir.display(), version = ?self.bins.version, locale, elapsed_ms = started.elapsed().as_millis() as u64, "initialised embedded PostgreSQL cluster");
                return Ok(());
            }
            tracing::warn!(
                locale,
                "initdb failed; retrying with --no-locale if not yet tried"
            );
        }
        bail!(
            "initdb failed for {} (see {}):\n{}",
            pgdata.display(),
            log.display(),
            sys::tail_lines(&transcript, 15)
        )
    }

    async fn start(&mut self) -> anyhow::Result<()> {
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

/// Picks the directory for a new cluster: inside the data folder if the `postgres` user (when we
/// run tools as it) can write there, else `/var/tmp/promo-pg-<hash>`.
async fn choose_fresh_cluster_dir(
    data_dir: &Path,
    runuser: Option<&Path>,
    owner: Option<(u32, u32)>,
) -> anyhow::Result<PathBuf> {
    let local = local_cluster_dir(data_dir);
    prepare_owned_dir(&local, owner)?;
    let Some(runuser) = runuser else {
        return Ok(local);
    };
    if postgres_can_write(runuser, &local).await {
        return Ok(local);
    }
    // Not reachable (e.g. under /root, mode 700): nothing of value is in it yet.
    let _ = std::fs::remove_dir_all(&local);
    let fallback = fallback_cluster_dir(data_dir);
    prepare_owned_dir(&fallback, owner)?;
    if !postgres_can_write(runuser, &fallback).await {
        bail!(
            "neither {} nor {} is writable by the postgres user",
            local.display(),
            fallback.display()
        );
    }
    tracing::info!(
        data_dir = %data_dir.display(),
        cluster = %fallback.display(),
        "data folder is not reachable by the postgres user; the cluster lives in /var/tmp"
    );
    Ok(fallback)
}

/// `runuser -u postgres -- test -w <dir>`: checks traversal of every parent as well.
async fn postgres_can_write(runuser: &Path, dir: &Path) -> bool {
    tokio::process::Command::new(runuser)
        .args(["-u", "postgres", "--", "test", "-w"])
        .arg(dir)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

/// Creates `dir` with mode 700, owned by `owner` (uid, gid) when given.
fn prepare_owned_dir(dir: &Path, owner: Option<(u32, u32)>) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(dir, Some(uid), Some(gid))
            .with_context(|| format!("chown postgres {}", dir.display()))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("chmod 700 {}", dir.display()))?;
    Ok(())
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
    fn highest_postgres_major_is_picked_numerically() {
        let names = ["9.6", "13", "15", "README", "16", "lib", "12"];
        assert_eq!(pick_highest_major(names), Some("16".to_owned()));
        assert_eq!(pick_highest_major(["9.6", "10"]), Some("10".to_owned()));
        assert_eq!(pick_highest_major(["9.5", "9.6"]), Some("9.6".to_owned()));
        assert_eq!(pick_highest_major(["x", ""]), None);
        assert_eq!(pick_highest_major(Vec::<String>::new()), None);
    }

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
    fn socket_dir_is_dropped_when_too_long_for_sun_path() {
        assert!(socket_dir_for(Path::new("/var/tmp/promo-pg-0123456789ab")).is_some());
        let long = PathBuf::from(format!("/{}", "x".repeat(100)));
        assert!(socket_dir_for(&long).is_none());
    }

    #[test]
    fn postmaster_pid_gives_pid_and_port() {
        let text = "12345\n/var/tmp/promo-pg-x/data\n1700000000\n41234\n/var/tmp/promo-pg-x/sock\n127.0.0.1\n  1234 5678\nready   \n";
        assert_eq!(parse_postmaster_pid(text), Some((12345, 41234)));
        assert_eq!(parse_postmaster_pid("12345\n"), None);
    }

    #[test]
    fn fallback_cluster_dir_is_stable_and_per_data_folder() {
        let a = fallback_cluster_dir(Path::new("/root/promo/data"));
        let b = fallback_cluster_dir(Path::new("/root/promo/data"));
        let c = fallback_cluster_dir(Path::new("/root/other/data"));
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
    fn database_url_has_the_pinned_shape() {
        assert_eq!(
            database_url(41000),
            "postgres://postgres@127.0.0.1:41000/postgres"
        );
    }
}
