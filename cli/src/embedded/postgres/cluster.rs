//! Where the cluster lives and creating it: inside the data folder when the `postgres` user can
//! write there, else `/var/tmp/promo-pg-<hash>`; directories owned by that user, mode 700;
//! `initdb`.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{bail, Context};

use super::Postgres;
use crate::embedded::sys;

/// A Unix socket path (`<dir>/.s.PGSQL.<port>`) must fit in `sun_path` (108 bytes with NUL).
const MAX_SOCKET_PATH: usize = 107;

/// The cluster directory used when the data folder is not reachable by the `postgres` user.
pub(super) fn fallback_cluster_dir(data_dir: &Path) -> PathBuf {
    PathBuf::from(format!("/var/tmp/promo-pg-{}", sys::short_hash(data_dir)))
}

/// The preferred cluster directory, inside the data folder.
pub(super) fn local_cluster_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("postgres")
}

pub(super) fn is_initialised(cluster_dir: &Path) -> bool {
    cluster_dir.join("data").join("PG_VERSION").is_file()
}

/// The socket directory to pass with `-k`, or `None` (no Unix socket) if the path would be too
/// long for `sun_path`.
pub(super) fn socket_dir_for(cluster_dir: &Path) -> Option<PathBuf> {
    let dir = cluster_dir.join("sock");
    (dir.as_os_str().len() + "/.s.PGSQL.65535".len() <= MAX_SOCKET_PATH).then_some(dir)
}

impl Postgres {
    pub(super) async fn initdb(&self) -> anyhow::Result<()> {
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
}

/// Picks the directory for a new cluster: inside the data folder if the `postgres` user (when we
/// run tools as it) can write there, else `/var/tmp/promo-pg-<hash>`.
pub(super) async fn choose_fresh_cluster_dir(
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
pub(super) fn prepare_owned_dir(dir: &Path, owner: Option<(u32, u32)>) -> anyhow::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_dir_is_dropped_when_too_long_for_sun_path() {
        assert!(socket_dir_for(Path::new("/var/tmp/promo-pg-0123456789ab")).is_some());
        let long = PathBuf::from(format!("/{}", "x".repeat(100)));
        assert!(socket_dir_for(&long).is_none());
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
}
