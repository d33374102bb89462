//! Queries of the prizes read model.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// Winners still `PENDING` whose claim deadline is at or before `now`,
/// earliest first: `(campaign, participant)`.
pub async fn overdue(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(Uuid, Uuid)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT campaign_id, participant_id FROM prize_winners \
         WHERE status = 'PENDING' AND claim_deadline <= $1 \
         ORDER BY claim_deadline, campaign_id, participant_id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Published campaigns, personal data not yet erased, whose claims closed
/// (the latest claim deadline of the campaign) at least `retention` before
/// `now`, earliest first. A campaign this read model has not seen yet is
/// not due: retention never runs ahead of what is known about its prizes.
pub async fn due_for_erasure(
    pool: &PgPool,
    retention: Duration,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT p.campaign_id FROM prize_campaigns p JOIN campaigns c USING (campaign_id) \
         WHERE c.personal_data_erased_at IS NULL \
           AND p.claims_close_at + make_interval(secs => $1) <= $2 \
         ORDER BY p.claims_close_at LIMIT $3",
    )
    .bind(retention.as_secs_f64())
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A participant's claim status (`PENDING`, `CLAIMED`, `FORFEITED`) if
/// they are or were a winner of the campaign.
pub async fn claim_status(
    pool: &PgPool,
    campaign_id: Uuid,
    participant_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT status FROM prize_winners WHERE campaign_id = $1 AND participant_id = $2",
    )
    .bind(campaign_id)
    .bind(participant_id)
    .fetch_optional(pool)
    .await
}

/// A campaign's prizes counted: the current winners (`claimed` + `pending`),
/// the winners who lost a prize, and the ranks left without a winner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrizeCounts {
    pub winners: i64,
    pub claimed: i64,
    pub pending: i64,
    pub forfeited: i64,
    pub unawarded: i64,
}

pub async fn counts(pool: &PgPool, campaign_id: Uuid) -> Result<PrizeCounts, sqlx::Error> {
    let (claimed, pending, forfeited, unawarded): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT \
           count(*) FILTER (WHERE status = 'CLAIMED'), \
           count(*) FILTER (WHERE status = 'PENDING'), \
           count(*) FILTER (WHERE status = 'FORFEITED'), \
           (SELECT count(*) FROM prize_unawarded WHERE campaign_id = $1) \
         FROM prize_winners WHERE campaign_id = $1",
    )
    .bind(campaign_id)
    .fetch_one(pool)
    .await?;
    Ok(PrizeCounts {
        winners: claimed + pending,
        claimed,
        pending,
        forfeited,
        unawarded,
    })
}
