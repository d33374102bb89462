//! Small operating-system helpers shared by the embedded Postgres and NATS code: who we are,
//! where a binary lives, whether a pid is alive, signalling, free ports, log tails.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

/// Directories searched after `$PATH`: root's tools live in sbin, which a non-login `PATH`
/// (cron, CI runners) often lacks.
const EXTRA_BIN_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// True when the effective user id is 0.
pub(crate) fn is_root() -> bool {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(euid) = parse_effective_uid(&status) {
            return euid == 0;
        }
    }
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .is_some_and(|s| s.trim() == "0")
}

/// The effective uid from the `Uid:` line of `/proc/<pid>/status` (real, effective, saved, fs).
pub(crate) fn parse_effective_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
}

/// Finds an executable by name on `$PATH`, then in the usual system bin directories.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    let path_var = crate::settings::search_path();
    std::env::split_paths(&path_var)
        .chain(EXTRA_BIN_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

pub(crate) fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// uid and gid of a system user, from `getent passwd` (so NSS sources count too).
pub(crate) fn user_ids(user: &str) -> Option<(u32, u32)> {
    let out = std::process::Command::new("getent")
        .args(["passwd", user])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_passwd_ids(&String::from_utf8_lossy(&out.stdout))
}

/// uid and gid from a passwd line `name:x:uid:gid:gecos:home:shell`.
pub(crate) fn parse_passwd_ids(line: &str) -> Option<(u32, u32)> {
    let mut fields = line.trim().split(':');
    let uid = fields.nth(2)?.parse().ok()?;
    let gid = fields.next()?.parse().ok()?;
    Some((uid, gid))
}

/// True if `pid` names a live (not zombie) process.
pub(crate) fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(parse_stat_state(&stat), Some('Z' | 'X' | 'x')),
        Err(_) => false,
    }
}

/// Process state letter from `/proc/<pid>/stat` (`pid (comm) S ...`; comm may hold spaces).
pub(crate) fn parse_stat_state(stat: &str) -> Option<char> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.trim_start().chars().next()
}

/// The command line of `pid`, arguments joined by spaces, if readable.
pub(crate) fn pid_cmdline(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let parts: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    Some(parts.join(" "))
}

/// Sends `signal` (e.g. `TERM`, `INT`, `KILL`) to `pid` with the shell's `kill` builtin (always
/// present, unlike procps' `/bin/kill`).
pub(crate) async fn send_signal(pid: u32, signal: &str) -> anyhow::Result<()> {
    let status = tokio::process::Command::new("sh")
        .args(["-c", "kill -s \"$0\" \"$1\""])
        .arg(signal)
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .context("running `sh -c kill`")?;
    if !status.success() && pid_alive(pid) {
        bail!("could not send SIG{signal} to pid {pid}");
    }
    Ok(())
}

/// Fire-and-forget variant of [`send_signal`] for `Drop` implementations.
pub(crate) fn send_signal_nowait(pid: u32, signal: &str) {
    let _ = std::process::Command::new("sh")
        .args(["-c", "kill -s \"$0\" \"$1\""])
        .arg(signal)
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

/// Waits until `pid` is gone, polling, for at most `timeout`. Returns true if it is gone.
pub(crate) async fn wait_pid_gone(pid: u32, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while pid_alive(pid) {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

/// Terminates `pid` gracefully (SIGTERM), then with SIGKILL after `grace`.
pub(crate) async fn terminate_pid(pid: u32, grace: Duration) -> anyhow::Result<()> {
    if !pid_alive(pid) {
        return Ok(());
    }
    send_signal(pid, "TERM").await?;
    if wait_pid_gone(pid, grace).await {
        return Ok(());
    }
    send_signal(pid, "KILL").await?;
    if wait_pid_gone(pid, Duration::from_secs(5)).await {
        Ok(())
    } else {
        bail!("pid {pid} survived SIGKILL")
    }
}

/// A TCP port on 127.0.0.1 that is free right now (the OS picks it from the ephemeral range, so
/// never 5432 or 4222).
pub(crate) fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .context("binding 127.0.0.1:0 to find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// True if something accepts TCP connections on 127.0.0.1:`port`.
pub(crate) async fn tcp_open(port: u16) -> bool {
    matches!(
        tokio::time::timeout(
            Duration::from_secs(1),
            tokio::net::TcpStream::connect(("127.0.0.1", port))
        )
        .await,
        Ok(Ok(_))
    )
}

/// The last `lines` lines of a (log) file, or a note that it cannot be read.
pub(crate) fn tail_file(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => tail_lines(&String::from_utf8_lossy(&bytes), lines),
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

pub(crate) fn tail_lines(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// First 12 hex digits of SHA-256 of the path's bytes: short, stable, distinct per data folder.
pub(crate) fn short_hash(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let digest = Sha256::digest(path.as_os_str().as_bytes());
    hex::encode(&digest[..6])
}

/// Quotes `s` for a POSIX shell (pg_ctl passes `-o` through `/bin/sh`).
pub(crate) fn shell_quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-=:,+@%".contains(&b))
    {
        return s.into_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Maps a process exit status to a shell-style exit code (128 + signal when killed).
pub(crate) fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Polls `answers` every 100 ms until it succeeds, the server dies (`alive` turns false), or
/// `timeout` passes; the error says which, with the last probe failure.
pub(crate) async fn wait_ready<F, Fut>(
    mut answers: F,
    timeout: Duration,
    alive: impl Fn() -> bool,
) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let err = match answers().await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        if !alive() {
            return Err(format!("the server exited ({err})"));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!("no answer within {}s ({err})", timeout.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_and_passwd_parsing() {
        assert_eq!(
            parse_effective_uid("Name:\tx\nUid:\t1000\t0\t0\t0\n"),
            Some(0)
        );
        assert_eq!(parse_effective_uid("Uid:\t0\t1000\t0\t0\n"), Some(1000));
        assert_eq!(
            parse_passwd_ids(
                "postgres:x:104:110:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n"
            ),
            Some((104, 110))
        );
        assert_eq!(parse_passwd_ids("broken"), None);
        assert_eq!(parse_stat_state("42 (nats server) S 1 2 3"), Some('S'));
        assert_eq!(parse_stat_state("42 (a) b) Z 1"), Some('Z'));
    }

    #[test]
    fn shell_quoting_and_tails() {
        assert_eq!(shell_quote("plain/path-1.2".as_ref()), "plain/path-1.2");
        assert_eq!(shell_quote("a b".as_ref()), "'a b'");
        assert_eq!(shell_quote("".as_ref()), "''");
        assert_eq!(tail_lines("1\n2\n3\n4", 2), "3\n4");
        assert_eq!(tail_lines("1", 5), "1");
    }

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(9)), 137);
    }
}
