//! The analytics read model (projector `analytics`): the owner's dashboard.
//!
//! Tables (`migrations/20251101000010_analytics.sql`):
//! - `analytics_campaigns`: per campaign totals (participants, store visits,
//!   bonus entries, winners drawn), target, cost and revenue inputs;
//! - `analytics_channels`: per entry channel counts, the distribution
//!   report's expected views and the channel's latest observed statistics;
//! - `analytics_hourly`: entries per hour (KST); cumulative sums are taken at
//!   query time.
//!
//! Consumes `CampaignPublished` (target, channels), `ParticipantRegistered`,
//! `WinnersDrawn` (read generically from its payload: `campaignId` and the
//! `winners` list) and the `CampaignPerformance` events. Every write is a
//! plain upsert; the projector runner applies each event exactly once and
//! commits the checkpoint in the same transaction.

pub mod queries;
mod tally;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use cqrs_es::Aggregate;
use promo_domain::campaign::CampaignEvent;
use promo_domain::participation::Participation;
use promo_domain::performance::PerformanceEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::projector::{segments, Projection, ProjectionError, Segment};
use promo_eventstore::codec::DomainEvent;
use promo_eventstore::store::{self, GlobalPosition, StoredEvent};
use tally::EntryTally;

pub const NAME: &str = "analytics";

pub struct AnalyticsProjection;

/// The start of the hour `at` falls in. Korea has a whole-hour offset
/// (UTC+9, no daylight saving), so the KST hour starts at the same instant
/// as the UTC hour; the API shows it with `+09:00`.
pub fn hour_bucket(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at)
}

async fn touch_campaign(
    tx: &mut PgConnection,
    campaign_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO analytics_campaigns (campaign_id, updated_at) VALUES ($1, $2) \
         ON CONFLICT (campaign_id) DO UPDATE \
         SET updated_at = GREATEST(analytics_campaigns.updated_at, EXCLUDED.updated_at)",
    )
    .bind(campaign_id)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl Projection for AnalyticsProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "analytics_campaigns",
            "analytics_channels",
            "analytics_hourly",
        ]
    }

    /// Entries only add to counters (and `updated_at` takes the latest
    /// time), so a run of entries folds into three set-based upserts; any
    /// other event first flushes the run and is applied in order.
    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for segment in segments(events) {
            match segment {
                Segment::Registrations(run) => {
                    let mut tally = EntryTally::default();
                    for event in run {
                        tally.add(event)?;
                    }
                    tally.flush(tx).await?;
                }
                Segment::Other(event) => self.apply(tx, event).await?,
            }
        }
        Ok(())
    }

    /// Replay in two set-based steps: every event other than a registration
    /// is applied in global order through `apply`, then all registrations
    /// of the range are folded server-side (GROUP BY) into the same three
    /// upserts `apply_batch` uses. Equivalent to applying in global order
    /// because registrations only add to counters and take the latest
    /// `updated_at`, which commutes with every other update here.
    async fn replay_range(
        &self,
        tx: &mut PgConnection,
        after: GlobalPosition,
        up_to: GlobalPosition,
    ) -> Result<Option<u64>, ProjectionError> {
        let others = store::read_range_except(tx, after, up_to, Participation::TYPE)
            .await
            .map_err(|e| ProjectionError::Other(e.to_string()))?;
        for event in &others {
            self.apply(tx, event).await?;
        }
        let entries = tally::fold_registrations(tx, after, up_to).await?;
        Ok(Some(others.len() as u64 + entries))
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let decoded = event
            .decode()
            .map_err(|e| ProjectionError::undecodable(event, e))?;
        match decoded {
            DomainEvent::Campaign(CampaignEvent::CampaignPublished { .. }) => {
                self.campaign(tx, event).await
            }
            DomainEvent::Campaign(_) => Ok(()),
            DomainEvent::Participation(_) => {
                self.apply_batch(tx, std::slice::from_ref(event)).await
            }
            DomainEvent::Performance(_) => self.performance(tx, event).await,
            DomainEvent::Draw(_) => self.winners_drawn(tx, event).await,
            DomainEvent::Access(_) | DomainEvent::Notification(_) => Ok(()),
        }
    }
}

