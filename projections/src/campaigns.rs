//! The campaign read model (`campaigns` table): what `GET /events/{id}` and
//! the owner checks of list endpoints read.

use promo_domain::campaign::{CampaignEvent, CampaignStatus};
use sqlx::PgConnection;

use crate::projector::{Projection, ProjectionError};
use promo_eventstore::store::StoredEvent;

pub struct CampaignsProjection;

pub const NAME: &str = "campaigns";

#[async_trait::async_trait]
impl Projection for CampaignsProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["campaigns"]
    }

    /// One arm per campaign event kind, each one statement on the
    /// `campaigns` row; long only because the row is wide.
    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        if !event.is_campaign_event() {
            return Ok(());
        }
        let decoded: CampaignEvent = crate::projector::decode(event)?;
        match decoded {
            CampaignEvent::CampaignDraftCreated {
                campaign_id,
                owner_id,
                objective,
                store,
                created_at,
            } => {
                sqlx::query(
                    "INSERT INTO campaigns (campaign_id, owner_id, objective, store_name, industry, address, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (campaign_id) DO NOTHING",
                )
                .bind(campaign_id)
                .bind(owner_id)
                .bind(objective.as_str())
                .bind(store.store_name)
                .bind(store.industry)
                .bind(store.address)
                .bind(CampaignStatus::Draft.as_str())
                .bind(created_at)
                .execute(&mut *tx)
                .await?;
            }
            CampaignEvent::CampaignDraftEdited {
                campaign_id,
                objective,
                store,
                ..
            } => {
                sqlx::query(
                    "UPDATE campaigns SET objective = $2, store_name = $3, industry = $4, address = $5 \
                     WHERE campaign_id = $1",
                )
                .bind(campaign_id)
                .bind(objective.as_str())
                .bind(store.store_name)
                .bind(store.industry)
                .bind(store.address)
                .execute(&mut *tx)
                .await?;
            }
            CampaignEvent::CampaignPublished {
                campaign_id,
                details,
                seed_commitment,
                published_at,
            } => {
                let channels = serde_json::to_value(&details.channels)
                    .map_err(|e| ProjectionError::undecodable(event, e))?;
                sqlx::query(
                    "UPDATE campaigns SET status = $2, title = $3, prize = $4, starts_at = $5, ends_at = $6, \
                     announcement_at = $7, winner_count = $8, channels = $9, target_participants = $10, \
                     seed_commitment = $11, published_at = $12 WHERE campaign_id = $1",
                )
                .bind(campaign_id)
                .bind(CampaignStatus::Active.as_str())
                .bind(details.title)
                .bind(details.prize)
                .bind(details.starts_at)
                .bind(details.ends_at)
                .bind(details.announcement_at)
                .bind(details.draw.winner_count() as i32)
                .bind(channels)
                .bind(details.target_participants as i32)
                .bind(seed_commitment)
                .bind(published_at)
                .execute(&mut *tx)
                .await?;
            }
            CampaignEvent::CampaignEnded {
                campaign_id,
                ended_at,
            } => {
                sqlx::query(
                    "UPDATE campaigns SET status = $2, ended_at = $3 WHERE campaign_id = $1",
                )
                .bind(campaign_id)
                .bind(CampaignStatus::Ended.as_str())
                .bind(ended_at)
                .execute(&mut *tx)
                .await?;
            }
            CampaignEvent::PersonalDataErased {
                campaign_id,
                erased_at,
                ..
            } => {
                sqlx::query(
                    "UPDATE campaigns SET personal_data_erased_at = $2 WHERE campaign_id = $1",
                )
                .bind(campaign_id)
                .bind(erased_at)
                .execute(&mut *tx)
                .await?;
            }
        }
        Ok(())
    }
}

/// Queries of the campaign read model used by background jobs.
pub mod queries {
    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use promo_domain::channel::Channel;
    use sqlx::{PgPool, Row};
    use uuid::Uuid;

    /// Campaigns whose personal data is still kept although their
    /// announcement was more than `retention` before `now`, oldest first.
    pub async fn due_for_erasure(
        pool: &PgPool,
        retention: Duration,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT campaign_id FROM campaigns \
             WHERE personal_data_erased_at IS NULL AND announcement_at IS NOT NULL \
               AND announcement_at + make_interval(secs => $1) <= $2 \
             ORDER BY announcement_at LIMIT $3",
        )
        .bind(retention.as_secs_f64())
        .bind(now)
        .bind(limit)
        .fetch_all(pool)
        .await
    }

    /// One owner's campaign as their list shows it.
    #[derive(Debug, Clone)]
    pub struct OwnedCampaign {
        pub campaign_id: Uuid,
        pub status: String,
        pub title: Option<String>,
        pub store_name: String,
        pub starts_at: Option<DateTime<Utc>>,
        pub ends_at: Option<DateTime<Utc>>,
        pub ended_at: Option<DateTime<Utc>>,
        pub participants: i64,
    }

    /// A page (from 1) of the owner's campaigns, newest first, optionally of
    /// one stored status, and the total. `ACTIVE` past its end time is
    /// listed as `ENDED`, as the campaign view shows it.
    pub async fn owned_by(
        pool: &PgPool,
        owner_id: &str,
        status: Option<&str>,
        now: DateTime<Utc>,
        page: i64,
        size: i64,
    ) -> Result<(Vec<OwnedCampaign>, i64), sqlx::Error> {
        const EFFECTIVE: &str = "CASE WHEN c.status = 'ACTIVE' AND c.ends_at <= $2 THEN 'ENDED' \
                                 ELSE c.status END";
        let rows = sqlx::query(&format!(
            "SELECT c.campaign_id, {EFFECTIVE} AS status, c.title, c.store_name, c.starts_at, \
                    c.ends_at, c.ended_at, COALESCE(n.total, 0)::int8 AS participants \
             FROM campaigns c LEFT JOIN participant_counts n ON n.campaign_id = c.campaign_id \
             WHERE c.owner_id = $1 AND ($3::text IS NULL OR {EFFECTIVE} = $3) \
             ORDER BY c.created_at DESC, c.campaign_id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(owner_id)
        .bind(now)
        .bind(status)
        .bind(size)
        .bind((page - 1) * size)
        .fetch_all(pool)
        .await?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM campaigns c WHERE c.owner_id = $1 \
             AND ($3::text IS NULL OR {EFFECTIVE} = $3) AND $2::timestamptz IS NOT NULL"
        ))
        .bind(owner_id)
        .bind(now)
        .bind(status)
        .fetch_one(pool)
        .await?;
        let campaigns = rows
            .iter()
            .map(|row| {
                Ok(OwnedCampaign {
                    campaign_id: row.try_get("campaign_id")?,
                    status: row.try_get("status")?,
                    title: row.try_get("title")?,
                    store_name: row.try_get("store_name")?,
                    starts_at: row.try_get("starts_at")?,
                    ends_at: row.try_get("ends_at")?,
                    ended_at: row.try_get("ended_at")?,
                    participants: row.try_get("participants")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((campaigns, total))
    }

    /// Published campaigns still running after `since`, with their channels.
    pub async fn running_since(
        pool: &PgPool,
        since: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, Vec<Channel>)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT campaign_id, channels FROM campaigns WHERE published_at IS NOT NULL \
             AND COALESCE(ended_at, ends_at) > $1",
        )
        .bind(since)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                let channels: serde_json::Value = row.try_get("channels")?;
                let channels: Vec<Channel> = serde_json::from_value(channels).unwrap_or_default();
                Ok((row.try_get("campaign_id")?, channels))
            })
            .collect()
    }
}
