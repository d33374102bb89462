//! A three-node NATS cluster on loopback, each node started with the
//! production configuration `nats-secure.conf` (users and permissions) plus
//! cluster routes, and killed with SIGKILL on demand.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use async_nats::jetstream;

use crate::{free_port, poll};

pub const SERVICE_PASSWORD: &str = "scale-out-service-password";
const DISTRIBUTION_PASSWORD: &str = "scale-out-distribution-password";
const CLUSTER_NAME: &str = "promo-scale";

pub struct Node {
    pub name: String,
    pub port: u16,
    child: Option<Child>,
    log: PathBuf,
}

pub struct Cluster {
    pub nodes: Vec<Node>,
}

impl Cluster {
    /// Starts three nodes (`n1`..`n3`), each with its store under `dir`,
    /// routed to the other two.
    pub fn start(dir: &Path) -> Self {
        let binary = if Path::new("/usr/sbin/nats-server").exists() {
            "/usr/sbin/nats-server"
        } else {
            "nats-server"
        };
        let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../nats-secure.conf");
        let routes: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let nodes = (0..3)
            .map(|i| {
                let name = format!("n{}", i + 1);
                let port = free_port();
                let log = dir.join(format!("{name}.log"));
                let others: Vec<String> = (0..3)
                    .filter(|j| *j != i)
                    .map(|j| format!("nats://127.0.0.1:{}", routes[j]))
                    .collect();
                let child = Command::new(binary)
                    .arg("-c")
                    .arg(&conf)
                    .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-n", &name])
                    .args(["--cluster_name", CLUSTER_NAME, "--cluster"])
                    .arg(format!("nats://127.0.0.1:{}", routes[i]))
                    .args(["--routes", &others.join(","), "-js", "-sd"])
                    .arg(dir.join(&name))
                    .env("PROMO_NATS_SERVICE_PASSWORD", SERVICE_PASSWORD)
                    .env("PROMO_NATS_DISTRIBUTION_PASSWORD", DISTRIBUTION_PASSWORD)
                    .stdout(Stdio::null())
                    .stderr(File::create(&log).expect("nats log file"))
                    .spawn()
                    .expect("nats-server starts");
                Node {
                    name,
                    port,
                    child: Some(child),
                    log,
                }
            })
            .collect();
        Self { nodes }
    }

    /// `NATS_URL` for the service: every node, with the service user's
    /// credentials in each URL (as docs/deployment.md writes it).
    pub fn service_url(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("nats://promo:{SERVICE_PASSWORD}@127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The test's own client, as the service user, on every live node.
    pub async fn jetstream(&self) -> Option<jetstream::Context> {
        let servers: Vec<String> = self
            .nodes
            .iter()
            .filter(|n| n.child.is_some())
            .map(|n| format!("nats://127.0.0.1:{}", n.port))
            .collect();
        let client = async_nats::ConnectOptions::with_user_and_password(
            "promo".into(),
            SERVICE_PASSWORD.into(),
        )
        .connection_timeout(Duration::from_secs(2))
        .connect(servers)
        .await
        .ok()?;
        Some(
            // Short: failover times are measured by polling through it.
            jetstream::ContextBuilder::new()
                .timeout(Duration::from_secs(1))
                .build(client),
        )
    }

    /// Waits until the cluster's JetStream takes a replicated stream (routes
    /// up, a meta leader elected).
    pub async fn wait_ready(&self, js: &jetstream::Context) {
        poll(
            Duration::from_secs(60),
            "the NATS cluster to take an R3 stream",
            || async {
                let probe = js
                    .create_stream(jetstream::stream::Config {
                        name: "SCALE_PROBE".into(),
                        subjects: vec!["scale.probe".into()],
                        num_replicas: 3,
                        ..Default::default()
                    })
                    .await;
                match probe {
                    Ok(_) => js.delete_stream("SCALE_PROBE").await.ok().map(|_| ()),
                    Err(_) => None,
                }
            },
        )
        .await;
    }

    /// SIGKILL, as a crashed machine.
    pub fn kill(&mut self, name: &str) {
        let node = self
            .nodes
            .iter_mut()
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("no NATS node {name}"));
        if let Some(mut child) = node.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn logs(&self) -> Vec<(String, PathBuf)> {
        self.nodes
            .iter()
            .map(|n| (format!("nats {}", n.name), n.log.clone()))
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}
