//! `promo with-infra -- <cmd>`: runs a command with `DATABASE_URL`/`NATS_URL` pointing at the
//! embedded infrastructure, forwarding Ctrl-C/SIGTERM to it and stopping the servers afterwards;
//! the exit code is the command's.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;

use super::{sys, EmbeddedInfra};
use crate::settings::ExternalUrlsSet;

/// Grace period for the wrapped command after we forwarded a signal to it.
const CHILD_GRACE: Duration = Duration::from_secs(10);

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
    outcome(result, stopped)
}

/// The command's exit code, unless stopping the infrastructure failed after a command that
/// succeeded (a passing run must not hide servers left running); otherwise the command's own
/// result wins and a failed stop is only logged.
fn outcome(result: anyhow::Result<i32>, stopped: anyhow::Result<()>) -> anyhow::Result<i32> {
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
    fn a_failed_stop_fails_only_a_command_that_succeeded() {
        let stop_failed = || Err(anyhow::anyhow!("pg_ctl stop failed"));
        assert_eq!(outcome(Ok(3), Ok(())).unwrap(), 3);
        assert!(outcome(Ok(0), stop_failed())
            .unwrap_err()
            .to_string()
            .contains("the command succeeded"));
        assert_eq!(outcome(Ok(1), stop_failed()).unwrap(), 1);
        let failed = outcome(Err(anyhow::anyhow!("spawn failed")), stop_failed());
        assert_eq!(failed.unwrap_err().to_string(), "spawn failed");
    }
}
