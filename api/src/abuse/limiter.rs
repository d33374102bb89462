//! Token buckets: kept in this process ([`KeyedLimiter`]) or shared by every
//! instance through Postgres (`shared`), behind one [`Limiter`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::shared;

pub(super) type Key = [u8; 16];

/// Where a limit's buckets are.
pub(super) enum Limiter {
    Memory(KeyedLimiter),
    Shared(shared::SharedLimiter),
}

impl Limiter {
    pub(super) async fn check(&self, key: Key, now: Instant) -> Result<(), Duration> {
        match self {
            Self::Memory(limiter) => limiter.check(key, now),
            Self::Shared(limiter) => limiter.check(key).await,
        }
    }
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// A keyed token bucket: `per_minute` requests at once, refilled at
/// `per_minute / 60` per second.
pub struct KeyedLimiter {
    capacity: f64,
    per_second: f64,
    buckets: Mutex<HashMap<Key, Bucket>>,
    checks: AtomicU64,
}

/// Buckets are swept of idle (full) entries every this many checks.
const SWEEP_EVERY: u64 = 4_096;

impl KeyedLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            capacity: f64::from(per_minute),
            per_second: f64::from(per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub fn check(&self, key: Key, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            let (capacity, rate) = (self.capacity, self.per_second);
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * rate < capacity
            });
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }
}
