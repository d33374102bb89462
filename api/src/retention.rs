//! The retention task: crypto-shreds the personal data of every campaign
//! whose announcement was more than `PII_RETENTION_DAYS` (default 90) ago.
//! It reads candidates from the campaign read model and erases each through
//! the same path as the owner's request, so it is idempotent and safe to run
//! in several processes at once (the aggregate records one erasure).

use std::time::Duration;

use promo_domain::campaign::Eraser;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::personal_data::erase_personal_data;
use crate::state::AppState;

/// Campaigns erased per sweep at most (the next sweep takes the rest).
const SWEEP_LIMIT: i64 = 100;

/// Runs a sweep every `interval` until cancelled.
pub async fn run(
    state: AppState,
    retention: Duration,
    interval: Duration,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        match sweep(&state, retention).await {
            Ok(0) => {}
            Ok(erased) => tracing::info!(erased, "retention: personal data erased"),
            Err(error) => {
                tracing::warn!(error = ?error.message, code = error.code, "retention sweep failed")
            }
        }
    }
}

/// Erases the personal data of campaigns past retention; returns how many.
pub async fn sweep(state: &AppState, retention: Duration) -> Result<usize, ApiError> {
    let due: Vec<Uuid> = sqlx::query_scalar(
        "SELECT campaign_id FROM campaigns \
         WHERE personal_data_erased_at IS NULL AND announcement_at IS NOT NULL \
           AND announcement_at + make_interval(secs => $1) <= $2 \
         ORDER BY announcement_at LIMIT $3",
    )
    .bind(retention.as_secs_f64())
    .bind(state.now())
    .bind(SWEEP_LIMIT)
    .fetch_all(&state.pool)
    .await?;
    let mut erased = 0;
    for campaign_id in due {
        match erase_personal_data(state, campaign_id, Eraser::RetentionPolicy).await {
            Ok(_) => erased += 1,
            Err(error) => {
                tracing::warn!(%campaign_id, code = error.code, message = %error.message, "retention: erasure failed")
            }
        }
    }
    Ok(erased)
}
