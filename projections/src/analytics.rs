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

use std::collections::HashMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use promo_domain::campaign::CampaignEvent;
use promo_domain::channel::Channel;
use promo_domain::participation::ParticipationEvent;
use promo_domain::performance::{CampaignPerformance, PerformanceEvent};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::projector::{Projection, ProjectionError};
use promo_eventstore::store::{self, GlobalPosition, StoredEvent};

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
        let mut run = EntryTally::default();
        for event in events {
            if event.aggregate_type == "Participation" {
                run.add(event)?;
            } else {
                run.flush(tx).await?;
                self.apply(tx, event).await?;
            }
        }
        run.flush(tx).await
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
        let others = store::read_range_except(tx, after, up_to, "Participation")
            .await
            .map_err(|e| ProjectionError::Other(e.to_string()))?;
        for event in &others {
            self.apply(tx, event).await?;
        }
        // One pass over the range's registrations, grouped at the finest
        // grain the read model keeps (campaign, channel, KST hour), as a plain
        // SELECT so Postgres may scan in parallel; the few groups are then
        // written by the same upserts `apply_batch` uses. Event times have
        // microsecond precision (the service's clock is truncated), so they
        // read back exactly as the event path binds them.
        let groups = sqlx::query(
            "SELECT (p ->> 'campaignId')::uuid AS campaign_id, p ->> 'channel' AS channel, \
                    date_trunc('hour', (p ->> 'registeredAt')::timestamptz, 'UTC') AS hour, \
                    count(*) AS entries, count(*) FILTER (WHERE (p ->> 'storeVisited')::bool) AS visits, \
                    sum((p ->> 'bonusEntries')::int8)::int8 AS bonus, \
                    max((p ->> 'registeredAt')::timestamptz) AS last_at, \
                    count(*) FILTER (WHERE version <> '1') AS unknown_versions \
             FROM (SELECT payload -> 'ParticipantRegistered' AS p, event_version AS version FROM public.events \
                   WHERE aggregate_type = 'Participation' \
                     AND (transaction_id, position) > ($1::text::xid8, $2) \
                     AND (transaction_id, position) <= ($3::text::xid8, $4)) r \
             GROUP BY 1, 2, 3",
        )
        .bind(after.transaction_id.to_string())
        .bind(after.position)
        .bind(up_to.transaction_id.to_string())
        .bind(up_to.position)
        .fetch_all(&mut *tx)
        .await?;
        let mut tally = EntryTally::default();
        let mut entries = 0u64;
        for group in &groups {
            let unknown: i64 = group.try_get("unknown_versions")?;
            if unknown > 0 {
                return Err(ProjectionError::Other(format!(
                    "{unknown} registrations have an event version this fold does not know"
                )));
            }
            let count: i64 = group.try_get("entries")?;
            entries += count as u64;
            tally.add_group(
                group.try_get("campaign_id")?,
                group.try_get("channel")?,
                group.try_get("hour")?,
                (count, group.try_get("visits")?, group.try_get("bonus")?),
                group.try_get("last_at")?,
            )?;
        }
        tally.flush(tx).await?;
        Ok(Some(others.len() as u64 + entries))
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        match event.aggregate_type.as_str() {
            "Campaign" if event.event_type == "CampaignPublished" => self.campaign(tx, event).await,
            "Participation" => self.apply_batch(tx, std::slice::from_ref(event)).await,
            t if t == <CampaignPerformance as cqrs_es::Aggregate>::TYPE => {
                self.performance(tx, event).await
            }
            _ if event.event_type == "WinnersDrawn" => self.winners_drawn(tx, event).await,
            _ => Ok(()),
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

/// Counter increments of a run of `ParticipantRegistered` events.
#[derive(Default)]
struct EntryTally {
    /// Per campaign: entries, store visits, bonus entries, latest entry time.
    campaigns: HashMap<Uuid, (i64, i64, i64, DateTime<Utc>)>,
    channels: HashMap<(Uuid, &'static str), (i64, i64, i64)>,
    hours: HashMap<(Uuid, DateTime<Utc>), i64>,
}

impl EntryTally {
    fn add(&mut self, event: &StoredEvent) -> Result<(), ProjectionError> {
        let decoded = crate::projector::decode::<ParticipationEvent>(event)?;
        let ParticipationEvent::ParticipantRegistered {
            campaign_id,
            channel,
            store_visited,
            bonus_entries,
            registered_at,
            ..
        } = decoded;
        let (visits, bonus) = (i64::from(store_visited), i64::from(bonus_entries));
        let campaign = self
            .campaigns
            .entry(campaign_id)
            .or_insert((0, 0, 0, registered_at));
        campaign.0 += 1;
        campaign.1 += visits;
        campaign.2 += bonus;
        campaign.3 = campaign.3.max(registered_at);
        let per_channel = self
            .channels
            .entry((campaign_id, channel.as_str()))
            .or_default();
        per_channel.0 += 1;
        per_channel.1 += visits;
        per_channel.2 += bonus;
        *self
            .hours
            .entry((campaign_id, hour_bucket(registered_at)))
            .or_default() += 1;
        Ok(())
    }

    /// Adds an already grouped (campaign, channel, hour) count.
    fn add_group(
        &mut self,
        campaign_id: Uuid,
        channel: String,
        hour: DateTime<Utc>,
        (entries, visits, bonus): (i64, i64, i64),
        last_at: DateTime<Utc>,
    ) -> Result<(), ProjectionError> {
        let channel = Channel::parse(&channel).ok_or_else(|| {
            ProjectionError::Other(format!("unknown channel {channel:?} in the store"))
        })?;
        let campaign = self
            .campaigns
            .entry(campaign_id)
            .or_insert((0, 0, 0, last_at));
        campaign.0 += entries;
        campaign.1 += visits;
        campaign.2 += bonus;
        campaign.3 = campaign.3.max(last_at);
        let per_channel = self
            .channels
            .entry((campaign_id, channel.as_str()))
            .or_default();
        per_channel.0 += entries;
        per_channel.1 += visits;
        per_channel.2 += bonus;
        *self.hours.entry((campaign_id, hour)).or_default() += entries;
        Ok(())
    }

    async fn flush(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        if self.campaigns.is_empty() {
            return Ok(());
        }
        let campaigns = std::mem::take(&mut self.campaigns);
        let (ids, rest): (Vec<Uuid>, Vec<_>) = campaigns.into_iter().unzip();
        sqlx::query(
            "INSERT INTO analytics_campaigns (campaign_id, participants, store_visits, bonus_entries, updated_at) \
             SELECT * FROM UNNEST($1::uuid[], $2::int8[], $3::int8[], $4::int8[], $5::timestamptz[]) \
             ON CONFLICT (campaign_id) DO UPDATE SET \
             participants = analytics_campaigns.participants + EXCLUDED.participants, \
             store_visits = analytics_campaigns.store_visits + EXCLUDED.store_visits, \
             bonus_entries = analytics_campaigns.bonus_entries + EXCLUDED.bonus_entries, \
             updated_at = GREATEST(analytics_campaigns.updated_at, EXCLUDED.updated_at)",
        )
        .bind(&ids)
        .bind(rest.iter().map(|r| r.0).collect::<Vec<_>>())
        .bind(rest.iter().map(|r| r.1).collect::<Vec<_>>())
        .bind(rest.iter().map(|r| r.2).collect::<Vec<_>>())
        .bind(rest.iter().map(|r| r.3).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;

        let channels = std::mem::take(&mut self.channels);
        let (keys, counts): (Vec<_>, Vec<_>) = channels.into_iter().unzip();
        sqlx::query(
            "INSERT INTO analytics_channels (campaign_id, channel, participants, store_visits, bonus_entries) \
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::int8[], $4::int8[], $5::int8[]) \
             ON CONFLICT (campaign_id, channel) DO UPDATE SET \
             participants = analytics_channels.participants + EXCLUDED.participants, \
             store_visits = analytics_channels.store_visits + EXCLUDED.store_visits, \
             bonus_entries = analytics_channels.bonus_entries + EXCLUDED.bonus_entries",
        )
        .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
        .bind(counts.iter().map(|c: &(i64, i64, i64)| c.0).collect::<Vec<_>>())
        .bind(counts.iter().map(|c| c.1).collect::<Vec<_>>())
        .bind(counts.iter().map(|c| c.2).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;

        let hours = std::mem::take(&mut self.hours);
        let (keys, counts): (Vec<_>, Vec<i64>) = hours.into_iter().unzip();
        sqlx::query(
            "INSERT INTO analytics_hourly (campaign_id, hour, participants) \
             SELECT * FROM UNNEST($1::uuid[], $2::timestamptz[], $3::int8[]) \
             ON CONFLICT (campaign_id, hour) DO UPDATE SET \
             participants = analytics_hourly.participants + EXCLUDED.participants",
        )
        .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
        .bind(counts)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}
