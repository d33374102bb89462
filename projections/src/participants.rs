//! The participant list read model (`participants`, `participant_counts`):
//! one row per entry with name and phone already masked, newest first, plus
//! a per-campaign total so the unfiltered count is a single row read.
//!
//! Plaintext never reaches this table: the projector opens the sealed
//! personal data with the campaign key only to mask it. Once a campaign's
//! key is shredded, rows built from then on show the erased marker.

use std::sync::Arc;

use promo_domain::campaign::CampaignEvent;
use promo_domain::entrant::{mask_name, PhoneNumber};
use promo_domain::participation::ParticipationEvent;
use promo_domain::privacy;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::projector::{Projection, ProjectionError};
use crate::secrets::SecretStore;
use crate::store::StoredEvent;

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

const ERASED_EVENT: &str = "PersonalDataErased";

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
    let decoded: CampaignEvent = serde_json::from_value(event.payload.clone())
        .map_err(|e| ProjectionError::undecodable(event, e))?;
    let CampaignEvent::PersonalDataErased { campaign_id, .. } = decoded else {
        return Ok(());
    };
    crate::secrets::shred_in(tx, campaign_id)
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
    Ok(())
}

#[async_trait::async_trait]
impl Projection for ParticipantsProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["participants", "participant_counts"]
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        if let Some(draw) = crate::draws::recorded_draw(event)? {
            return crate::draws::mark_winners(tx, &draw).await;
        }
        if event.aggregate_type == "Campaign" && event.event_type == ERASED_EVENT {
            return apply_erasure(tx, &self.secrets, event).await;
        }
        if event.aggregate_type != "Participation" {
            return Ok(());
        }
        let decoded: ParticipationEvent = serde_json::from_value(event.payload.clone())
            .map_err(|e| ProjectionError::undecodable(event, e))?;
        match decoded {
            ParticipationEvent::ParticipantRegistered {
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
            } => {
                let masked = masked_personal_data(
                    &self.secrets,
                    campaign_id,
                    participant_id,
                    &personal_data,
                )
                .await?;
                let inserted = sqlx::query(
                    "INSERT INTO participants (campaign_id, participant_id, pid, entry_number, name_masked, \
                     phone_masked, phone_last4, channel, store_visited, bonus_entries, agree_marketing, participated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING",
                )
                .bind(campaign_id)
                .bind(participant_id)
                .bind(pid)
                .bind(entry_number)
                .bind(masked.name)
                .bind(masked.phone)
                .bind(masked.phone_last4)
                .bind(channel.as_str())
                .bind(store_visited)
                .bind(bonus_entries as i32)
                .bind(agree_marketing)
                .bind(registered_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 1 {
                    sqlx::query(
                        "INSERT INTO participant_counts (campaign_id, total) VALUES ($1, 1) \
                         ON CONFLICT (campaign_id) DO UPDATE SET total = participant_counts.total + 1",
                    )
                    .bind(campaign_id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        Ok(())
    }
}
