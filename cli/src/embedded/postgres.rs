//! The private PostgreSQL cluster, run through `runuser -u postgres` when we are root (the server
//! refuses to run as root): [`Postgres::start_or_reuse`] finds or creates the cluster and starts
//! or adopts its server. The binaries, the cluster's location and `initdb`, and the server
//! process each have a submodule.
//!
//! Cluster directory layout: `data/` (PGDATA), `sock/` (Unix socket), `postgres.log`,
//! `initdb.log`.

mod bins;
mod cluster;
mod server;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context;

use super::sys;
use bins::{find_bins, PgBins};
use cluster::{
    choose_fresh_cluster_dir, fallback_cluster_dir, is_initialised, local_cluster_dir,
    prepare_owned_dir, socket_dir_for,
};

pub(crate) use bins::binaries_present;

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
            pg.adopt_running(port).await?;
            return Ok(pg);
        }

        pg.start().await?;
        Ok(pg)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_has_the_pinned_shape() {
        assert_eq!(
            database_url(41000),
            "postgres://postgres@127.0.0.1:41000/postgres"
        );
    }
}
