//! The service under test, as its own process (`promo serve`), so its
//! memory is measured alone and the load generator does not share its heap.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::process::{Child, Command};

use super::report::{row, Row};

pub struct ServiceProcess {
    child: Child,
    pub base_url: String,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl ServiceProcess {
    pub async fn start(
        background: bool,
        database_url: &str,
        nats_url: &str,
        prefix: &str,
        jwt_secret: &str,
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let child = Command::new(std::env::current_exe().context("locating the promo binary")?)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("NATS_URL", nats_url)
            .env("NATS_PREFIX", prefix)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("AUTH_JWT_SECRET", jwt_secret)
            // One master key per bench secret, so restarts on one database agree.
            .env(
                "PROMO_MASTER_KEY",
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(format!(
                    "promo/bench-master-key/{jwt_secret}"
                ))),
            )
            // The load comes from one address: no per-IP limit in the bench.
            .env("RATE_LIMIT_PER_IP_PER_MIN", "0")
            .env("RATE_LIMIT_HEAVY_PER_IP_PER_MIN", "0")
            .env("RUST_LOG", "warn")
            .env("PROMO_BACKGROUND", if background { "on" } else { "off" })
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting promo serve")?;
        let base_url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(format!("{base_url}/ready")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the service did not become ready within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self { child, base_url })
    }

    /// Peak resident set size (VmHWM) in KiB, from /proc.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        status_kib(self.child.id()?, "VmHWM:")
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// The memory figure: the service process's peak resident set size so far.
pub(super) fn measure_peak_rss(service: &ServiceProcess, rows: &mut Vec<Row>) {
    let rss_mib = service.peak_rss_kib().unwrap_or(0) as f64 / 1024.0;
    rows.push(row(
        "Peak RSS of the service process",
        format!("{rss_mib:.0} MiB"),
        "≤ 150 MB",
        Some(rss_mib * 1.048_576 <= 150.0),
    ));
}

/// A KiB figure of `/proc/{pid}/status` (`VmRSS:`, `VmHWM:`, …).
pub(super) fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}
