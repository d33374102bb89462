//! Installing the Debian packages `postgresql` and `nats-server` with apt-get when their
//! binaries are missing (as root directly, otherwise through `sudo` if it exists).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::Stdio;

use anyhow::{bail, Context};

use super::{nats, postgres, sys};

/// The Debian packages whose binaries are absent right now.
pub(crate) fn missing_packages() -> Vec<&'static str> {
    let mut missing = Vec::new();
    if !postgres::binaries_present() {
        missing.push("postgresql");
    }
    if nats::find_nats_server().is_none() {
        missing.push("nats-server");
    }
    missing
}

/// The command prefix that gives us root for apt-get: none when root, `sudo` (non-interactive
/// unless stdin is a terminal) otherwise.
fn privilege_prefix(packages: &str) -> anyhow::Result<Vec<PathBuf>> {
    if sys::is_root() {
        return Ok(Vec::new());
    }
    match sys::which("sudo") {
        Some(sudo) if std::io::stdin().is_terminal() => Ok(vec![sudo]),
        Some(sudo) => Ok(vec![sudo, PathBuf::from("-n")]),
        None => bail!(
            "the Debian packages {packages} are missing and installing them needs root, but we are not root and \
             `sudo` is not installed; run as root: apt-get install -y {packages}"
        ),
    }
}

async fn apt(
    prefix: &[PathBuf],
    apt_get: &std::path::Path,
    args: &[&str],
    packages: &str,
) -> anyhow::Result<()> {
    let (program, rest) = match prefix.split_first() {
        Some((sudo, sudo_args)) => (
            sudo.clone(),
            sudo_args.iter().map(|p| p.as_os_str().to_owned()).collect(),
        ),
        None => (apt_get.to_path_buf(), Vec::new()),
    };
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(rest);
    if !prefix.is_empty() {
        // sudo resets the environment; pass the variable as sudo's own VAR=value argument.
        cmd.arg("DEBIAN_FRONTEND=noninteractive").arg(apt_get);
    }
    let status = cmd
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::inherit())
        // apt's progress goes to stderr so that a wrapped command's stdout stays clean.
        .stdout(Stdio::from(std::io::stderr()))
        .stderr(Stdio::inherit())
        .status()
        .await
        .with_context(|| format!("running {} {}", program.display(), args.join(" ")))?;
    if !status.success() {
        bail!(
            "`apt-get {}` failed ({status}) while installing the missing Debian packages {packages}; \
             install them by hand: apt-get install -y {packages}",
            args.join(" ")
        );
    }
    Ok(())
}

/// Installs missing Debian packages `postgresql` / `nats-server` with apt-get (apt-get update
/// first, DEBIAN_FRONTEND=noninteractive, -y), only when the binaries are absent.
pub async fn ensure_packages() -> anyhow::Result<()> {
    let missing = missing_packages();
    if missing.is_empty() {
        return Ok(());
    }
    let packages = missing.join(" ");
    let Some(apt_get) = sys::which("apt-get") else {
        bail!("the packages {packages} (PostgreSQL server / NATS server binaries) are missing and apt-get is not available; install them and retry");
    };
    let prefix = privilege_prefix(&packages)?;
    tracing::info!(packages = %packages, "installing missing Debian packages with apt-get");
    apt(&prefix, &apt_get, &["update"], &packages).await?;
    let mut install = vec!["install", "-y", "-o", "DPkg::Lock::Timeout=300"];
    install.extend(missing.iter().copied());
    apt(&prefix, &apt_get, &install, &packages).await?;
    let still = missing_packages();
    if !still.is_empty() {
        bail!(
            "apt-get finished but the binaries of {} are still missing",
            still.join(" ")
        );
    }
    Ok(())
}
