//! The prizes read model (`prize_campaigns`, `prize_winners`,
//! `prize_unawarded`): each published campaign's claim period, and every
//! current and former winner with their claim status and deadline, built
//! from `CampaignPublished`, `WinnersDrawn` and the prize delivery events
//! of the draw aggregate. The claim deadline job scans it for overdue
//! winners and the retention job for campaigns whose claims closed long
//! enough ago. Ids and entry numbers only: no name, no phone.
//!
//! Also the winner marks that follow promotions in the participant list,
//! applied by the participants projection through [`mark_promotions`].
//!
//! Idempotent: inserts ignore what is there, updates are assignments.

pub mod queries;

use chrono::{DateTime, Utc};
use promo_domain::campaign::CampaignEvent;
use promo_domain::draw::claims::{self, ClaimStatus};
use promo_domain::draw::{DrawEvent, DrawRecord};
use promo_domain::draw_protocol::DEFAULT_CLAIM_DAYS;
use promo_eventstore::codec::DomainEvent;
use promo_eventstore::store::StoredEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::projector::{Projection, ProjectionError};

pub const NAME: &str = "prizes";

pub struct PrizesProjection;

fn rank(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

#[async_trait::async_trait]
impl Projection for PrizesProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["prize_campaigns", "prize_winners", "prize_unawarded"]
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        if event.is_registration() {
            return Ok(());
        }
        let decoded = event
            .decode()
            .map_err(|e| ProjectionError::undecodable(event, e))?;
        match decoded {
            DomainEvent::Campaign(CampaignEvent::CampaignPublished {
                campaign_id,
                details,
                ..
            }) => {
                let days = details
                    .draw
                    .rules()
                    .map_or(DEFAULT_CLAIM_DAYS, |r| r.claim_days());
                sqlx::query(
                    "INSERT INTO prize_campaigns (campaign_id, announcement_at, claim_days, claims_close_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (campaign_id) DO NOTHING",
                )
                .bind(campaign_id)
                .bind(details.announcement_at)
                .bind(rank(days))
                .bind(claims::campaign_claim_deadline(details.announcement_at, days))
                .execute(&mut *tx)
                .await?;
            }
            DomainEvent::Draw(DrawEvent::WinnersDrawn(record)) => drawn(tx, &record).await?,
            DomainEvent::Draw(change) => claim_changed(tx, change).await?,
            _ => {}
        }
        Ok(())
    }
}

/// The drawn winners, pending, with the campaign's claim deadline.
async fn drawn(tx: &mut PgConnection, record: &DrawRecord) -> Result<(), ProjectionError> {
    let announcement: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT announcement_at FROM prize_campaigns WHERE campaign_id = $1")
            .bind(record.campaign_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(announcement) = announcement else {
        // Cannot happen in global order (a campaign is published before it
        // is drawn); skipping keeps the projector alive if it ever did.
        tracing::warn!(campaign_id = %record.campaign_id, "draw of an unpublished campaign; prizes not projected");
        return Ok(());
    };
    let deadline = claims::campaign_claim_deadline(announcement, claims::claim_days(record));
    let ids: Vec<Uuid> = record.winners.iter().map(|w| w.participant_id).collect();
    let ranks: Vec<i32> = record.winners.iter().map(|w| rank(w.rank)).collect();
    let entries: Vec<String> = record
        .winners
        .iter()
        .map(|w| w.entry_number.clone())
        .collect();
    sqlx::query(
        "INSERT INTO prize_winners (campaign_id, participant_id, rank, drawn_rank, entry_number, \
         status, claim_deadline, won_at, promoted) \
         SELECT $1, w.id, w.rank, w.rank, w.entry, $2, $3, $4, false \
         FROM UNNEST($5::uuid[], $6::int4[], $7::text[]) AS w(id, rank, entry) \
         ON CONFLICT DO NOTHING",
    )
    .bind(record.campaign_id)
    .bind(ClaimStatus::Pending.as_str())
    .bind(deadline)
    .bind(record.drawn_at)
    .bind(ids)
    .bind(ranks)
    .bind(entries)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A claim, forfeit, promotion or unawarded prize.
async fn claim_changed(tx: &mut PgConnection, change: DrawEvent) -> Result<(), ProjectionError> {
    match change {
        DrawEvent::WinnersDrawn(_) => {}
        DrawEvent::PrizeClaimed(e) => {
            sqlx::query(
                "UPDATE prize_winners SET status = $3, claimed_at = $4 \
                 WHERE campaign_id = $1 AND participant_id = $2",
            )
            .bind(e.campaign_id)
            .bind(e.participant_id)
            .bind(ClaimStatus::Claimed.as_str())
            .bind(e.claimed_at)
            .execute(&mut *tx)
            .await?;
        }
        DrawEvent::PrizeForfeited(e) => {
            sqlx::query(
                "UPDATE prize_winners SET status = $3, forfeited_at = $4, forfeit_cause = $5, \
                 forfeit_reason = $6 WHERE campaign_id = $1 AND participant_id = $2",
            )
            .bind(e.campaign_id)
            .bind(e.participant_id)
            .bind(ClaimStatus::Forfeited.as_str())
            .bind(e.forfeited_at)
            .bind(e.cause.as_str())
            .bind(&e.reason)
            .execute(&mut *tx)
            .await?;
        }
        DrawEvent::AlternatePromoted(e) => {
            sqlx::query(
                "INSERT INTO prize_winners (campaign_id, participant_id, rank, drawn_rank, entry_number, \
                 status, claim_deadline, won_at, promoted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(e.campaign_id)
            .bind(e.participant_id)
            .bind(rank(e.rank))
            .bind(rank(e.alternate_rank))
            .bind(&e.entry_number)
            .bind(ClaimStatus::Pending.as_str())
            .bind(e.claim_deadline)
            .bind(e.promoted_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE prize_campaigns SET claims_close_at = greatest(claims_close_at, $2) \
                 WHERE campaign_id = $1",
            )
            .bind(e.campaign_id)
            .bind(e.claim_deadline)
            .execute(&mut *tx)
            .await?;
        }
        DrawEvent::PrizeUnawarded(e) => {
            sqlx::query(
                "INSERT INTO prize_unawarded (campaign_id, rank, unawarded_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(e.campaign_id)
            .bind(rank(e.rank))
            .bind(e.unawarded_at)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// The participant list follows promotions: a forfeited winner is no longer
/// marked, a promoted alternate is marked with the rank taken over. Returns
/// whether `event` was such a change.
pub async fn mark_promotions(
    tx: &mut PgConnection,
    event: &StoredEvent,
) -> Result<bool, ProjectionError> {
    if event.aggregate_type != <promo_domain::draw::Draw as cqrs_es::Aggregate>::TYPE {
        return Ok(false);
    }
    match crate::projector::decode::<DrawEvent>(event)? {
        DrawEvent::PrizeForfeited(e) => {
            sqlx::query(
                "UPDATE participants SET is_winner = false, winner_rank = NULL, won_at = NULL \
                 WHERE campaign_id = $1 AND participant_id = $2",
            )
            .bind(e.campaign_id)
            .bind(e.participant_id)
            .execute(&mut *tx)
            .await?;
            Ok(true)
        }
        DrawEvent::AlternatePromoted(e) => {
            sqlx::query(
                "UPDATE participants SET is_winner = true, winner_rank = $3, won_at = $4 \
                 WHERE campaign_id = $1 AND participant_id = $2",
            )
            .bind(e.campaign_id)
            .bind(e.participant_id)
            .bind(rank(e.rank))
            .bind(e.promoted_at)
            .execute(&mut *tx)
            .await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
