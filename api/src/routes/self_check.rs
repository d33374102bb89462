//! Entrants check themselves (public, no login): `POST
//! /api/v1/events/{eventId}/entry-status` (rate-limited per client IP and
//! campaign in `crate::abuse`) and `GET /api/v1/events/{eventId}/winners/public`
//! (the masked 당첨자 발표). Thin: the `self_check` use cases decide.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use promo_application::self_check::{self, CheckEntry, EntryStatus, PublicWinner};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::{ApiJson, CampaignId};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events/{event_id}/entry-status", post(entry_status))
        .route(
            "/api/v1/events/{event_id}/winners/public",
            get(public_winners),
        )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryStatusRequest {
    /// The phone number entered with, in any accepted format.
    pub phone_number: Option<String>,
    /// The entry number of the receipt, e.g. EVT3F9A2C10-20251029-001.
    pub entry_number: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryStatusResponse {
    /// Always true: there is such an entry.
    pub entered: bool,
    /// After the draw: the entry is in the draw's published entrant list
    /// (`GET /draw/entrants`); null before.
    pub in_entrant_list: Option<bool>,
    /// After the draw: whether the entry won; null before.
    pub is_winner: Option<bool>,
    /// The winner's rank; null otherwise.
    pub rank: Option<u32>,
    /// A winner's claim: PENDING, CLAIMED or FORFEITED; null otherwise.
    pub claim_status: Option<&'static str>,
}

impl From<EntryStatus> for EntryStatusResponse {
    fn from(status: EntryStatus) -> Self {
        Self {
            entered: true,
            in_entrant_list: status.in_entrant_list,
            is_winner: status.is_winner,
            rank: status.rank,
            claim_status: status.claim_status.map(|c| c.as_str()),
        }
    }
}

/// An entrant checks their own entry by phone number and entry number
/// (public, rate-limited). No personal data in the answer.
#[utoipa::path(post, path = "/api/v1/events/{eventId}/entry-status", tag = "participations",
    params(("eventId" = Uuid, Path)), request_body = EntryStatusRequest,
    responses((status = 200, body = EntryStatusResponse),
        (status = 400, body = ErrorBody, description = "VALIDATION_ERROR"),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND, PART_003 no such entry"),
        (status = 429, body = ErrorBody, description = "RATE_LIMITED per client IP and campaign; see the Retry-After header")))]
pub async fn entry_status(
    State(state): State<AppState>,
    CampaignId(campaign_id): CampaignId,
    ApiJson(body): ApiJson<EntryStatusRequest>,
) -> Result<Json<EntryStatusResponse>, ApiError> {
    let status = self_check::entry_status(
        &state.app,
        CheckEntry {
            campaign_id,
            phone_number: body.phone_number,
            entry_number: body.entry_number,
        },
    )
    .await?;
    Ok(Json(status.into()))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicWinnerItem {
    pub rank: u32,
    /// Masked, e.g. 김**.
    pub name: String,
    /// Masked, e.g. 010-****-1234.
    pub phone_number: String,
    pub entry_number: String,
    /// PENDING, CLAIMED or FORFEITED.
    pub claim_status: &'static str,
}

impl From<PublicWinner> for PublicWinnerItem {
    fn from(winner: PublicWinner) -> Self {
        Self {
            rank: winner.rank,
            name: winner.name,
            phone_number: winner.phone_number,
            entry_number: winner.entry_number,
            claim_status: winner.claim_status.as_str(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicWinnersResponse {
    /// Rank 1 first.
    pub winners: Vec<PublicWinnerItem>,
    /// The public draw record (`promo verify <drawUrl>` re-runs the draw).
    pub draw_url: String,
}

/// The winners announcement (public, after the draw): ranks, masked names and
/// phones, entry numbers, and where to verify the draw.
#[utoipa::path(get, path = "/api/v1/events/{eventId}/winners/public", tag = "draws",
    params(("eventId" = Uuid, Path)),
    responses((status = 200, body = PublicWinnersResponse),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND, PART_008 no draw yet")))]
pub async fn public_winners(
    State(state): State<AppState>,
    CampaignId(campaign_id): CampaignId,
) -> Result<Json<PublicWinnersResponse>, ApiError> {
    let winners = self_check::public_winners(&state.app, campaign_id).await?;
    Ok(Json(PublicWinnersResponse {
        winners: winners.into_iter().map(Into::into).collect(),
        draw_url: state.absolute(&format!("/api/v1/events/{campaign_id}/draw")),
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_openapi_document_lists_the_entrant_and_store_qr_endpoints() {
        use utoipa::OpenApi;
        let doc = crate::openapi::ApiDoc::openapi();
        for path in [
            "/api/v1/events/{eventId}/entry-status",
            "/api/v1/events/{eventId}/winners/public",
            "/api/v1/events/{eventId}/store-qr",
        ] {
            assert!(doc.paths.paths.contains_key(path), "{path} missing");
        }
        let json = serde_json::to_value(&doc).unwrap();
        let request = &json["components"]["schemas"]["ParticipationRequest"]["properties"];
        assert!(request.get("storeVisitToken").is_some(), "{request}");
        let receipt = &json["components"]["schemas"]["ParticipationResponse"]["properties"];
        assert!(receipt.get("entrantId").is_some() && receipt.get("prize").is_some());
    }
}
