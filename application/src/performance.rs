//! Campaign performance use cases: the owner's costs, a distribution report
//! arriving from the distribution system, and an observation of a channel's
//! statistics from the collector. All three append to the
//! `CampaignPerformance` aggregate, which the analytics read model follows.

use cqrs_es::AggregateError;
use promo_domain::channel::Channel;
use promo_domain::performance::{ChannelCounts, Costs, PerformanceCommand};
use uuid::Uuid;

use crate::campaigns;
use crate::context::App;
use crate::error::{AppError, AppResult};

/// Records the campaign's cost and revenue inputs (owner only); later inputs
/// replace earlier ones.
#[tracing::instrument(skip_all, fields(%campaign_id))]
pub async fn record_costs(
    app: &App,
    owner: &str,
    campaign_id: Uuid,
    costs: Costs,
) -> AppResult<()> {
    campaigns::owned(app, campaign_id, owner).await?;
    app.commands
        .performance(
            campaign_id,
            PerformanceCommand::RecordCosts {
                campaign_id,
                costs,
                recorded_at: app.now(),
            },
        )
        .await
        .map_err(|e| AppError::from_aggregate(e, || AppError::ConcurrentUpdate))
}

/// What became of a distribution report.
#[derive(Debug, PartialEq, Eq)]
pub enum ReportOutcome {
    Recorded,
    /// It can never be recorded (unknown campaign, broken rule): set aside.
    Rejected(String),
    /// Something transient failed: try again later.
    Retry(String),
}

/// Records a `DistributionCompleted` report for its campaign.
#[tracing::instrument(skip_all, fields(%campaign_id))]
pub async fn record_distribution_report(
    app: &App,
    campaign_id: Uuid,
    report: PerformanceCommand,
) -> ReportOutcome {
    // The campaign must exist: one primary-key lookup in the event store.
    match campaigns::load(app, campaign_id).await {
        Ok(_) => {}
        Err(AppError::CampaignNotFound) => {
            return ReportOutcome::Rejected(format!("eventId: unknown campaign {campaign_id}"))
        }
        Err(error) => return ReportOutcome::Retry(error.to_string()),
    }
    match app.commands.performance(campaign_id, report).await {
        Ok(()) => ReportOutcome::Recorded,
        Err(AggregateError::UserError(rule)) => ReportOutcome::Rejected(rule.to_string()),
        Err(AggregateError::DeserializationError(error)) => {
            ReportOutcome::Rejected(format!("stored events do not decode: {error}"))
        }
        Err(AggregateError::AggregateConflict) => ReportOutcome::Retry("concurrent update".into()),
        Err(error) => ReportOutcome::Retry(error.to_string()),
    }
}

/// Records one channel's observed statistics.
pub async fn record_channel_stats(
    app: &App,
    campaign_id: Uuid,
    channel: Channel,
    counts: ChannelCounts,
) -> AppResult<()> {
    let command = PerformanceCommand::RecordChannelStats {
        campaign_id,
        channel,
        counts,
        observed_at: app.now(),
    };
    // Channels of one campaign are collected concurrently and share its
    // aggregate: a version conflict just means another channel's
    // observation committed first, so decide again on the new state.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match app.commands.performance(campaign_id, command.clone()).await {
            Ok(()) => return Ok(()),
            Err(AggregateError::AggregateConflict) if attempts < 5 => continue,
            Err(error) => {
                return Err(AppError::from_aggregate(error, || {
                    AppError::ConcurrentUpdate
                }))
            }
        }
    }
}
