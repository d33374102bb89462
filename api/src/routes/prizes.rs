//! Prize delivery endpoints (owner only): the winners with their claims,
//! recording a claim, forfeiting a winner (the next published alternate
//! takes the prize), and, in [`contacts`], the winners' full contacts and
//! the access log. Thin: the rules are the draw aggregate's, run by
//! `promo_application::claims`.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use promo_application::claims::{self, Promotion};
use promo_application::draws::{self, Masked};
use promo_domain::draw::claims::{ClaimStatus, Holder};
use promo_projections::notifications::outbox::{self, DeliveryStatus};
use promo_projections::notifications::NotificationKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Owner;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::{ApiJson, CampaignId};
use crate::state::AppState;

pub mod contacts;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events/{event_id}/winners", get(winners))
        .route(
            "/api/v1/events/{event_id}/winners/contacts",
            get(contacts::contacts),
        )
        .route(
            "/api/v1/events/{event_id}/access-log",
            get(contacts::access_log),
        )
        .route(
            "/api/v1/events/{event_id}/winners/{participant_id}/claim",
            post(claim),
        )
        .route(
            "/api/v1/events/{event_id}/winners/{participant_id}/forfeit",
            post(forfeit),
        )
}

/// `{eventId}` and `{participantId}`: a campaign id that is not a UUID
/// names no campaign, a participant id that is not one names no winner.
pub struct WinnerPath {
    pub campaign_id: Uuid,
    pub participant_id: Uuid,
}

impl<S: Send + Sync> FromRequestParts<S> for WinnerPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path((campaign, participant)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state).await?;
        let campaign_id = Uuid::parse_str(&campaign).map_err(|_| ApiError::CampaignNotFound)?;
        let participant_id = Uuid::parse_str(&participant).map_err(|_| {
            ApiError::NotAWinner(promo_domain::draw::DrawError::NotAWinner.to_string())
        })?;
        Ok(Self {
            campaign_id,
            participant_id,
        })
    }
}

/// How a winner notice's delivery stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationView {
    /// `RECORDED` (no gateway configured: kept, not sent), `PENDING` (being
    /// delivered), `SENT` or `FAILED` (given up).
    pub status: String,
    pub attempts: i32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
}

impl From<DeliveryStatus> for NotificationView {
    fn from(status: DeliveryStatus) -> Self {
        Self {
            status: status.delivery_status,
            attempts: status.attempts,
            last_attempt_at: status.last_attempt_at,
            sent_at: status.sent_at,
            last_error: status.last_error,
        }
    }
}

// ---------------------------------------------------------------------------
// GET /api/v1/events/{eventId}/winners
// ---------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WinnerItem {
    /// The prize rank, 1 first.
    pub rank: u32,
    pub participant_id: Uuid,
    pub entry_number: String,
    /// Masked, e.g. 김**.
    pub name: String,
    /// Masked, e.g. 010-****-1234.
    pub phone_number: String,
    /// When they became this prize's winner (the draw, or their promotion).
    pub won_at: DateTime<Utc>,
    /// `PENDING`, `CLAIMED`, or `FORFEITED` (only on an unawarded rank).
    pub claim_status: &'static str,
    pub claim_deadline: DateTime<Utc>,
    /// Promoted from the alternates.
    pub promoted: bool,
    /// No alternate was left when this rank was forfeited: the prize is not
    /// awarded, and the entry shows who forfeited it last.
    pub unawarded: bool,
    /// The winner notice's delivery (`null` until it is recorded).
    pub notification: Option<NotificationView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForfeitedItem {
    pub rank: u32,
    pub participant_id: Uuid,
    pub entry_number: String,
    /// Masked.
    pub name: String,
    /// Masked.
    pub phone_number: String,
    pub forfeited_at: DateTime<Utc>,
    /// `OWNER_DECISION` or `CLAIM_DEADLINE_PASSED`.
    pub cause: &'static str,
    pub reason: String,
    /// Who took the rank (`null`: unawarded).
    pub replaced_by: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WinnersResponse {
    /// One per prize, rank 1 first: the current winner, or the rank marked unawarded.
    pub winners: Vec<WinnerItem>,
    /// Everyone who lost a prize, in order.
    pub forfeited: Vec<ForfeitedItem>,
}

/// The campaign's prizes, rank 1 first: current winners (promoted
/// alternates included) with their claims, masked (owner only).
#[utoipa::path(get, path = "/api/v1/events/{eventId}/winners", tag = "prizes",
    params(("eventId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = WinnersResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND, PART_008 no draw yet")))]
