//! Test harness: a [`TestApp`] is the real service on port 0 with its own
//! database and its own NATS subject prefix and stream, dropped afterwards,
//! so tests run in parallel and leave nothing behind.
//!
//! Needs `DATABASE_URL` (an admin connection; each test creates its own
//! database next to it) and `NATS_URL`. `scripts/test` provides both by
//! starting embedded Postgres and NATS when they are not set.

pub mod browser;
pub mod gateway;

use std::net::SocketAddr;

use std::time::Duration;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use promo_api::{Application, BuildOptions, Config};
use promo_eventstore::jetstream::EventStreamNames;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

pub const JWT_SECRET: &str = "test-secret-for-owner-tokens-0123456789";

/// The master key wrapping campaign secrets in tests.
pub const MASTER_KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// The campaign's data secret as the database holds it, opened with the
/// test master key (`None` once shredded).
pub async fn unwrapped_data_secret(
    pool: &PgPool,
    campaign: Uuid,
) -> Option<promo_domain::privacy::CampaignSecret> {
    let wrapped: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT data_secret FROM campaign_secrets WHERE campaign_id = $1")
            .bind(campaign)
            .fetch_one(pool)
            .await
            .expect("campaign_secrets row");
    let keys = master_keys();
    wrapped.map(|w| {
        promo_domain::privacy::CampaignSecret(
            keys.current
                .unwrap(campaign, "data_secret", &w)
                .expect("wrapped by the test master key"),
        )
    })
}

pub fn master_keys() -> promo_eventstore::secrets::MasterKeys {
    promo_eventstore::secrets::MasterKeys::new(
        promo_eventstore::secrets::MasterKey::from_hex(MASTER_KEY_HEX).expect("test master key"),
    )
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run the tests through scripts/test (it starts Postgres and NATS)"
        )
    })
}

pub fn init_logs() {
    // Test logs only when asked for: TEST_LOG=debug cargo test ...
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
}

/// A private database and NATS namespace for one test.
pub struct TestEnv {
    pub database_name: String,
    pub database_url: String,
    pub nats_url: String,
    pub prefix: String,
    admin_url: String,
}

impl TestEnv {
    pub async fn new() -> Self {
        init_logs();
        let admin_url = env("DATABASE_URL");
        let nats_url = env("NATS_URL");
        let id = Uuid::new_v4().simple().to_string();
        let database_name = format!("promo_test_{id}");
        let admin = sqlx::PgPool::connect(&admin_url)
            .await
            .expect("admin connection");
        sqlx::query(&format!("CREATE DATABASE {database_name}"))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        let database_url = promo_eventstore::store::url_for_database(&admin_url, &database_name);
        Self {
            database_name,
            database_url,
            nats_url,
            prefix: format!("t{}", &id[..16]),
            admin_url,
        }
    }

    pub fn names(&self) -> EventStreamNames {
        EventStreamNames::new(self.prefix.clone())
    }

    pub fn config(&self) -> Config {
        Config {
            database_url: self.database_url.clone(),
            nats_url: self.nats_url.clone(),
            bind_addr: "127.0.0.1:0".parse().unwrap(),
            jwt_secret: JWT_SECRET.to_string(),
            nats_prefix: self.prefix.clone(),
            nats_stream_replicas: 1,
            max_db_connections: 20,
            run_background: true,
            pii_retention: promo_api::config::DEFAULT_PII_RETENTION,
            pii_retention_sweep: promo_api::config::DEFAULT_PII_RETENTION_SWEEP,
            rate_limits: promo_api::config::RateLimits::default(),
            channel_stats: None,
            public_base_url: None,
            prize_delivery: promo_api::config::PrizeDeliveryConfig::default(),
            projector_stall: std::time::Duration::from_secs(30),
            metrics_addr: None,
            master_keys: Some(master_keys()),
        }
    }

