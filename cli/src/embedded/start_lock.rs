//! `<data_dir>/infra.lock`: held while a process starts (or decides to reuse) the embedded
//! infrastructure, so two processes on one data folder never start two clusters or two
//! nats-servers on the same store.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};

use super::sys;

/// Name of the start lock in the data folder.
const LOCK_FILE: &str = "infra.lock";
/// How long to wait for another process that is starting the same infrastructure.
const LOCK_TIMEOUT: Duration = Duration::from_secs(180);

/// An exclusive lock file holding our pid; a lock whose holder died is taken over.
pub(super) struct StartLock {
    path: PathBuf,
}

impl StartLock {
    pub(super) async fn acquire(data_dir: &Path) -> anyhow::Result<Self> {
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
