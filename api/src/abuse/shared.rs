//! Token buckets kept in Postgres (`rate_limit_buckets`), so that every API
//! instance on one database enforces one limit per key. Each check is one
//! atomic upsert: refill by the time since the last check (the database's
//! clock, shared by all instances), take a token if there is one.
//!
//! If the database cannot be asked the request is let through (logged): an
//! abuse limit must not turn a database hiccup into refused entries, and the
//! entry itself needs the database anyway.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;

use super::Key;

/// Idle buckets are deleted every this many checks (a bucket idle for a
/// minute is full again, so deleting it changes nothing).
const SWEEP_EVERY: u64 = 4_096;

/// One limit (`per_minute`) over buckets in Postgres.
pub struct SharedLimiter {
    pool: PgPool,
    capacity: f64,
    per_second: f64,
    checks: AtomicU64,
}

impl SharedLimiter {
    pub fn new(pool: PgPool, per_minute: u32) -> Self {
        Self {
            pool,
            capacity: f64::from(per_minute),
            per_second: f64::from(per_minute) / 60.0,
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub async fn check(&self, key: Key) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            let swept = sqlx::query(
                "DELETE FROM rate_limit_buckets WHERE updated_at < now() - interval '2 minutes'",
            )
            .execute(&self.pool)
            .await;
            if let Err(e) = swept {
                tracing::warn!(error = %e, "sweeping rate_limit_buckets");
            }
        }
        let answer = sqlx::query_as::<_, (bool, f64)>(
            "INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at, allowed) \
             VALUES ($1, $2 - 1, now(), true) \
             ON CONFLICT (key) DO UPDATE SET \
               tokens = least($2, b.tokens + greatest(0, extract(epoch FROM now() - b.updated_at)::float8) * $3) \
                 - CASE WHEN least($2, b.tokens + greatest(0, extract(epoch FROM now() - b.updated_at)::float8) * $3) >= 1 \
                   THEN 1 ELSE 0 END, \
               allowed = least($2, b.tokens + greatest(0, extract(epoch FROM now() - b.updated_at)::float8) * $3) >= 1, \
               updated_at = greatest(b.updated_at, now()) \
             RETURNING allowed, tokens",
        )
        .bind(&key[..])
        .bind(self.capacity)
        .bind(self.per_second)
        .fetch_one(&self.pool)
        .await;
        match answer {
            Ok((true, _)) => Ok(()),
            Ok((false, tokens)) => Err(Duration::from_secs_f64(
                ((1.0 - tokens) / self.per_second).clamp(0.001, 3600.0),
            )),
            Err(e) => {
                tracing::warn!(error = %e, "rate limit check failed: letting the request through");
                Ok(())
            }
        }
    }
}
