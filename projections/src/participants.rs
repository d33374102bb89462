//! The participant list read model: one row per entry in `participants`,
//! name and phone already masked, newest first; a per-campaign total in
//! `participant_counts` (the live count) and totals per channel and store
//! visit and name initial in `participant_facet_counts`, so no list total
//! counts rows.
//!
//! Plaintext never reaches this table: the projector opens the sealed
//! personal data with the campaign key only to mask it. Once a campaign's
//! key is shredded, rows built from then on show the erased marker.

pub mod queries;
mod search;

use std::sync::Arc;

use promo_domain::campaign::CampaignEvent;
use promo_domain::entrant::{mask_name, PhoneNumber};
use promo_domain::participation::ParticipationEvent;
use promo_domain::privacy;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::projector::{segments, Projection, ProjectionError, Segment};
use promo_eventstore::secrets::SecretStore;
use promo_eventstore::store::StoredEvent;

pub const NAME: &str = "participants";
/// Shown instead of personal data that has been crypto-shredded.
pub const ERASED: &str = "(삭제됨)";

pub struct ParticipantsProjection {
    pub secrets: Arc<SecretStore>,
}

/// Masked forms of an entrant's personal data.
pub struct MaskedPersonalData {
    pub name: String,
    pub phone: String,
    pub phone_last4: String,
}

impl MaskedPersonalData {
    pub fn erased() -> Self {
        Self {
            name: ERASED.to_string(),
            phone: ERASED.to_string(),
            phone_last4: String::new(),
        }
    }
}

/// Opens and masks sealed personal data; erased when the key is gone.
pub async fn masked_personal_data(
    secrets: &SecretStore,
    campaign_id: Uuid,
    participant_id: Uuid,
    sealed: &privacy::SealedPersonalData,
) -> Result<MaskedPersonalData, ProjectionError> {
    let stored = secrets
        .get(campaign_id)
        .await
        .map_err(|e| ProjectionError::Other(e.to_string()))?;
    let Some(secret) = stored.and_then(|s| s.data.clone()) else {
        return Ok(MaskedPersonalData::erased());
    };
    let opened = privacy::open(&secret.data_key(), participant_id, sealed)
        .map_err(|e| ProjectionError::Other(format!("participant {participant_id}: {e}")))?;
    let phone = PhoneNumber::parse(&opened.phone)
        .map_err(|e| ProjectionError::Other(format!("participant {participant_id}: {e}")))?;
    Ok(MaskedPersonalData {
        name: mask_name(&opened.name),
        phone: phone.masked(),
        phone_last4: phone.last4().to_string(),
    })
}

/// `PersonalDataErased`: every masked name and phone of the campaign becomes
/// [`ERASED`] (counts, entry numbers, pids and winner flags stay, so lists,
/// totals and draw verification keep working). The key is destroyed here
/// too, idempotently, so an erasure recorded by a process that crashed
/// before it destroyed the key still takes full effect.
async fn apply_erasure(
    tx: &mut PgConnection,
    secrets: &SecretStore,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let decoded: CampaignEvent = crate::projector::decode(event)?;
    let CampaignEvent::PersonalDataErased { campaign_id, .. } = decoded else {
        return Ok(());
    };
    promo_eventstore::secrets::shred_in(tx, campaign_id)
        .await
        .map_err(|e| ProjectionError::Other(e.to_string()))?;
    secrets.forget(campaign_id).await;
    sqlx::query(
        "UPDATE participants SET name_masked = $2, phone_masked = $2, phone_last4 = '' \
         WHERE campaign_id = $1",
    )
    .bind(campaign_id)
    .bind(ERASED)
    .execute(&mut *tx)
    .await?;
    // Every initial is now the erased marker's: recount the facets.
    sqlx::query("DELETE FROM participant_facet_counts WHERE campaign_id = $1")
        .bind(campaign_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO participant_facet_counts (campaign_id, channel, store_visited, initial, total) \
         SELECT campaign_id, channel, store_visited, left(name_masked, 1), count(*) \
         FROM participants WHERE campaign_id = $1 GROUP BY 1, 2, 3, 4",
    )
    .bind(campaign_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl Projection for ParticipantsProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "participants",
            "participant_counts",
            "participant_facet_counts",
        ]
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        self.apply_batch(tx, std::slice::from_ref(event)).await
    }

    /// A run of registrations becomes one multi-row insert and one counter
    /// upsert; any other event first flushes the run and applies in order.
    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for segment in segments(events) {
            match segment {
                Segment::Registrations(run) => {
                    let mut rows = NewParticipants::default();
                    for event in run {
                        rows.push(self.row(event).await?);
                    }
                    rows.flush(tx).await?;
                }
                Segment::Other(event) => self.apply_other(tx, event).await?,
            }
        }
        Ok(())
    }
}

impl ParticipantsProjection {
    async fn apply_other(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        if let Some(draw) = crate::draws::recorded_draw(event)? {
            return crate::draws::mark_winners(tx, &draw).await;
        }
        if crate::prizes::mark_promotions(tx, event).await? {
            return Ok(());
        }
        if event.is_campaign_event() {
            return apply_erasure(tx, &self.secrets, event).await;
        }
        Ok(())
    }

