//! The claim deadline job: every `CLAIM_DEADLINE_SWEEP_SECS` it forfeits
//! each winner still `PENDING` whose claim deadline has passed (from the
//! prizes read model), through the same use case the owner's forfeit uses,
//! so the next unused alternate takes the prize exactly as if the owner had
//! forfeited. Idempotent and safe in several processes at once: the draw
//! aggregate forfeits a winner once, a repeat is a no-op, and a lost race
//! is decided again on fresh state.

use std::sync::Arc;
use std::time::Duration;

use promo_domain::draw::DrawError;
use tokio_util::sync::CancellationToken;

use crate::claims;
use crate::context::App;
use crate::error::{AppError, AppResult};

/// Winners forfeited per sweep at most (the next sweep takes the rest).
const SWEEP_LIMIT: i64 = 200;

/// Runs a sweep every `interval` until cancelled.
pub async fn run(app: Arc<App>, interval: Duration, cancel: CancellationToken) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        match sweep(&app).await {
            Ok(0) => {}
            Ok(forfeited) => {
                tracing::info!(forfeited, "claim deadline: unclaimed prizes forfeited")
            }
            Err(error) => tracing::warn!(%error, "claim deadline sweep failed"),
        }
    }
}

/// Forfeits the winners whose claim deadline passed; returns how many were
/// handled (a winner the read model still shows pending after an earlier
/// forfeit counts, and changes nothing).
pub async fn sweep(app: &App) -> AppResult<usize> {
    let overdue =
        promo_projections::prizes::queries::overdue(&app.pool, app.now(), SWEEP_LIMIT).await?;
    let mut handled = 0;
    for (campaign_id, participant_id) in overdue {
        match claims::forfeit_overdue(app, campaign_id, participant_id).await {
            Ok(promoted) => {
                handled += 1;
                tracing::info!(%campaign_id, %participant_id,
                    promoted = ?promoted.map(|p| p.participant_id), "claim deadline passed");
            }
            // The read model is behind a promotion's later deadline: not yet.
            Err(AppError::Draw(DrawError::ClaimPeriodOpen)) => {}
            Err(error) => {
                tracing::warn!(%campaign_id, %participant_id, %error, "claim deadline: forfeit failed")
            }
        }
    }
    Ok(handled)
}
