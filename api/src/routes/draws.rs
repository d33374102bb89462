//! Draw endpoints: the owner draws the winners once, after the campaign
//! ended (the `draw_winners` use case, see `promo_application::draws`);
//! anyone can read the draw log and its entrant list and re-run the draw
//! with `promo verify` (docs/draw-protocol.md).

use std::collections::HashMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use promo_application::campaigns;
use promo_application::draws::{self, DrawWinners, Masked};
use promo_domain::draw::DrawnEntrant;
use promo_eventstore::registrations;
use promo_eventstore::store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Owner;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::CampaignId;
use crate::state::AppState;

mod record;
pub use record::{DrawLogResponse, PublishedWinner};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events/{event_id}/draw-winners", post(draw_winners))
        .route("/api/v1/events/{event_id}/draw", get(show_draw))
        .route("/api/v1/events/{event_id}/draw/entrants", get(entrant_list))
}

fn entrant_list_path(campaign_id: Uuid) -> String {
    format!("/api/v1/events/{campaign_id}/draw/entrants")
}

fn draw_path(campaign_id: Uuid) -> String {
    format!("/api/v1/events/{campaign_id}/draw")
}

// ---------------------------------------------------------------------------
// POST /api/v1/events/{eventId}/draw-winners
// ---------------------------------------------------------------------------

/// Optional: the draw rules were fixed when the campaign was published
/// (draw/v2), so no body is needed. A body may repeat them; one that names
/// another winner count or method is refused with 409 `DRAW_RULES_FIXED`.
/// (Campaigns published before draw/v2 take both from here, as before:
/// the published winner count and RANDOM by default.)
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrawRequest {
    /// Number of winners, 1 to 1000; must equal the published one.
    #[schema(minimum = 1, maximum = 1000)]
    pub winner_count: Option<u32>,
    /// Store-visit bonus (WEIGHTED) or not (RANDOM); must equal the published one.
    pub visit_bonus: Option<bool>,
}

/// The body of `POST /draw-winners`: none (or only whitespace) is the empty
/// request; anything else must be the JSON of [`DrawRequest`], with the same
/// answers as every JSON body (400, 413, 415).
async fn draw_request(request: Request) -> Result<DrawRequest, ApiError> {
    let headers = request.headers().clone();
    let bytes = axum::body::Bytes::from_request(request, &())
        .await
        .map_err(|e| ApiError::from(JsonRejection::BytesRejection(e)))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(DrawRequest::default());
    }
    let mut request = Request::new(axum::body::Body::from(bytes));
    *request.headers_mut() = headers;
    let Json(body) = Json::<DrawRequest>::from_request(request, &()).await?;
    Ok(body)
}

/// A ranked entrant as the owner sees it (masked).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrawnParticipant {
    /// 1 for the first winner; alternates continue after the winners.
    pub rank: u32,
    pub participant_id: Uuid,
    pub entry_number: String,
    /// Masked, e.g. 김**.
    pub name: String,
    /// Masked, e.g. 010-****-1234.
    pub phone_number: String,
}

/// What `promo verify` needs, and where to get the rest.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationInfo {
    /// `draw/v1` (see docs/draw-protocol.md).
    pub protocol_version: String,
    /// SHA-256 commitment to the server seed, published with the campaign.
    pub commitment: String,
    /// The server seed, revealed by this draw.
    pub server_seed: String,
    /// SHA-256 of the canonical entrant list text.
    pub list_hash: String,
    /// The ChaCha20 seed derived from server seed, list hash and params.
    pub seed: String,
    /// The canonical parameter string hashed into the seed.
    pub params: String,
    /// The public draw record (`promo verify <url>`).
    pub draw_url: String,
    /// The canonical entrant list text (`text/plain`).
    pub entrant_list_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrawResponse {
    /// Id of the draw log record.
    pub draw_id: Uuid,
    pub event_id: Uuid,
    /// RANDOM or WEIGHTED.
    pub algorithm: &'static str,
    pub bonus_applied: bool,
    /// Entrants in the frozen list.
    pub total_participants: u64,
    pub winner_count: u32,
    pub winners: Vec<DrawnParticipant>,
    /// Substitutes in order: the published `alternateCount` of them (draw/v2;
    /// campaigns published before: the first `max(winnerCount, 10)`).
    pub alternates: Vec<DrawnParticipant>,
    pub drawn_at: DateTime<Utc>,
    pub verification: VerificationInfo,
}

/// Draws the campaign's winners, once, after it ended (owner only).
#[utoipa::path(post, path = "/api/v1/events/{eventId}/draw-winners", tag = "draws",
    request_body = DrawRequest, params(("eventId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = DrawResponse),
        (status = 400, body = ErrorBody, description = "VALIDATION_ERROR, PART_007 fewer entrants than winners"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND"),
        (status = 409, body = ErrorBody, description = "DRAW_NOT_ALLOWED campaign not ended, PART_006 already drawn, DRAW_RULES_FIXED the body names other terms than the published rules")))]
