//! Crypto-shredding of a campaign's personal data (Korean PIPA: destroy
//! personal data once its purpose is fulfilled): the owner's
//! `POST /api/v1/events/{eventId}/personal-data/erase`, and the same
//! operation run by the retention task (`crate::retention`).
//!
//! Erasing (1) records `PersonalDataErased` on the campaign (the rule: only
//! the owner or the retention policy, only after the campaign has ended;
//! repeats are no-ops), then (2) destroys the campaign's data secret
//! (`campaign_secrets.data_secret = NULL`) and forgets the cached copy. The
//! participants projector destroys the secret again when it applies the
//! event, so a crash between (1) and (2) still ends with the key gone, and
//! masks every name and phone of the campaign as erased in the read models.
//! Sealed copies in the event store and on JetStream stay sealed forever.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use promo_domain::campaign::{CampaignCommand, Eraser};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Owner;
use crate::error::{from_aggregate_error, ApiError, ErrorBody};
use crate::routes::extract::CampaignId;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/events/{event_id}/personal-data/erase", post(erase))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErasureResponse {
    pub event_id: Uuid,
    /// Always true: the campaign's names and phone numbers are unreadable.
    pub personal_data_erased: bool,
    /// When the erasure was first recorded (a repeat returns the first time).
    pub erased_at: DateTime<Utc>,
}

/// Erases (crypto-shreds) every entrant's name and phone number of an ended
/// campaign. Counts, entry numbers and draw verification keep working; lists
/// show `(삭제됨)`. Idempotent.
#[utoipa::path(post, path = "/api/v1/events/{eventId}/personal-data/erase", tag = "privacy",
    params(("eventId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ErasureResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "ERASE_NOT_ALLOWED campaign still running")))]
pub async fn erase(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
) -> Result<Json<ErasureResponse>, ApiError> {
    state.owned_campaign(campaign_id, &owner).await?;
    let erased_at = erase_personal_data(&state, campaign_id, Eraser::Owner(owner)).await?;
    Ok(Json(ErasureResponse {
        event_id: campaign_id,
        personal_data_erased: true,
        erased_at,
    }))
}

/// Records the erasure (unless already recorded) and destroys the key.
/// Returns when the erasure was recorded.
pub async fn erase_personal_data(
    state: &AppState,
    campaign_id: Uuid,
    requested_by: Eraser,
) -> Result<DateTime<Utc>, ApiError> {
    let campaign = state.load_campaign(campaign_id).await?;
    let erased_at = match campaign.personal_data_erased_at {
        Some(at) => at,
        None => {
            let now = state.now();
            state
                .campaigns
                .execute(
                    &campaign_id.to_string(),
                    CampaignCommand::ErasePersonalData {
                        requested_by,
                        erased_at: now,
                    },
                )
                .await
                .map_err(|e| from_aggregate_error(e, ApiError::concurrent_update))?;
            state.appended(1);
            state
                .load_campaign(campaign_id)
                .await?
                .personal_data_erased_at
                .unwrap_or(now)
        }
    };
    let destroyed = state
        .secrets
        .shred(campaign_id)
        .await
        .map_err(ApiError::internal)?;
    if destroyed {
        tracing::info!(%campaign_id, "personal data crypto-shredded");
    }
    Ok(erased_at)
}