pub async fn winners(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
) -> Result<Json<WinnersResponse>, ApiError> {
    let app = &state.app;
    let board = claims::board(app, &owner, campaign_id).await?;
    let claims = &board.claims;
    let shown: Vec<(u32, &Holder, bool)> = claims
        .prizes
        .iter()
        .filter_map(|prize| match &prize.holder {
            Some(holder) => Some((prize.rank, holder, false)),
            None => claims
                .forfeited
                .iter()
                .rev()
                .find(|f| f.rank == prize.rank)
                .map(|f| (prize.rank, &f.holder, true)),
        })
        .collect();
    let mut ids: Vec<Uuid> = shown.iter().map(|(_, h, _)| h.participant_id).collect();
    ids.extend(claims.forfeited.iter().map(|f| f.holder.participant_id));
    let masked = draws::masked_entrants(app, campaign_id, &ids).await?;
    let notified = outbox::statuses(&app.pool, campaign_id, NotificationKind::Winner, &ids).await?;
    Ok(Json(WinnersResponse {
        winners: shown
            .into_iter()
            .map(|(rank, holder, unawarded)| {
                let (name, phone_number) = masked_pair(&masked, holder.participant_id);
                WinnerItem {
                    rank,
                    participant_id: holder.participant_id,
                    entry_number: holder.entry_number.clone(),
                    name,
                    phone_number,
                    won_at: holder.since,
                    claim_status: holder.status.as_str(),
                    claim_deadline: holder.deadline(board.campaign_deadline),
                    promoted: holder.promoted(),
                    unawarded,
                    notification: notified
                        .get(&holder.participant_id)
                        .cloned()
                        .map(NotificationView::from),
                }
            })
            .collect(),
        forfeited: claims
            .forfeited
            .iter()
            .map(|f| {
                let (name, phone_number) = masked_pair(&masked, f.holder.participant_id);
                ForfeitedItem {
                    rank: f.rank,
                    participant_id: f.holder.participant_id,
                    entry_number: f.holder.entry_number.clone(),
                    name,
                    phone_number,
                    forfeited_at: f.forfeited_at,
                    cause: f.cause.as_str(),
                    reason: f.reason.clone(),
                    replaced_by: f.successor.as_ref().map(|s| s.participant_id),
                }
            })
            .collect(),
    }))
}

fn masked_pair(masked: &HashMap<Uuid, Masked>, id: Uuid) -> (String, String) {
    let Masked { name, phone } = masked.get(&id).cloned().unwrap_or_default();
    (name, phone)
}

// ---------------------------------------------------------------------------
// POST /api/v1/events/{eventId}/winners/{participantId}/claim and /forfeit
// ---------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClaimResponse {
    pub participant_id: Uuid,
    pub rank: u32,
    /// `CLAIMED`.
    pub claim_status: &'static str,
    pub claimed_at: DateTime<Utc>,
}

/// Records that a current winner received the prize (owner only). A repeat
/// answers the first claim.
#[utoipa::path(post, path = "/api/v1/events/{eventId}/winners/{participantId}/claim",
    tag = "prizes", params(("eventId" = Uuid, Path), ("participantId" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ClaimResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND, PART_008 no draw yet, PART_003 not a winner"),
        (status = 409, body = ErrorBody, description = "CLAIM_NOT_ALLOWED forfeited, or the claim deadline passed")))]
pub async fn claim(
    State(state): State<AppState>,
    Owner(owner): Owner,
    path: WinnerPath,
) -> Result<Json<ClaimResponse>, ApiError> {
    let (rank, claimed_at) =
        claims::claim(&state.app, &owner, path.campaign_id, path.participant_id).await?;
    Ok(Json(ClaimResponse {
        participant_id: path.participant_id,
        rank,
        claim_status: ClaimStatus::Claimed.as_str(),
        claimed_at,
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForfeitRequest {
    /// Why the winner loses the prize, 1 to 200 characters (kept in the record).
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromotedItem {
    pub rank: u32,
    pub participant_id: Uuid,
    pub entry_number: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForfeitResponse {
    pub participant_id: Uuid,
    /// `FORFEITED`.
    pub claim_status: &'static str,
    /// The first unused alternate of the published order, now holding the
    /// freed rank; `null` when none was left (the prize is unawarded).
    pub promoted: Option<PromotedItem>,
}

/// Forfeits a winner who has not claimed (owner only); the next unused
/// alternate in the published order takes the prize. A repeat answers the
/// same promotion.
#[utoipa::path(post, path = "/api/v1/events/{eventId}/winners/{participantId}/forfeit",
    tag = "prizes", request_body = ForfeitRequest,
    params(("eventId" = Uuid, Path), ("participantId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ForfeitResponse),
        (status = 400, body = ErrorBody, description = "VALIDATION_ERROR reason missing or too long"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND, PART_008 no draw yet, PART_003 not a winner"),
        (status = 409, body = ErrorBody, description = "CLAIM_NOT_ALLOWED the prize was claimed")))]
pub async fn forfeit(
    State(state): State<AppState>,
    Owner(owner): Owner,
    path: WinnerPath,
    ApiJson(body): ApiJson<ForfeitRequest>,
) -> Result<Json<ForfeitResponse>, ApiError> {
    let promoted = claims::forfeit(
        &state.app,
        &owner,
        path.campaign_id,
        path.participant_id,
        body.reason.unwrap_or_default(),
    )
    .await?;
    Ok(Json(ForfeitResponse {
        participant_id: path.participant_id,
        claim_status: ClaimStatus::Forfeited.as_str(),
        promoted: promoted.map(
            |Promotion {
                 rank,
                 participant_id,
                 entry_number,
             }| PromotedItem {
                rank,
                participant_id,
                entry_number,
            },
        ),
    }))
}
