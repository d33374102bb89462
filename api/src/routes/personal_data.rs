//! `POST /api/v1/events/{eventId}/personal-data/erase`: the owner
//! crypto-shreds the campaign's names and phone numbers (the `privacy` use
//! case, which the retention job calls too).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use promo_application::privacy;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Owner;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::{ApiQuery, CampaignId};
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

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EraseQuery {
    /// Erase even while a winner may still claim a prize (their contact is lost).
    #[serde(default)]
    pub force: bool,
}

/// Erases (crypto-shreds) every entrant's name and phone number of an ended
/// campaign. Counts, entry numbers and draw verification keep working; lists
/// show `(삭제됨)`. Refused while a winner is `PENDING` before their claim
/// deadline, unless `?force=true`. Idempotent.
#[utoipa::path(post, path = "/api/v1/events/{eventId}/personal-data/erase", tag = "privacy",
    params(("eventId" = Uuid, Path), EraseQuery), security(("bearer" = [])),
    responses((status = 200, body = ErasureResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "ERASE_NOT_ALLOWED campaign still running, or a winner may still claim")))]
pub async fn erase(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
    ApiQuery(query): ApiQuery<EraseQuery>,
) -> Result<Json<ErasureResponse>, ApiError> {
    let erased_at = privacy::erase_as_owner(&state.app, &owner, campaign_id, query.force).await?;
    Ok(Json(ErasureResponse {
        event_id: campaign_id,
        personal_data_erased: true,
        erased_at,
    }))
}
