//! The scale-out proof: a three-node NATS cluster with the event stream
//! replicated on all three (R3), two API-only `promo serve` instances and
//! two worker instances on one scratch database. A burst of entries goes
//! through both APIs while the NATS node leading the stream and the worker
//! holding the relay lock are killed with SIGKILL. Every acknowledged entry
//! must then be in the event store, on the stream and in each read model
//! exactly once, and the draw must verify from the published list alone
//! (`promo verify` recomputes it as any single machine would).
//!
//! Needs `DATABASE_URL` (an admin connection; a scratch database is created
//! beside it and dropped) and `nats-server` on the machine; `scripts/test`
//! provides the first. Figures of a run are printed (`--nocapture`) and
//! recorded in docs/deployment.md.

mod assertions;
mod checks;
mod cluster;
mod instances;
mod scratch;
mod traffic;

use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use uuid::Uuid;

use cluster::Cluster;
use instances::{Instance, Shared};
use scratch::ScratchDatabase;
use traffic::{burst, open_campaign};

const ENTRIES: usize = 1_200;
const CONCURRENCY: usize = 24;
const WINNERS: u64 = 3;
const OWNER: &str = "owner-scale-out";
const JWT_SECRET: &str = "scale-out-secret-for-owner-tokens-0123456789";
const MASTER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
/// How long the system may take to converge after the burst.
const SETTLE: Duration = Duration::from_secs(90);

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Polls `check` every 50 ms until it returns `Some`, for at most `timeout`.
pub async fn poll<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Everything the test started; on a failure its logs are printed, and in
/// any case the processes are killed and their files removed.
struct Scene {
    dir: PathBuf,
    cluster: Cluster,
    instances: Vec<Instance>,
}

impl Drop for Scene {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let logs = self
                .instances
                .iter()
                .map(|i| (i.name.clone(), i.log.clone()))
                .chain(self.cluster.logs());
            for (name, path) in logs {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let tail = &lines[lines.len().saturating_sub(60)..];
                eprintln!(
                    "===== {name} (last {} lines) =====\n{}",
                    tail.len(),
                    tail.join("\n")
                );
            }
        }
        for instance in &mut self.instances {
            instance.kill();
        }
        for node in self
            .cluster
            .nodes
            .iter()
            .map(|n| n.name.clone())
            .collect::<Vec<_>>()
        {
            self.cluster.kill(&node);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Scene {
    fn instance(&mut self, name: &str) -> &mut Instance {
        self.instances
            .iter_mut()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("no instance {name}"))
    }
}

