//! The access log read model (`personal_data_access_log`): every look at
//! unmasked personal data, one row per `PersonalDataAccessed`, for the
//! owner's `GET /events/{id}/access-log`. Ids only.
//!
//! Idempotent: keyed by the access id (`ON CONFLICT DO NOTHING`).

use promo_domain::access::{AccessEvent, PersonalDataAccess};
use promo_eventstore::store::StoredEvent;
use sqlx::PgConnection;

use crate::projector::{Projection, ProjectionError};

pub const NAME: &str = "access_log";

pub struct AccessLogProjection;

#[async_trait::async_trait]
impl Projection for AccessLogProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["personal_data_access_log"]
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        use cqrs_es::Aggregate;
        if event.aggregate_type != PersonalDataAccess::TYPE {
            return Ok(());
        }
        let AccessEvent::PersonalDataAccessed {
            access_id,
            campaign_id,
            accessed_by,
            action,
            participant_ids,
            accessed_at,
        } = crate::projector::decode::<AccessEvent>(event)?;
        sqlx::query(
            "INSERT INTO personal_data_access_log (access_id, campaign_id, accessed_by, action, \
             participant_ids, accessed_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(access_id)
        .bind(campaign_id)
        .bind(accessed_by)
        .bind(action.as_str())
        .bind(participant_ids)
        .bind(accessed_at)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

/// Queries of the access log.
pub mod queries {
    use chrono::{DateTime, Utc};
    use sqlx::PgPool;
    use uuid::Uuid;

    /// One recorded access.
    #[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
    pub struct AccessEntry {
        pub accessed_at: DateTime<Utc>,
        pub accessed_by: String,
        pub action: String,
        pub participant_ids: Vec<Uuid>,
    }

    /// Every access to the campaign's unmasked personal data, oldest first.
    pub async fn entries(
        pool: &PgPool,
        campaign_id: Uuid,
    ) -> Result<Vec<AccessEntry>, sqlx::Error> {
        sqlx::query_as(
            "SELECT accessed_at, accessed_by, action, participant_ids FROM personal_data_access_log \
             WHERE campaign_id = $1 ORDER BY accessed_at, access_id",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await
    }
}
