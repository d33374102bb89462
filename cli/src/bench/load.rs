//! HTTP load for `POST /api/v1/participations`: a closed loop with a fixed
//! number of connections (throughput and latency), and an open loop at a
//! fixed offered rate (projection lag).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Mutex;
use uuid::Uuid;

use super::stats::Latencies;

#[derive(Debug, Default)]
pub struct LoadResult {
    pub created: u64,
    pub duplicates: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latencies: Latencies,
}

impl LoadResult {
    /// Answered requests (201 and 409) per second.
    pub fn throughput(&self) -> f64 {
        (self.created + self.duplicates) as f64 / self.elapsed.as_secs_f64()
    }
}

/// Distinct phone numbers, with every `duplicate_every`-th request reusing
/// an earlier one.
pub struct Phones {
    next: AtomicU64,
    duplicate_every: u64,
}

impl Phones {
    pub fn new(start: u64, duplicate_every: u64) -> Self {
        Self {
            next: AtomicU64::new(start),
            duplicate_every,
        }
    }

    pub fn next(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let n = if self.duplicate_every > 0 && n.is_multiple_of(self.duplicate_every) && n > 0 {
            n - 1
        } else {
            n
        };
        format!("010{:08}", n % 100_000_000)
    }
}

pub async fn enter(
    client: &reqwest::Client,
    base_url: &str,
    campaign: Uuid,
    phone: &str,
) -> Result<u16, reqwest::Error> {
    let response = client
        .post(format!("{base_url}/api/v1/participations"))
        .json(&json!({
            "eventId": campaign, "name": "김벤치", "phoneNumber": phone, "channel": "URIDONGNETV",
            "storeVisited": false, "agreePrivacy": true, "agreeMarketing": false
        }))
        .send()
        .await?;
    let status = response.status().as_u16();
    let _ = response.bytes().await?;
    Ok(status)
}

fn tally(result: &mut LoadResult, outcome: Result<u16, reqwest::Error>) {
    match outcome {
        Ok(201) => result.created += 1,
        Ok(409) => result.duplicates += 1,
        _ => result.errors += 1,
    }
}

pub fn client(connections: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a plain HTTP client builds")
}

/// `connections` workers post back to back for `duration`.
pub async fn closed_loop(
    base_url: &str,
    campaign: Uuid,
    connections: usize,
    duration: Duration,
    phones: Arc<Phones>,
) -> LoadResult {
    let client = client(connections);
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let client = client.clone();
            let base_url = base_url.to_string();
            let phones = phones.clone();
            tokio::spawn(async move {
                let mut result = LoadResult::default();
                while Instant::now() < deadline {
                    let phone = phones.next();
                    let sent = Instant::now();
                    let outcome = enter(&client, &base_url, campaign, &phone).await;
                    result.latencies.record(sent.elapsed());
                    tally(&mut result, outcome);
                }
                result
            })
        })
        .collect();
    let mut total = LoadResult::default();
    for worker in workers {
        if let Ok(part) = worker.await {
            total.created += part.created;
            total.duplicates += part.duplicates;
            total.errors += part.errors;
            total.latencies.extend(part.latencies);
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// Requests started at a fixed `rate` per second for `duration`,
/// independent of how fast answers come back.
pub async fn open_loop(
    base_url: &str,
    campaign: Uuid,
    rate: u64,
    duration: Duration,
    phones: Arc<Phones>,
) -> LoadResult {
    let client = client(256);
    let results = Arc::new(Mutex::new(LoadResult::default()));
    let started = Instant::now();
    let total = (rate as f64 * duration.as_secs_f64()) as u64;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut in_flight = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = started + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let client = client.clone();
        let base_url = base_url.to_string();
        let results = results.clone();
        let phone = phones.next();
        in_flight.push(tokio::spawn(async move {
            let sent = Instant::now();
            let outcome = enter(&client, &base_url, campaign, &phone).await;
            let mut r = results.lock().await;
            r.latencies.record(sent.elapsed());
            tally(&mut r, outcome);
        }));
    }
    for task in in_flight {
        let _ = task.await;
    }
    let mut result = std::mem::take(&mut *results.lock().await);
    result.elapsed = started.elapsed();
    result
}
