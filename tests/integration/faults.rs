//! Fault tests: a burst of entries while NATS is killed and restarted, while
//! Postgres connections are terminated, while the service crashes mid-
//! projection, and while the `promo` process itself is `kill -9`ed. Each is
//! bounded in time and uses loopback only. Afterwards the event store, the
//! JetStream stream and the participant read model must agree exactly:
//! every entry answered 201 (or found stored by a retry) is one
//! `ParticipantRegistered` event, one stream message and one participant
//! row, with no duplicates.
//!
//! Each test prints its figures (`cargo test -- faults --nocapture`);
//! docs/reliability.md quotes them.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use futures::StreamExt;
use promo_api::{Application, BuildOptions, Config};
use promo_tests::{eventually, stream_events, TestApp, TestEnv, JWT_SECRET};
use serde_json::{json, Value};
use tokio::time::Instant;
use uuid::Uuid;

/// How long one burst may retry an entry before giving up.
const RETRY_DEADLINE: Duration = Duration::from_secs(60);
/// Generous: after a fault the relay and projectors back off up to 5 s.
const AGREE: Duration = Duration::from_secs(60);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn kill_9(pid: u32) {
    let status = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -9 {pid}");
}

/// What one burst saw.
#[derive(Debug, Default)]
struct Burst {
    sent: usize,
    /// Phones answered 201, with their participant ids.
    accepted: BTreeMap<String, Uuid>,
    /// Phones answered 409 PART_001 on a retry: an earlier attempt that
    /// failed for the client had committed.
    stored_by_earlier_attempt: HashSet<String>,
    /// Failed attempts (5xx or no answer), all retried.
    failed_attempts: usize,
    gave_up: Vec<String>,
}

impl Burst {
    fn stored(&self) -> usize {
        self.accepted.len() + self.stored_by_earlier_attempt.len()
    }
}

/// The final answer for one phone: `Some(id)` for a 201, `None` for a 409
/// after a failed attempt; `Err` when retries ran out.
type Outcome = Result<Option<Uuid>, ()>;