/// When the faults struck and how long the system took to route around
/// them.
#[derive(Debug, Default)]
struct Faults {
    nats_node: String,
    /// Entries acknowledged when the NATS node was killed.
    nats_killed_at: usize,
    new_stream_leader: String,
    stream_leader_after: Duration,
    /// Until the relay published again after the NATS node died.
    nats_relay_resumed_after: Duration,
    worker: String,
    worker_killed_at: usize,
    relay_leader_after: Duration,
    worker_relay_resumed_after: Duration,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_entries_survive_a_nats_node_and_a_worker_killed_mid_burst() {
    let started = Instant::now();
    let admin_url = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL is not set: run the tests through scripts/test");
    let database = ScratchDatabase::create(&admin_url).await;
    let dir = std::env::temp_dir().join(format!("promo-scale-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let cluster = Cluster::start(&dir);
    let shared = Shared {
        database_url: database.url.clone(),
        nats_url: cluster.service_url(),
        prefix: format!("scale{}", &Uuid::new_v4().simple().to_string()[..8]),
        jwt_secret: JWT_SECRET.into(),
        master_key: MASTER_KEY.into(),
    };
    let mut scene = Scene {
        dir: dir.clone(),
        cluster,
        instances: Vec::new(),
    };
    let js = poll(Duration::from_secs(30), "a NATS connection", || {
        scene.cluster.jetstream()
    })
    .await;
    scene.cluster.wait_ready(&js).await;

    for (name, worker) in [
        ("worker-1", true),
        ("worker-2", true),
        ("api-1", false),
        ("api-2", false),
    ] {
        scene
            .instances
            .push(Instance::spawn(name, worker, &shared, &dir));
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("http client");
    for instance in &mut scene.instances {
        instance.wait_serving(&client).await;
    }
    let pool = PgPool::connect(&database.url).await.expect("scratch pool");
    let stream_name =
        promo_eventstore::jetstream::EventStreamNames::new(shared.prefix.clone()).stream_name();
    let info = js
        .get_stream(&stream_name)
        .await
        .expect("the event stream")
        .cached_info()
        .clone();
    assert_eq!(
        info.config.num_replicas, 3,
        "NATS_STREAM_REPLICAS=3 made an R3 stream"
    );
    let ready_after = started.elapsed();

    let token = promo_api::auth::Auth::new(JWT_SECRET).issue(OWNER, Duration::from_secs(3600));
    let api = [scene.instances[2].url(""), scene.instances[3].url("")];
    let campaign = open_campaign(&client, &api[0], &token).await;

    // The burst and the faults run together.
    let acked = AtomicUsize::new(0);
    let burst_started = Instant::now();
    let (answers, faults) = tokio::join!(
        burst(&client, &api, campaign, &acked),
        strike(&mut scene, &pool, &stream_name, &acked),
    );
    let burst_took = burst_started.elapsed();
    let acknowledged: HashSet<String> = answers
        .iter()
        .filter(|a| a.status == Some(201))
        .filter_map(|a| a.entrant_id.clone())
        .collect();
    let failed = answers.iter().filter(|a| a.status != Some(201)).count();
    let statuses: Vec<Option<u16>> = answers
        .iter()
        .filter(|a| a.status != Some(201))
        .map(|a| a.status)
        .collect();
    assert!(
        failed <= ENTRIES / 10,
        "most entries are acknowledged; failed: {statuses:?}"
    );

    // Converge: the relay publishes everything, every projector reaches the
    // last event, on the surviving worker.
    let settle_started = Instant::now();
    let last = checks::last_position(&pool).await;
    poll(
        SETTLE,
        "the relay and every projector to reach the last event",
        || async {
            let (relay, projectors) = checks::progress(&pool).await;
            (relay == last && projectors.len() == 7 && projectors.iter().all(|(_, p)| *p == last))
                .then_some(())
        },
    )
    .await;
    let settled_after = settle_started.elapsed();

    // Exactly once: in the store, on the stream, in each read model; then
    // the draw.
    let store = checks::store(&pool).await;
    let stored = assertions::in_the_store(&store, &acknowledged, failed);
    let events = assertions::on_the_stream(&js, &stream_name, &store).await;
    let http = assertions::Http {
        client: &client,
        api: &api,
        campaign,
        token: &token,
    };
    assertions::in_each_read_model(&pool, &http, &acknowledged, stored).await;
    assertions::the_draw_verifies(&pool, &http, &store).await;

    // The surviving worker reports no stalled relay or projector.
    let survivor = if faults.worker == "worker-1" {
        "worker-2"
    } else {
        "worker-1"
    };
    let ready = scene.instance(survivor).url("/ready");
    poll(
        Duration::from_secs(30),
        "the surviving worker to be ready",
        || async {
            let response = client.get(&ready).send().await.ok()?;
            response.status().is_success().then_some(())
        },
    )
    .await;

    println!(
        "scale-out: {ENTRIES} entries sent through 2 API instances in {burst_took:.1?}, \
         {} acknowledged (201), {failed} refused or failed, {stored} stored; \
         {} (relay leader) killed at {} acknowledged, relay lock taken over after {:.1?}, \
         publishing again after {:.1?}; \
         NATS node {} (stream leader) killed at {} acknowledged, {} leads the stream after {:.1?}, \
         relay publishing again after {:.1?}; \
         relay and 7 projectors caught up {settled_after:.1?} after the burst; \
         {} events on the R3 stream; draw verified (MATCH); \
         cluster and 4 instances ready in {ready_after:.1?}; total {:.1?}",
        acknowledged.len(),
        faults.worker,
        faults.worker_killed_at,
        faults.relay_leader_after,
        faults.worker_relay_resumed_after,
        faults.nats_node,
        faults.nats_killed_at,
        faults.new_stream_leader,
        faults.stream_leader_after,
        faults.nats_relay_resumed_after,
        events.len(),
        started.elapsed(),
    );
    pool.close().await;
    drop(scene);
    drop(database);
}

/// Kills the worker holding the relay lock a quarter into the burst, and
/// the NATS node leading the stream half-way through it (so that the
/// surviving worker's relay and projectors must ride out the lost node by
/// themselves); measures how long the relay lock and the stream take to
/// get a new leader and the relay to publish again.
async fn strike(
    scene: &mut Scene,
    pool: &PgPool,
    stream_name: &str,
    acked: &AtomicUsize,
) -> Faults {
    let mut faults = Faults::default();
    let reached = |n: usize| async move { (acked.load(Ordering::Relaxed) >= n).then_some(()) };

    poll(SETTLE, "a quarter of the entries", || reached(ENTRIES / 4)).await;
    let relay = poll(Duration::from_secs(30), "the relay leader", || {
        checks::leader(pool, "relay")
    })
    .await;
    let cursor = checks::relay_backlog(pool).await.expect("relay cursor").0;
    scene.instance(&relay).kill();
    let killed = Instant::now();
    faults.worker_killed_at = acked.load(Ordering::Relaxed);
    poll(
        Duration::from_secs(60),
        "another worker to take the relay lock",
        || async {
            checks::leader(pool, "relay")
                .await
                .filter(|now| *now != relay)
        },
    )
    .await;
    faults.relay_leader_after = killed.elapsed();
    relay_resumed(pool, cursor).await;
    faults.worker_relay_resumed_after = killed.elapsed();
    faults.worker = relay;

    poll(SETTLE, "half of the entries", || reached(ENTRIES / 2)).await;
    let js = scene.cluster.jetstream().await.expect("a NATS connection");
    let leader = poll(Duration::from_secs(10), "the stream leader", || async {
        js.get_stream(stream_name)
            .await
            .ok()?
            .info()
            .await
            .ok()?
            .cluster
            .clone()?
            .leader
    })
    .await;
    let cursor = checks::relay_backlog(pool).await.expect("relay cursor").0;
    scene.cluster.kill(&leader);
    let killed = Instant::now();
    faults.nats_killed_at = acked.load(Ordering::Relaxed);
    let js = scene
        .cluster
        .jetstream()
        .await
        .expect("a NATS connection to the survivors");
    faults.new_stream_leader = poll(Duration::from_secs(60), "a new stream leader", || async {
        let now = js
            .get_stream(stream_name)
            .await
            .ok()?
            .info()
            .await
            .ok()?
            .cluster
            .clone()?
            .leader?;
        (now != leader).then_some(now)
    })
    .await;
    faults.stream_leader_after = killed.elapsed();
    faults.nats_node = leader;
    relay_resumed(pool, cursor).await;
    faults.nats_relay_resumed_after = killed.elapsed();
    faults
}

/// Waits until the relay publishes past `cursor`, or has nothing left to
/// publish.
async fn relay_resumed(pool: &PgPool, cursor: i64) {
    poll(
        Duration::from_secs(60),
        "the relay to publish again",
        || async {
            let (now, backlog) = checks::relay_backlog(pool).await?;
            (now != cursor || backlog == 0).then_some(())
        },
    )
    .await;
}
