//! The retention job: crypto-shreds the personal data of every campaign
//! whose claims closed more than `PII_RETENTION_DAYS` (default 90) ago
//! (the claim deadline, `announcementAt + claimDays`, or a promoted
//! alternate's later one: winners must stay reachable until then), through
//! the same use case as the owner's request, unforced, so it is idempotent
//! and safe to run in several processes at once (the aggregate records one
//! erasure).

use std::sync::Arc;
use std::time::Duration;

use promo_domain::campaign::Eraser;
use tokio_util::sync::CancellationToken;

use crate::context::App;
use crate::error::AppResult;
use crate::privacy;

/// Campaigns erased per sweep at most (the next sweep takes the rest).
const SWEEP_LIMIT: i64 = 100;

/// Runs a sweep every `interval` until cancelled.
pub async fn run(
    app: Arc<App>,
    retention: Duration,
    interval: Duration,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        match sweep(&app, retention).await {
            Ok(0) => {}
            Ok(erased) => tracing::info!(erased, "retention: personal data erased"),
            Err(error) => tracing::warn!(%error, "retention sweep failed"),
        }
    }
}

/// Erases the personal data of campaigns past retention; returns how many.
pub async fn sweep(app: &App, retention: Duration) -> AppResult<usize> {
    let due = promo_projections::prizes::queries::due_for_erasure(
        &app.pool,
        retention,
        app.now(),
        SWEEP_LIMIT,
    )
    .await?;
    let mut erased = 0;
    for campaign_id in due {
        match privacy::erase(app, campaign_id, Eraser::RetentionPolicy, false).await {
            Ok(_) => erased += 1,
            Err(error) => tracing::warn!(%campaign_id, %error, "retention: erasure failed"),
        }
    }
    Ok(erased)
}
