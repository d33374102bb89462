//! The draw log read model (`draw_logs`, SPEC "Draw" plus the verification
//! fields): one row per campaign, written from `WinnersDrawn`. Also the
//! winner marks of the participant list, applied by the participants
//! projection through [`mark_winners`].
//!
//! Idempotent: the row is keyed by campaign (`ON CONFLICT DO NOTHING`) and the
//! winner marks are plain assignments, so redelivery and replay are harmless.

use cqrs_es::Aggregate;
use promo_domain::draw::{Draw, DrawEvent, DrawRecord};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::projector::{Projection, ProjectionError};
use promo_eventstore::store::StoredEvent;

pub const NAME: &str = "draws";

pub struct DrawsProjection;

/// The recorded draw of a `WinnersDrawn` event; `None` for any other event.
pub fn recorded_draw(event: &StoredEvent) -> Result<Option<DrawRecord>, ProjectionError> {
    if event.aggregate_type != Draw::TYPE {
        return Ok(None);
    }
    let decoded: DrawEvent = crate::projector::decode(event)?;
    match decoded {
        DrawEvent::WinnersDrawn(record) => Ok(Some(*record)),
        // Claims and substitution: the prizes read model's.
        _ => Ok(None),
    }
}

/// Sets `is_winner`, `winner_rank` and `won_at` on the draw's winners in the
/// participant list. Alternates stay unmarked until they replace a winner.
pub async fn mark_winners(
    tx: &mut PgConnection,
    record: &DrawRecord,
) -> Result<(), ProjectionError> {
    let ids: Vec<Uuid> = record.winners.iter().map(|w| w.participant_id).collect();
    let ranks: Vec<i32> = record
        .winners
        .iter()
        .map(|w| i32::try_from(w.rank).unwrap_or(i32::MAX))
        .collect();
    sqlx::query(
        "UPDATE participants AS p SET is_winner = true, winner_rank = w.rank, won_at = $2 \
         FROM UNNEST($3::uuid[], $4::int4[]) AS w(participant_id, rank) \
         WHERE p.campaign_id = $1 AND p.participant_id = w.participant_id",
    )
    .bind(record.campaign_id)
    .bind(record.drawn_at)
    .bind(ids)
    .bind(ranks)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl Projection for DrawsProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["draw_logs"]
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let Some(record) = recorded_draw(event)? else {
            return Ok(());
        };
        let json =
            serde_json::to_value(&record).map_err(|e| ProjectionError::undecodable(event, e))?;
        sqlx::query(
            "INSERT INTO draw_logs (draw_id, campaign_id, total_participants, winner_count, \
             apply_store_visit_bonus, algorithm, drawn_at, drawn_by, protocol_version, commitment, \
             server_seed, list_hash, seed, params, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (campaign_id) DO NOTHING",
        )
        .bind(record.draw_id)
        .bind(record.campaign_id)
        .bind(i64::try_from(record.entrant_count).unwrap_or(i64::MAX))
        .bind(i32::try_from(record.winner_count).unwrap_or(i32::MAX))
        .bind(record.bonus_applied)
        .bind(record.algorithm.as_str())
        .bind(record.drawn_at)
        .bind(&record.drawn_by)
        .bind(&record.protocol_version)
        .bind(&record.commitment)
        .bind(&record.server_seed)
        .bind(&record.list_hash)
        .bind(&record.seed)
        .bind(&record.params)
        .bind(json)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

/// Queries of the draw log.
pub mod queries {
    use promo_domain::draw::DrawRecord;
    use sqlx::PgPool;
    use uuid::Uuid;

    /// The logged draw record of a campaign, if the projection has it yet.
    pub async fn record(
        pool: &PgPool,
        campaign_id: Uuid,
    ) -> Result<Option<DrawRecord>, sqlx::Error> {
        let logged: Option<serde_json::Value> =
            sqlx::query_scalar("SELECT record FROM draw_logs WHERE campaign_id = $1")
                .bind(campaign_id)
                .fetch_optional(pool)
                .await?;
        logged
            .map(|json| serde_json::from_value(json).map_err(|e| sqlx::Error::Decode(Box::new(e))))
            .transpose()
    }

    /// Which of the given campaigns the draw log holds a draw of.
    pub async fn drawn_among(
        pool: &PgPool,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        sqlx::query_scalar("SELECT campaign_id FROM draw_logs WHERE campaign_id = ANY($1)")
            .bind(campaign_ids)
            .fetch_all(pool)
            .await
    }
}