impl AnalyticsProjection {
    async fn campaign(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let decoded: CampaignEvent = crate::projector::decode(event)?;
        let CampaignEvent::CampaignPublished {
            campaign_id,
            details,
            published_at,
            ..
        } = decoded
        else {
            return Ok(());
        };
        touch_campaign(tx, campaign_id, published_at).await?;
        sqlx::query(
            "UPDATE analytics_campaigns SET target_participants = $2 WHERE campaign_id = $1",
        )
        .bind(campaign_id)
        .bind(i64::from(details.target_participants))
        .execute(&mut *tx)
        .await?;
        for channel in details.channels {
            sqlx::query(
                "INSERT INTO analytics_channels (campaign_id, channel, published) VALUES ($1, $2, true) \
                 ON CONFLICT (campaign_id, channel) DO UPDATE SET published = true",
            )
            .bind(campaign_id)
            .bind(channel.as_str())
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    /// `CampaignPerformance` events. One arm per event kind, each a single
    /// upsert; long only because there are three kinds with wide rows.
    async fn performance(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let decoded: PerformanceEvent = crate::projector::decode(event)?;
        match decoded {
            PerformanceEvent::CostsRecorded {
                campaign_id,
                costs,
                recorded_at,
            } => {
                touch_campaign(tx, campaign_id, recorded_at).await?;
                sqlx::query(
                    "UPDATE analytics_campaigns SET prize_cost = $2, content_cost = $3, \
                     operation_cost = $4, distribution_cost = $5, expected_revenue = $6, \
                     sales_growth_rate_bp = $7, costs_recorded_at = $8 WHERE campaign_id = $1",
                )
                .bind(campaign_id)
                .bind(costs.prize_cost)
                .bind(costs.content_cost)
                .bind(costs.operation_cost)
                .bind(costs.distribution_cost)
                .bind(costs.expected_revenue)
                .bind(costs.sales_growth_rate_bp)
                .bind(recorded_at)
                .execute(&mut *tx)
                .await?;
            }
            PerformanceEvent::DistributionCompleted {
                campaign_id,
                distributed_channels,
                completed_at,
            } => {
                touch_campaign(tx, campaign_id, completed_at).await?;
                sqlx::query(
                    "UPDATE analytics_campaigns SET distribution_completed_at = \
                     GREATEST(distribution_completed_at, $2) WHERE campaign_id = $1",
                )
                .bind(campaign_id)
                .bind(completed_at)
                .execute(&mut *tx)
                .await?;
                for c in distributed_channels {
                    // A failed distribution reaches nobody.
                    let expected = if c.failed() { 0 } else { c.expected_views };
                    sqlx::query(
                        "INSERT INTO analytics_channels (campaign_id, channel, channel_type, \
                         distribution_status, expected_views) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (campaign_id, channel) DO UPDATE SET \
                         channel_type = EXCLUDED.channel_type, \
                         distribution_status = EXCLUDED.distribution_status, \
                         expected_views = EXCLUDED.expected_views",
                    )
                    .bind(campaign_id)
                    .bind(c.channel.as_str())
                    .bind(c.channel_type)
                    .bind(c.status)
                    .bind(expected)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            PerformanceEvent::ChannelStatsObserved {
                campaign_id,
                channel,
                counts,
                observed_at,
            } => {
                touch_campaign(tx, campaign_id, observed_at).await?;
                // The latest observation wins, whatever order they come in.
                sqlx::query(
                    "INSERT INTO analytics_channels (campaign_id, channel, impressions, views, clicks, \
                     likes, comments, shares, observed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (campaign_id, channel) DO UPDATE SET \
                     impressions = EXCLUDED.impressions, views = EXCLUDED.views, clicks = EXCLUDED.clicks, \
                     likes = EXCLUDED.likes, comments = EXCLUDED.comments, shares = EXCLUDED.shares, \
                     observed_at = EXCLUDED.observed_at \
                     WHERE analytics_channels.observed_at IS NULL \
                        OR analytics_channels.observed_at < EXCLUDED.observed_at",
                )
                .bind(campaign_id)
                .bind(channel.as_str())
                .bind(counts.impressions)
                .bind(counts.views)
                .bind(counts.clicks)
                .bind(counts.likes)
                .bind(counts.comments)
                .bind(counts.shares)
                .bind(observed_at)
                .execute(&mut *tx)
                .await?;
            }
        }
        Ok(())
    }

    /// The draw aggregate's `WinnersDrawn`: how many winners were drawn.
    async fn winners_drawn(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let Some(record) = crate::draws::recorded_draw(event)? else {
            return Ok(());
        };
        let campaign_id = record.campaign_id;
        let winners = record.winners.len() as i64;
        touch_campaign(tx, campaign_id, event.recorded_at).await?;
        sqlx::query("UPDATE analytics_campaigns SET winners_drawn = $2 WHERE campaign_id = $1")
            .bind(campaign_id)
            .bind(winners)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn entries_fall_into_the_korean_hour_they_were_made_in() {
        // 14:59:59 KST = 05:59:59 UTC → the 14:00 KST hour (05:00 UTC).
        let at = Utc.with_ymd_and_hms(2025, 10, 29, 5, 59, 59).unwrap();
        let bucket = hour_bucket(at);
        assert_eq!(bucket, Utc.with_ymd_and_hms(2025, 10, 29, 5, 0, 0).unwrap());
        assert_eq!(
            bucket
                .with_timezone(&promo_domain::entry_number::kst())
                .to_rfc3339(),
            "2025-10-29T14:00:00+09:00"
        );
        // Korean midnight is 15:00 UTC the day before.
        let midnight = Utc.with_ymd_and_hms(2025, 10, 28, 15, 0, 0).unwrap();
        assert_eq!(hour_bucket(midnight), midnight);
    }
}