    pub async fn jetstream(&self) -> async_nats::jetstream::Context {
        let client = promo_eventstore::nats_url::connect(&self.nats_url)
            .await
            .expect("nats connection");
        async_nats::jetstream::new(client)
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // Runs even when the test panicked. A separate thread with its own
        // runtime, because Drop cannot await.
        let admin_url = self.admin_url.clone();
        let database = self.database_name.clone();
        let nats_url = self.nats_url.clone();
        let stream = self.names().stream_name();
        let distribution_stream = self.names().distribution_stream_name();
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok(admin) = sqlx::PgPool::connect(&admin_url).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                            .execute(&admin)
                            .await;
                    admin.close().await;
                }
                if let Ok(client) = promo_eventstore::nats_url::connect(&nats_url).await {
                    let js = async_nats::jetstream::new(client);
                    let _ = js.delete_stream(&stream).await;
                    let _ = js.delete_stream(&distribution_stream).await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A running service. Stop it with [`TestApp::stop`] (a test may start
/// another one on the same [`TestEnv`]).
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub pool: PgPool,
    /// The owner of each campaign made through [`TestApp::draft`], so that
    /// [`TestApp::enter`] can fetch a store visitor's QR token.
    owners: std::sync::Mutex<std::collections::HashMap<Uuid, String>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn(env: &TestEnv) -> Self {
        Self::spawn_with(env, env.config(), BuildOptions::default()).await
    }

    pub async fn spawn_with(env: &TestEnv, config: Config, options: BuildOptions) -> Self {
        let app = Application::build(config, options)
            .await
            .expect("service builds");
        let addr = app.local_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        let pool = PgPool::connect(&env.database_url).await.expect("test pool");
        Self {
            addr,
            client: reqwest::Client::builder()
                .user_agent("promo-tests/1 (integration)")
                .pool_max_idle_per_host(64)
                .build()
                .unwrap(),
            pool,
            owners: Default::default(),
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Graceful stop: HTTP, relay and projectors.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(20), server).await;
        }
        self.pool.close().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn token(owner: &str) -> String {
        promo_api::auth::Auth::new(JWT_SECRET).issue(owner, Duration::from_secs(3600))
    }

    pub async fn post(&self, path: &str, owner: Option<&str>, body: &Value) -> (u16, Value) {
        self.send(self.client.post(self.url(path)).json(body), owner)
            .await
    }

    pub async fn patch(&self, path: &str, owner: Option<&str>, body: &Value) -> (u16, Value) {
        self.send(self.client.patch(self.url(path)).json(body), owner)
            .await
    }

    /// Sends with the owner's bearer token, if any; answers status and JSON.
    async fn send(
        &self,
        mut request: reqwest::RequestBuilder,
        owner: Option<&str>,
    ) -> (u16, Value) {
        if let Some(owner) = owner {
            request = request.bearer_auth(Self::token(owner));
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn get(&self, path: &str, owner: Option<&str>) -> (u16, Value) {
        self.send(self.client.get(self.url(path)), owner).await
    }

    /// Creates and publishes a campaign open from an hour ago for a day, on
    /// channels URIDONGNETV, INSTAGRAM, NAVER, KAKAO and STORE_QR.
    pub async fn active_campaign(&self, owner: &str) -> Uuid {
        let now = Utc::now();
        self.campaign_with_period(
            owner,
            now - ChronoDuration::hours(1),
            now + ChronoDuration::days(1),
        )
        .await
    }

    pub async fn campaign_with_period(
        &self,
        owner: &str,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    ) -> Uuid {
        let id = self.draft(owner).await;
        let (status, body) = self
            .post(
                &format!("/api/v1/events/{id}/publish"),
                Some(owner),
                &json!({
                    "title": "가을 맞이 경품 이벤트",
                    "prize": "KT 멤버십 5,000P",
                    "startsAt": starts_at,
                    "endsAt": ends_at,
                    "announcementAt": ends_at + ChronoDuration::days(1),
                    "winnerCount": 3,
                    "channels": ["URIDONGNETV", "INSTAGRAM", "NAVER", "KAKAO", "STORE_QR"],
                    "targetParticipants": 100,
                }),
            )
            .await;
        assert_eq!(status, 200, "publish: {body}");
        id
    }

    pub async fn draft(&self, owner: &str) -> Uuid {
        let (status, body) = self
            .post(
                "/api/v1/events/purposes",
                Some(owner),
                &json!({"objective": "신규 고객 유치", "storeName": "맛있는집", "industry": "음식점", "address": "서울시 강남구"}),
            )
            .await;
        assert_eq!(status, 200, "draft: {body}");
        let id: Uuid = body["eventDraftId"].as_str().unwrap().parse().unwrap();
        self.owners.lock().unwrap().insert(id, owner.to_string());
        id
    }

    /// Records who owns a campaign created elsewhere (e.g. in the console),
    /// for the helpers that act as its owner.
    pub fn owned_by(&self, campaign: Uuid, owner: &str) {
        self.owners
            .lock()
            .unwrap()
            .insert(campaign, owner.to_string());
    }

    /// The campaign's store-visit token of the day, from the owner's
    /// `GET /store-qr` (the campaign's owner must be known: it came from
    /// [`TestApp::draft`] or was recorded with [`TestApp::owned_by`]).
    pub async fn store_visit_token(&self, campaign: Uuid) -> String {
        let owner = self
            .owners
            .lock()
            .unwrap()
            .get(&campaign)
            .cloned()
            .unwrap_or_else(|| "owner".to_string());
        let (status, body) = self
            .get(&format!("/api/v1/events/{campaign}/store-qr"), Some(&owner))
            .await;
        assert_eq!(status, 200, "store-qr: {body}");
        body["storeVisitToken"].as_str().unwrap().to_string()
    }

    /// Enters as a customer would; a store visitor (`store_visited`) came
    /// through the store's QR code and so sends its token.
    pub async fn enter(
        &self,
        campaign: Uuid,
        name: &str,
        phone: &str,
        channel: &str,
        store_visited: bool,
    ) -> (u16, Value) {
        let token = if store_visited {
            Some(self.store_visit_token(campaign).await)
        } else {
            None
        };
        self.post(
            "/api/v1/participations",
            None,
            &json!({
                "eventId": campaign,
                "name": name,
                "phoneNumber": phone,
                "channel": channel,
                "storeVisited": store_visited,
                "storeVisitToken": token,
                "agreePrivacy": true,
                "agreeMarketing": false,
            }),
        )
        .await
    }

    /// Number of rows of a query returning one bigint.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .expect(sql)
    }
}

/// Polls `check` until it returns `Some`, for at most `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Projection waits are generous: CI machines are small and shared.
pub const SETTLE: Duration = Duration::from_secs(30);

/// Waits until the participant read model holds `expected` rows for the campaign.
pub async fn participants_projected(app: &TestApp, campaign: Uuid, expected: i64) {
    let pool = app.pool.clone();
    eventually(SETTLE, "participants to be projected", || {
        let pool = pool.clone();
        async move {
            let n: i64 =
                sqlx::query_scalar("SELECT count(*) FROM participants WHERE campaign_id = $1")
                    .bind(campaign)
                    .fetch_one(&pool)
                    .await
                    .ok()?;
            (n == expected).then_some(())
        }
    })
    .await
}

/// All messages currently on the test's event stream, in stream order.
pub async fn stream_events(env: &TestEnv) -> Vec<promo_eventstore::store::StoredEvent> {
    let js = env.jetstream().await;
    let mut stream = js
        .get_stream(env.names().stream_name())
        .await
        .expect("stream exists");
    let last = stream
        .info()
        .await
        .expect("stream info")
        .state
        .last_sequence;
    let mut events = Vec::new();
    for seq in 1..=last {
        if let Ok(message) = stream.get_raw_message(seq).await {
            events.push(serde_json::from_slice(&message.payload).expect("envelope"));
        }
    }
    events
}