    /// The read-model row of a registration, personal data masked.
    async fn row(&self, event: &StoredEvent) -> Result<ParticipantRow, ProjectionError> {
        let decoded = crate::projector::decode::<ParticipationEvent>(event)?;
        let ParticipationEvent::ParticipantRegistered {
            participant_id,
            campaign_id,
            pid,
            entry_number,
            channel,
            store_visited,
            bonus_entries,
            agree_marketing,
            personal_data,
            registered_at,
        } = decoded;
        let masked =
            masked_personal_data(&self.secrets, campaign_id, participant_id, &personal_data)
                .await?;
        Ok(ParticipantRow {
            campaign_id,
            participant_id,
            pid,
            entry_number,
            masked,
            channel: channel.as_str(),
            store_visited,
            bonus_entries: i32::from(bonus_entries),
            agree_marketing,
            registered_at,
        })
    }
}

struct ParticipantRow {
    campaign_id: Uuid,
    participant_id: Uuid,
    pid: String,
    entry_number: String,
    masked: MaskedPersonalData,
    channel: &'static str,
    store_visited: bool,
    bonus_entries: i32,
    agree_marketing: bool,
    registered_at: chrono::DateTime<chrono::Utc>,
}

/// Registrations waiting to be written together.
#[derive(Default)]
struct NewParticipants {
    rows: Vec<ParticipantRow>,
}

impl NewParticipants {
    fn push(&mut self, row: ParticipantRow) {
        self.rows.push(row);
    }

    async fn flush(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        macro_rules! column {
            ($f:expr) => {
                rows.iter().map($f).collect::<Vec<_>>()
            };
        }
        // A redelivered entry is already there: DO NOTHING, and only rows
        // really inserted are counted.
        let inserted: Vec<Facet> = sqlx::query_as(
            "INSERT INTO participants (campaign_id, participant_id, pid, entry_number, name_masked, \
             phone_masked, phone_last4, channel, store_visited, bonus_entries, agree_marketing, participated_at) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], \
                                  $7::text[], $8::text[], $9::bool[], $10::int4[], $11::bool[], $12::timestamptz[]) \
             ON CONFLICT DO NOTHING RETURNING campaign_id, channel, store_visited, left(name_masked, 1)",
        )
        .bind(column!(|r| r.campaign_id))
        .bind(column!(|r| r.participant_id))
        .bind(column!(|r| r.pid.clone()))
        .bind(column!(|r| r.entry_number.clone()))
        .bind(column!(|r| r.masked.name.clone()))
        .bind(column!(|r| r.masked.phone.clone()))
        .bind(column!(|r| r.masked.phone_last4.clone()))
        .bind(column!(|r| r.channel))
        .bind(column!(|r| r.store_visited))
        .bind(column!(|r| r.bonus_entries))
        .bind(column!(|r| r.agree_marketing))
        .bind(column!(|r| r.registered_at))
        .fetch_all(&mut *tx)
        .await?;
        if inserted.is_empty() {
            return Ok(());
        }
        let mut per_facet: std::collections::HashMap<Facet, i64> = Default::default();
        let mut per_campaign: std::collections::HashMap<Uuid, i64> = Default::default();
        for facet in inserted {
            *per_campaign.entry(facet.0).or_default() += 1;
            *per_facet.entry(facet).or_default() += 1;
        }
        add_facet_counts(tx, per_facet).await?;
        let (campaigns, added): (Vec<Uuid>, Vec<i64>) = per_campaign.into_iter().unzip();
        sqlx::query(
            "INSERT INTO participant_counts (campaign_id, total) SELECT * FROM UNNEST($1::uuid[], $2::int8[]) \
             ON CONFLICT (campaign_id) DO UPDATE SET total = participant_counts.total + EXCLUDED.total",
        )
        .bind(campaigns)
        .bind(added)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

/// A list facet: campaign, channel, store visit and the name's initial.
type Facet = (Uuid, String, bool, String);

/// Adds freshly inserted entries to the list's facet counters.
async fn add_facet_counts(
    tx: &mut PgConnection,
    added: std::collections::HashMap<Facet, i64>,
) -> Result<(), ProjectionError> {
    let mut campaigns = Vec::with_capacity(added.len());
    let mut channels = Vec::with_capacity(added.len());
    let mut visited = Vec::with_capacity(added.len());
    let mut initials = Vec::with_capacity(added.len());
    let mut totals = Vec::with_capacity(added.len());
    for ((campaign, channel, store_visited, initial), total) in added {
        campaigns.push(campaign);
        channels.push(channel);
        visited.push(store_visited);
        initials.push(initial);
        totals.push(total);
    }
    sqlx::query(
        "INSERT INTO participant_facet_counts (campaign_id, channel, store_visited, initial, total) \
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::bool[], $4::text[], $5::int8[]) \
         ON CONFLICT (campaign_id, channel, store_visited, initial) \
         DO UPDATE SET total = participant_facet_counts.total + EXCLUDED.total",
    )
    .bind(campaigns)
    .bind(channels)
    .bind(visited)
    .bind(initials)
    .bind(totals)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