pub async fn draw_winners(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
    request: Request,
) -> Result<Json<DrawResponse>, ApiError> {
    let body = draw_request(request).await?;
    let record = draws::draw_winners(
        &state.app,
        DrawWinners {
            owner,
            campaign_id,
            winner_count: body.winner_count,
            visit_bonus: body.visit_bonus,
        },
    )
    .await?;
    let ranked: Vec<Uuid> = record
        .winners
        .iter()
        .chain(&record.alternates)
        .map(|e| e.participant_id)
        .collect();
    let masked = draws::masked_entrants(&state.app, campaign_id, &ranked).await?;
    let named = |entrants: &[DrawnEntrant]| -> Vec<DrawnParticipant> {
        entrants
            .iter()
            .map(|e| drawn_participant(e, &masked))
            .collect()
    };
    Ok(Json(DrawResponse {
        draw_id: record.draw_id,
        event_id: campaign_id,
        algorithm: record.algorithm.as_str(),
        bonus_applied: record.bonus_applied,
        total_participants: record.entrant_count,
        winner_count: record.winner_count,
        winners: named(&record.winners),
        alternates: named(&record.alternates),
        drawn_at: record.drawn_at,
        verification: VerificationInfo {
            protocol_version: record.protocol_version.clone(),
            commitment: record.commitment.clone(),
            server_seed: record.server_seed.clone(),
            list_hash: record.list_hash.clone(),
            seed: record.seed.clone(),
            params: record.params.clone(),
            draw_url: draw_path(campaign_id),
            entrant_list_url: entrant_list_path(campaign_id),
        },
    }))
}

fn drawn_participant(entrant: &DrawnEntrant, masked: &HashMap<Uuid, Masked>) -> DrawnParticipant {
    let Masked { name, phone } = masked
        .get(&entrant.participant_id)
        .cloned()
        .unwrap_or_default();
    DrawnParticipant {
        rank: entrant.rank,
        participant_id: entrant.participant_id,
        entry_number: entrant.entry_number.clone(),
        name,
        phone_number: phone,
    }
}

// GET /api/v1/events/{eventId}/winners: see `routes::prizes` (the prizes
// with their claims).

// ---------------------------------------------------------------------------
// GET /api/v1/events/{eventId}/draw and /draw/entrants (public)
// ---------------------------------------------------------------------------

/// The public draw log: everything needed to re-run and verify the draw (public).
#[utoipa::path(get, path = "/api/v1/events/{eventId}/draw", tag = "draws",
    params(("eventId" = Uuid, Path)),
    responses((status = 200, body = DrawLogResponse),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND, PART_008 no draw yet")))]
pub async fn show_draw(
    State(state): State<AppState>,
    CampaignId(campaign_id): CampaignId,
) -> Result<Json<DrawLogResponse>, ApiError> {
    campaigns::load(&state.app, campaign_id).await?;
    let record = draws::require_record(&state.app, campaign_id).await?;
    Ok(Json(DrawLogResponse::from(&record)))
}

/// The frozen entrant list of the draw as canonical text: one
/// `<pid hex>,<weight>` line per entrant, ascending by pid; its SHA-256 is
/// the draw's `listHash` (public).
#[utoipa::path(get, path = "/api/v1/events/{eventId}/draw/entrants", tag = "draws",
    params(("eventId" = Uuid, Path)),
    responses((status = 200, content_type = "text/plain", body = String,
            description = "streamed; `ETag` is the list hash"),
        (status = 304, description = "`If-None-Match` names the list hash"),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND, PART_008 no draw yet")))]
pub async fn entrant_list(
    State(state): State<AppState>,
    CampaignId(campaign_id): CampaignId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    campaigns::load(&state.app, campaign_id).await?;
    let record = draws::require_record(&state.app, campaign_id).await?;
    let etag = format!("\"{}\"", record.list_hash);
    if matches_etag(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let pool = state.app.pool.clone();
    let hash = record.list_hash.clone();
    let missing = || {
        ApiError::internal(format!(
            "entrant list {} of campaign {campaign_id} is missing",
            record.list_hash
        ))
    };
    // The first chunk is read before answering, so a missing list is a 500,
    // not a broken 200.
    let first = registrations::entrant_list_chunk(&pool, campaign_id, &hash, 0, LIST_CHUNK)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(missing)?;
    let chunks = futures::stream::try_unfold((Some(first), LIST_CHUNK), move |(first, offset)| {
        let (pool, hash) = (pool.clone(), hash.clone());
        async move {
            // `offset` is where the next read starts.
            let (chunk, next) = match first {
                Some(chunk) => (chunk, offset),
                None => (
                    registrations::entrant_list_chunk(
                        &pool,
                        campaign_id,
                        &hash,
                        offset,
                        LIST_CHUNK,
                    )
                    .await?
                    .unwrap_or_default(),
                    offset.saturating_add(LIST_CHUNK),
                ),
            };
            Ok::<_, StoreError>(
                (!chunk.is_empty()).then(|| (axum::body::Bytes::from(chunk), (None, next))),
            )
        }
    });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (header::ETAG, etag),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response())
}

/// Bytes of the entrant list read from the database at a time.
const LIST_CHUNK: i32 = 256 * 1024;

/// `If-None-Match` names `etag` (or `*`); weak validators compare equal.
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}
