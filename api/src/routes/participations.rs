//! `POST /api/v1/participations`: a customer enters a campaign.
//!
//! Thin: the body goes to the `enter` use case (which parses it into domain
//! types, seals the personal data and appends through group commit) and its
//! receipt or error is mapped to HTTP.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use promo_application::participation::{self, EntryForm};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::ApiJson;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/participations", post(participate))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParticipationRequest {
    #[schema(value_type = uuid::Uuid, required = true)]
    pub event_id: Option<String>,
    /// At least 2 characters.
    #[schema(value_type = String, required = true, min_length = 2)]
    pub name: Option<String>,
    /// Korean mobile number: 010-1234-5678, 01012345678 or +82 10-1234-5678.
    #[schema(value_type = String, required = true)]
    pub phone_number: Option<String>,
    /// Entry path: URIDONGNETV, GINITV, RINGOBIZ, INSTAGRAM, NAVER, KAKAO, STORE_QR.
    #[schema(value_type = crate::openapi::enums::ChannelName, required = true)]
    pub channel: Option<String>,
    /// A store visit earns 3 entries instead of 1; it needs `storeVisitToken`.
    #[serde(default)]
    pub store_visited: bool,
    /// The token of the store's QR code (`GET /events/{id}/store-qr`), valid
    /// for this campaign on the day it was issued and the next (Korean time).
    pub store_visit_token: Option<String>,
    #[serde(default)]
    pub agree_privacy: bool,
    #[serde(default)]
    pub agree_marketing: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParticipationResponse {
    pub participant_id: Uuid,
    pub entry_number: String,
    pub event_id: Uuid,
    pub bonus_entries: u8,
    pub announcement_at: DateTime<Utc>,
    pub message: &'static str,
    /// The entrant's id exactly as in the draw's canonical entrant list
    /// (`GET /events/{id}/draw/entrants`), lowercase hex.
    pub entrant_id: String,
    pub prize: String,
}

/// Enters a campaign (public, no login). One entry per phone number per campaign.
#[utoipa::path(post, path = "/api/v1/participations", tag = "participations", request_body = ParticipationRequest,
    responses((status = 201, body = ParticipationResponse),
        (status = 400, body = ErrorBody, description = "VALIDATION_ERROR, among them storeVisitToken (storeVisited without a valid token) and channel (not published)"),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND"),
        (status = 409, body = ErrorBody, description = "PART_001 already entered, PART_002 not open, PART_005 ended"),
        (status = 413, body = ErrorBody, description = "PAYLOAD_TOO_LARGE"),
        (status = 429, body = ErrorBody, description = "RATE_LIMITED per client IP or per phone number; see the Retry-After header")))]
pub async fn participate(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ParticipationRequest>,
) -> Result<(StatusCode, Json<ParticipationResponse>), ApiError> {
    let form = EntryForm {
        event_id: body.event_id,
        name: body.name,
        phone_number: body.phone_number,
        channel: body.channel,
        store_visited: body.store_visited,
        store_visit_token: body.store_visit_token,
        agree_privacy: body.agree_privacy,
        agree_marketing: body.agree_marketing,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    let receipt = participation::enter(&state.app, form, ApiError::code_of).await?;
    Ok((
        StatusCode::CREATED,
        Json(ParticipationResponse {
            participant_id: receipt.participant_id,
            entry_number: receipt.entry_number,
            event_id: receipt.campaign_id,
            bonus_entries: receipt.bonus_entries,
            announcement_at: receipt.announcement_at,
            message: receipt.message,
            entrant_id: receipt.entrant_id,
            prize: receipt.prize,
        }),
    ))
}
