//! Real `promo serve` processes: API-only instances (`PROMO_BACKGROUND=off`)
//! and worker instances (relay, projectors, jobs), each with its log file,
//! killed with SIGKILL on demand.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use crate::poll;

/// What every instance shares.
pub struct Shared {
    /// The scratch database, without query parameters.
    pub database_url: String,
    pub nats_url: String,
    pub prefix: String,
    pub jwt_secret: String,
    pub master_key: String,
}

pub struct Instance {
    /// Also its Postgres `application_name`, so the holder of a leader
    /// lock can be named from `pg_stat_activity`.
    pub name: String,
    pub addr: Option<SocketAddr>,
    child: Option<Child>,
    pub log: PathBuf,
}

impl Instance {
    pub fn spawn(name: &str, worker: bool, shared: &Shared, dir: &Path) -> Self {
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).expect("instance log file");
        let separator = if shared.database_url.contains('?') {
            '&'
        } else {
            '?'
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_promo"));
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env(
                "DATABASE_URL",
                format!("{}{separator}application_name={name}", shared.database_url),
            )
            .env("NATS_URL", &shared.nats_url)
            .env("NATS_PREFIX", &shared.prefix)
            .env("NATS_STREAM_REPLICAS", "3")
            .env("AUTH_JWT_SECRET", &shared.jwt_secret)
            .env("PROMO_MASTER_KEY", &shared.master_key)
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("PROMO_DATA_DIR", dir.join(name))
            // Four instances share one small test Postgres.
            .env("DB_MAX_CONNECTIONS", "12")
            // One client sends every entry: the abuse limits are not tested here.
            .env("RATE_LIMIT_PER_IP_PER_MIN", "0")
            .env("RATE_LIMIT_PER_PHONE_PER_MIN", "0")
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(out.try_clone().expect("log file handle"))
            .stderr(out);
        if !worker {
            command.env("PROMO_BACKGROUND", "off");
        }
        let child = command.spawn().expect("promo serve starts");
        Self {
            name: name.to_string(),
            addr: None,
            child: Some(child),
            log,
        }
    }

    /// Waits until it prints its address and answers `/health`.
    pub async fn wait_serving(&mut self, client: &reqwest::Client) {
        let log = self.log.clone();
        let name = self.name.clone();
        let addr: SocketAddr = poll(
            Duration::from_secs(60),
            &format!("{name} to serve"),
            || async {
                let text = std::fs::read_to_string(&log).ok()?;
                let line = text
                    .lines()
                    .find(|l| l.starts_with("promo is serving on http://"))?;
                line.trim_start_matches("promo is serving on http://")
                    .trim()
                    .parse()
                    .ok()
            },
        )
        .await;
        poll(
            Duration::from_secs(30),
            &format!("{name} /health"),
            || async {
                let response = client
                    .get(format!("http://{addr}/health"))
                    .send()
                    .await
                    .ok()?;
                response.status().is_success().then_some(())
            },
        )
        .await;
        self.addr = Some(addr);
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "http://{}{path}",
            self.addr.expect("a serving instance has an address")
        )
    }

    /// SIGKILL: no shutdown, no released connections but by the kernel.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}
