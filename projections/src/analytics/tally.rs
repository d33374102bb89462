//! Folding registrations into the analytics counters: a run of
//! `ParticipantRegistered` events (live), or every registration of a range
//! of the event store grouped in SQL (replay), both through [`EntryTally`]'s
//! three set-based upserts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use promo_domain::channel::Channel;
use promo_domain::participation::{Participation, ParticipationEvent};
use promo_eventstore::codec::sql::{registered as field, REGISTERED};
use promo_eventstore::codec::CURRENT_VERSION;
use promo_eventstore::store::{GlobalPosition, StoredEvent};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::hour_bucket;
use crate::projector::ProjectionError;

/// Folds every registration in `(after, up_to]` into the counters; returns
/// how many there were.
pub(super) async fn fold_registrations(
    tx: &mut PgConnection,
    after: GlobalPosition,
    up_to: GlobalPosition,
) -> Result<u64, ProjectionError> {
    // One pass over the range's registrations, grouped at the finest
    // grain the read model keeps (campaign, channel, KST hour), as a plain
    // SELECT so Postgres may scan in parallel; the few groups are then
    // written by the same upserts `apply_batch` uses. Event times have
    // microsecond precision (the service's clock is truncated), so they
    // read back exactly as the event path binds them.
    let sql = format!(
        "SELECT (p ->> '{campaign}')::uuid AS campaign_id, p ->> '{channel}' AS channel, \
                date_trunc('hour', (p ->> '{at}')::timestamptz, 'UTC') AS hour, \
                count(*) AS entries, count(*) FILTER (WHERE (p ->> '{visited}')::bool) AS visits, \
                sum((p ->> '{bonus}')::int8)::int8 AS bonus, \
                max((p ->> '{at}')::timestamptz) AS last_at, \
                count(*) FILTER (WHERE version <> '{CURRENT_VERSION}') AS unknown_versions \
         FROM (SELECT {REGISTERED} AS p, event_version AS version FROM public.events \
               WHERE aggregate_type = $5 \
                 AND (transaction_id, position) > ($1::text::xid8, $2) \
                 AND (transaction_id, position) <= ($3::text::xid8, $4)) r \
         GROUP BY 1, 2, 3",
        campaign = field::CAMPAIGN_ID,
        channel = field::CHANNEL,
        at = field::REGISTERED_AT,
        visited = field::STORE_VISITED,
        bonus = field::BONUS_ENTRIES,
    );
    // The planner cannot know how few groups a range has (it guesses one
    // per event), so it would sort the whole range to group it, spilling
    // every payload to disk; a hash aggregate keeps only the groups. The
    // setting is local to this transaction and restored right after.
    sqlx::query("SET LOCAL enable_sort = off")
        .execute(&mut *tx)
        .await?;
    let groups = sqlx::query(&sql)
        .bind(after.transaction_id.to_string())
        .bind(after.position)
        .bind(up_to.transaction_id.to_string())
        .bind(up_to.position)
        .bind(Participation::TYPE)
        .fetch_all(&mut *tx)
        .await?;
    sqlx::query("SET LOCAL enable_sort TO DEFAULT")
        .execute(&mut *tx)
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
    Ok(entries)
}

/// Counter increments of a run of `ParticipantRegistered` events.
#[derive(Default)]
pub(super) struct EntryTally {
    /// Per campaign: entries, store visits, bonus entries, latest entry time.
    campaigns: HashMap<Uuid, (i64, i64, i64, DateTime<Utc>)>,
    channels: HashMap<(Uuid, &'static str), (i64, i64, i64)>,
    hours: HashMap<(Uuid, DateTime<Utc>), i64>,
}

impl EntryTally {
    pub(super) fn add(&mut self, event: &StoredEvent) -> Result<(), ProjectionError> {
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

    pub(super) async fn flush(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
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
