//! How background loops run: restarted with capped exponential backoff
//! after any error until cancelled, and, where only one instance may run
//! (the relay, each projector), elected by a Postgres advisory lock.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Runs `run_once` until it returns `Ok` or `cancel` fires; after an error
/// waits (100 ms, doubling up to 5 s) and runs it again.
pub async fn restart_on_error<F, Fut, E>(what: &str, cancel: &CancellationToken, mut run_once: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let mut backoff = FIRST_BACKOFF;
    while !cancel.is_cancelled() {
        match run_once().await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%error, "{what} stopped; restarting");
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Waits until this process holds the advisory lock named `role`, and
/// returns the connection that holds it (`None` if cancelled first). The
/// connection is detached from the pool: dropping it, as a crash or an
/// error does, ends the session and so releases the leadership.
pub async fn lead(
    pool: &PgPool,
    role: &str,
    cancel: &CancellationToken,
) -> Result<Option<PgConnection>, sqlx::Error> {
    let mut conn = pool.acquire().await?.detach();
    loop {
        let acquired: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1)::bigint)")
                .bind(role)
                .fetch_one(&mut conn)
                .await?;
        if acquired {
            return Ok(Some(conn));
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(None),
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