/// Sends one entry per phone, `concurrency` at a time, each retried on 5xx
/// or connection errors until a final answer (201, or 409 after a failure).
async fn burst(
    client: &reqwest::Client,
    base: Arc<std::sync::RwLock<String>>,
    campaign: Uuid,
    phones: Vec<String>,
    concurrency: usize,
    pace: Duration,
    progress: Arc<AtomicUsize>,
) -> Burst {
    let results: Vec<(String, Outcome, usize)> = futures::stream::iter(phones)
        .map(|phone| {
            let client = client.clone();
            let base = base.clone();
            let progress = progress.clone();
            async move {
                let deadline = Instant::now() + RETRY_DEADLINE;
                let mut failures = 0;
                let body = json!({
                    "eventId": campaign, "name": "김철수", "phoneNumber": phone,
                    "channel": "KAKAO", "storeVisited": false, "agreePrivacy": true,
                    "agreeMarketing": false,
                });
                tokio::time::sleep(pace).await;
                let outcome = loop {
                    let url = format!("{}/api/v1/participations", base.read().unwrap());
                    let answer = client
                        .post(url)
                        .timeout(Duration::from_secs(15))
                        .json(&body)
                        .send()
                        .await;
                    match answer {
                        Ok(r) if r.status().as_u16() == 201 => {
                            let v: Value = r.json().await.unwrap();
                            let id = v["participantId"].as_str().unwrap().parse().unwrap();
                            break Ok(Some(id));
                        }
                        Ok(r) if r.status().as_u16() == 409 => {
                            let v: Value = r.json().await.unwrap_or_default();
                            assert_eq!(v["code"], "PART_001", "{v}");
                            assert!(failures > 0, "409 for a fresh phone {phone}");
                            break Ok(None);
                        }
                        Ok(r) if r.status().is_server_error() => failures += 1,
                        Ok(r) => panic!("unexpected {} for {phone}", r.status()),
                        Err(_) => failures += 1,
                    }
                    if Instant::now() >= deadline {
                        break Err(());
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                };
                progress.fetch_add(1, Ordering::SeqCst);
                (phone, outcome, failures)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut burst = Burst::default();
    for (phone, outcome, failures) in results {
        burst.sent += 1;
        burst.failed_attempts += failures;
        match outcome {
            Ok(Some(id)) => {
                burst.accepted.insert(phone, id);
            }
            Ok(None) => {
                burst.stored_by_earlier_attempt.insert(phone);
            }
            Err(()) => burst.gave_up.push(phone),
        }
    }
    burst
}

fn phones(prefix: u16, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("010-{prefix:04}-{i:04}")).collect()
}

/// The counts that must agree, printed for docs/reliability.md.
#[derive(Debug)]
struct Agreement {
    events: usize,
    stream: usize,
    rows: usize,
}

/// Waits until store, stream and read model agree with the burst, exactly.
async fn assert_agreement(env: &TestEnv, campaign: Uuid, burst: &Burst) -> Agreement {
    let pool = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let expected = burst.stored();
    assert!(burst.gave_up.is_empty(), "gave up on {:?}", burst.gave_up);

    // Event store: one registration per stored phone, none extra.
    let stored: Vec<(String, Value)> = sqlx::query_as(
        "SELECT aggregate_id, payload FROM events WHERE event_type = 'ParticipantRegistered' \
         AND payload -> 'ParticipantRegistered' ->> 'campaignId' = $1",
    )
    .bind(campaign.to_string())
    .fetch_all(&pool)
    .await
    .unwrap();
    let stored_ids: HashSet<Uuid> = stored
        .iter()
        .map(|(_, p)| {
            p["ParticipantRegistered"]["participantId"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    let aggregates: HashSet<&String> = stored.iter().map(|(a, _)| a).collect();
    assert_eq!(stored.len(), expected, "events in the store");
    assert_eq!(aggregates.len(), expected, "one aggregate per phone");
    for id in burst.accepted.values() {
        assert!(
            stored_ids.contains(id),
            "a 201 ({id}) is missing from the store"
        );
    }

    // Stream: exactly the stored events, once each.
    let stream = eventually(AGREE, "the stream to carry every registration", || async {
        let events = stream_events(env).await;
        let ours: Vec<Uuid> = events
            .iter()
            .filter(|e| e.event_type == "ParticipantRegistered")
            .map(|e| serde_json::from_str::<Value>(e.payload.get()).unwrap())
            .filter(|p| p["ParticipantRegistered"]["campaignId"] == campaign.to_string())
            .map(|p| {
                p["ParticipantRegistered"]["participantId"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        (ours.len() >= expected).then_some((events, ours))
    })
    .await;
    let (all, ours) = stream;
    let unique: HashSet<&Uuid> = ours.iter().collect();
    assert_eq!(ours.len(), expected, "stream messages");
    assert_eq!(unique.len(), expected, "duplicates on the stream");
    assert_eq!(unique, stored_ids.iter().collect::<HashSet<_>>());
    let message_ids: HashSet<String> = all.iter().map(|e| e.message_id()).collect();
    assert_eq!(
        message_ids.len(),
        all.len(),
        "duplicate message ids on the stream"
    );
    for pair in all.windows(2) {
        assert_eq!(pair[1].previous, pair[0].position, "previous chain broken");
    }

    // Read model: one row per stored event, and the total agrees.
    let rows: Vec<Uuid> = eventually(AGREE, "the participant rows", || {
        let pool = pool.clone();
        async move {
            let rows: Vec<Uuid> = sqlx::query_scalar(
                "SELECT participant_id FROM participants WHERE campaign_id = $1",
            )
            .bind(campaign)
            .fetch_all(&pool)
            .await
            .ok()?;
            (rows.len() >= expected).then_some(rows)
        }
    })
    .await;
    assert_eq!(rows.len(), expected, "participant rows");
    assert_eq!(
        rows.iter().collect::<HashSet<_>>(),
        stored_ids.iter().collect::<HashSet<_>>()
    );
    let total: i64 =
        sqlx::query_scalar("SELECT total FROM participant_counts WHERE campaign_id = $1")
            .bind(campaign)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(total as usize, expected, "participant_counts");
    let notified: i64 = eventually(AGREE, "one confirmation per entry", || {
        let pool = pool.clone();
        async move {
            let n: i64 =
                sqlx::query_scalar("SELECT count(*) FROM notifications WHERE campaign_id = $1")
                    .bind(campaign)
                    .fetch_one(&pool)
                    .await
                    .ok()?;
            (n as usize >= expected).then_some(n)
        }
    })
    .await;
    assert_eq!(notified as usize, expected, "confirmations");
    pool.close().await;
    Agreement {
        events: stored.len(),
        stream: ours.len(),
        rows: rows.len(),
    }
}

fn report(fault: &str, burst: &Burst, agreement: &Agreement) {
    println!(
        "FAULT {fault}: sent {} | 201 {} | stored-by-earlier-attempt (409 after a failure) {} | \
         failed attempts retried {} | events {} | stream messages {} | participant rows {}",
        burst.sent,
        burst.accepted.len(),
        burst.stored_by_earlier_attempt.len(),
        burst.failed_attempts,
        agreement.events,
        agreement.stream,
        agreement.rows,
    );
}

/// A private nats-server with JetStream (never the shared one).
struct PrivateNats {
    port: u16,
    store: PathBuf,
    child: Option<Child>,
}

impl PrivateNats {
    fn binary() -> PathBuf {
        let debian = PathBuf::from("/usr/sbin/nats-server");
        if debian.exists() {
            debian
        } else {
            PathBuf::from("nats-server")
        }
    }

    async fn start() -> Self {
        let store =
            std::env::temp_dir().join(format!("promo-fault-nats-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&store).unwrap();
        let mut nats = Self {
            port: free_port(),
            store,
            child: None,
        };
        nats.restart().await;
        nats
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    async fn restart(&mut self) {
        let child = Command::new(Self::binary())
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .arg("-l")
            .arg(self.store.with_extension("log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let url = self.url();
        eventually(Duration::from_secs(30), "private nats-server", || {
            let url = url.clone();
            async move {
                let client = async_nats::connect(&url).await.ok()?;
                let reply = client.request("$JS.API.INFO", "".into()).await.ok()?;
                let info: Value = serde_json::from_slice(&reply.payload).ok()?;
                info.get("error").is_none().then_some(())
            }
        })
        .await;
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_9(child.id());
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.store);
        let _ = std::fs::remove_file(self.store.with_extension("log"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_killed_mid_burst_and_restarted_loses_and_duplicates_nothing() {
    let mut env = TestEnv::new().await;
    let mut nats = PrivateNats::start().await;
    env.nats_url = nats.url();
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    let base = Arc::new(std::sync::RwLock::new(format!("http://{}", app.addr)));
    let progress = Arc::new(AtomicUsize::new(0));
    let sending = tokio::spawn(burst_owned(
        app.client.clone(),
        base,
        campaign,
        phones(1100, 300),
        6,
        Duration::from_millis(100),
        progress.clone(),
    ));
    eventually(Duration::from_secs(30), "a third of the burst", || async {
        (progress.load(Ordering::SeqCst) >= 100).then_some(())
    })
    .await;
    nats.kill();
    let killed_at = progress.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let during_outage = progress.load(Ordering::SeqCst) - killed_at;
    nats.restart().await;
    let burst = sending.await.unwrap();
    println!("FAULT nats: killed after {killed_at} answers; {during_outage} answered while NATS was down");
    let agreement = assert_agreement(&env, campaign, &burst).await;
    report("nats killed 4 s mid-burst", &burst, &agreement);
    assert_eq!(
        burst.accepted.len(),
        300,
        "the write path does not need NATS"
    );
    app.stop().await;
}

#[allow(clippy::too_many_arguments)]
async fn burst_owned(
    client: reqwest::Client,
    base: Arc<std::sync::RwLock<String>>,
    campaign: Uuid,
    phones: Vec<String>,
    concurrency: usize,
    pace: Duration,
    progress: Arc<AtomicUsize>,
) -> Burst {
    burst(&client, base, campaign, phones, concurrency, pace, progress).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_terminated_mid_burst_lose_and_duplicate_nothing() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    let base = Arc::new(std::sync::RwLock::new(format!("http://{}", app.addr)));
    let progress = Arc::new(AtomicUsize::new(0));
    let sending = tokio::spawn(burst_owned(
        app.client.clone(),
        base,
        campaign,
        phones(1200, 300),
        8,
        Duration::from_millis(50),
        progress.clone(),
    ));
    let killer = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let mut terminated = 0i64;
    for round in 1..=3 {
        eventually(Duration::from_secs(30), "burst progress", || async {
            (progress.load(Ordering::SeqCst) >= round * 60).then_some(())
        })
        .await;
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&killer)
        .await
        .unwrap();
        terminated += killed.into_iter().filter(|k| *k).count() as i64;
    }
    let burst = sending.await.unwrap();
    killer.close().await;
    println!("FAULT postgres: {terminated} backends terminated in 3 rounds");
    let agreement = assert_agreement(&env, campaign, &burst).await;
    report(
        "postgres connections terminated 3x mid-burst",
        &burst,
        &agreement,
    );
    assert!(terminated > 0);
    app.stop().await;
}

/// The service on a runtime of its own, so that a "crash" drops every task
/// (HTTP, relay, projectors) wherever it stands, mid-transaction or between
/// commit and ack, like a killed process.
struct CrashableApp {
    addr: SocketAddr,
    crash: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl CrashableApp {
    async fn spawn(config: Config) -> Self {
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        let (crash, crash_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let app = runtime
                .block_on(Application::build(config, BuildOptions::default()))
                .expect("service builds");
            let _ = addr_tx.send(app.local_addr());
            runtime.spawn(app.run_until_stopped(std::future::pending()));
            let _ = crash_rx.recv();
            runtime.shutdown_background();
        });
        let addr = addr_rx.await.expect("service started");
        Self {
            addr,
            crash,
            thread,
        }
    }

    fn crash(self) {
        let _ = self.crash.send(());
        self.thread.join().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_projection_applies_every_event_once_after_restart() {
    let env = TestEnv::new().await;
    let setup = TestApp::spawn(&env).await;
    let campaign = setup.active_campaign("owner").await;
    let client = setup.client.clone();
    setup.stop().await;

    let mut total = Burst::default();
    let mut projected_at_crash = Vec::new();
    for round in 0..3u16 {
        let app = CrashableApp::spawn(env.config()).await;
        let base = Arc::new(std::sync::RwLock::new(format!("http://{}", app.addr)));
        let burst = burst(
            &client,
            base,
            campaign,
            phones(1300 + round, 150),
            16,
            Duration::ZERO,
            Arc::new(AtomicUsize::new(0)),
        )
        .await;
        // Crash as soon as the projectors are working through this burst
        // (some of its rows written, usually not all).
        let pool = sqlx::PgPool::connect(&env.database_url).await.unwrap();
        let before = total.stored() as i64;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM participants")
                .fetch_one(&pool)
                .await
                .unwrap();
            if rows > before || Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        app.crash();
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM participants")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        projected_at_crash.push(rows);
        total.sent += burst.sent;
        total.failed_attempts += burst.failed_attempts;
        total.accepted.extend(burst.accepted);
        total
            .stored_by_earlier_attempt
            .extend(burst.stored_by_earlier_attempt);
        total.gave_up.extend(burst.gave_up);
    }
    let app = TestApp::spawn(&env).await;
    let agreement = assert_agreement(&env, campaign, &total).await;
    println!("FAULT crash: participant rows at each crash {projected_at_crash:?} (of 150, 300, 450 accepted)");
    report("service crashed 3x right after a burst", &total, &agreement);
    app.stop().await;
}

/// The `promo` binary next to this test binary (`scripts/test` builds it).
fn promo_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let promo = debug.join("promo");
    assert!(
        promo.exists(),
        "{} not found: build it first (cargo build --bin promo; scripts/test does)",
        promo.display()
    );
    promo
}

fn spawn_promo(env: &TestEnv, port: u16) -> Child {
    Command::new(promo_binary())
        .arg("serve")
        .env("DATABASE_URL", &env.database_url)
        .env("NATS_URL", &env.nats_url)
        .env("NATS_PREFIX", &env.prefix)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("AUTH_JWT_SECRET", JWT_SECRET)
        .env("PROMO_MASTER_KEY", promo_tests::MASTER_KEY_HEX)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("promo serve starts")
}

async fn until_healthy(client: &reqwest::Client, base: &str) {
    eventually(Duration::from_secs(60), "promo serve to answer", || async {
        let r = client.get(format!("{base}/health")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_service_process_mid_burst_loses_and_duplicates_nothing() {
    let env = TestEnv::new().await;
    let client = reqwest::Client::new();
    let port = free_port();
    let base_url = format!("http://127.0.0.1:{port}");
    let mut process = spawn_promo(&env, port);
    until_healthy(&client, &base_url).await;

    // A campaign, created over HTTP like any client would.
    let token = TestApp::token("owner");
    let draft: Value = client
        .post(format!("{base_url}/api/v1/events/purposes"))
        .bearer_auth(&token)
        .json(&json!({"objective": "신규 고객 유치", "storeName": "맛있는집", "industry": "음식점", "address": "서울"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let campaign: Uuid = draft["eventDraftId"].as_str().unwrap().parse().unwrap();
    let now = Utc::now();
    let published = client
        .post(format!("{base_url}/api/v1/events/{campaign}/publish"))
        .bearer_auth(&token)
        .json(&json!({"title": "이벤트", "prize": "쿠폰", "startsAt": now - ChronoDuration::hours(1),
            "endsAt": now + ChronoDuration::days(1), "announcementAt": now + ChronoDuration::days(2),
            "winnerCount": 1, "channels": ["KAKAO"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status().as_u16(), 200);

    let base = Arc::new(std::sync::RwLock::new(base_url.clone()));
    let progress = Arc::new(AtomicUsize::new(0));
    let sending = tokio::spawn(burst_owned(
        client.clone(),
        base,
        campaign,
        phones(1400, 300),
        8,
        Duration::from_millis(50),
        progress.clone(),
    ));
    let mut kills = Vec::new();
    for round in 1..=2 {
        eventually(Duration::from_secs(60), "burst progress", || async {
            (progress.load(Ordering::SeqCst) >= round * 100).then_some(())
        })
        .await;
        kills.push(progress.load(Ordering::SeqCst));
        kill_9(process.id());
        let _ = process.wait();
        tokio::time::sleep(Duration::from_millis(500)).await;
        process = spawn_promo(&env, port);
        until_healthy(&client, &base_url).await;
    }
    let burst = sending.await.unwrap();
    println!("FAULT kill -9: killed after {kills:?} answers");
    let agreement = assert_agreement(&env, campaign, &burst).await;
    report("promo process kill -9 twice mid-burst", &burst, &agreement);
    kill_9(process.id());
    let _ = process.wait();
}
