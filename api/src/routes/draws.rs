//! Draw endpoints: the owner draws the winners once, after the campaign
//! ended (the `draw_winners` use case, see `promo_application::draws`);
//! anyone can read the draw log and its entrant list and re-run the draw
//! with `promo verify` (docs/draw-protocol.md).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use promo_application::campaigns;
use promo_application::draws::{self, DrawWinners, Masked};
use promo_domain::draw::{DrawRecord, DrawnEntrant};
use promo_eventstore::registrations;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Owner;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::{ApiJson, CampaignId};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events/{event_id}/draw-winners", post(draw_winners))
        .route("/api/v1/events/{event_id}/winners", get(winners))
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrawRequest {
    /// Number of winners, 1 to 1000; defaults to the campaign's published winner count.
    pub winner_count: Option<u32>,
    /// Apply the store-visit bonus: WEIGHTED by bonus entries (1, or 3 after a
    /// visit) when true, RANDOM (everyone once) when false (default).
    #[serde(default)]
    pub visit_bonus: bool,
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
    /// Substitutes in order (the first `max(winnerCount, 10)` of them).
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
        (status = 409, body = ErrorBody, description = "DRAW_NOT_ALLOWED campaign not ended, PART_006 already drawn")))]
pub async fn draw_winners(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
    ApiJson(body): ApiJson<DrawRequest>,
) -> Result<Json<DrawResponse>, ApiError> {
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

// ---------------------------------------------------------------------------
// GET /api/v1/events/{eventId}/winners
// ---------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WinnerItem {
    pub rank: u32,
    pub participant_id: Uuid,
    pub entry_number: String,
    /// Masked, e.g. 김**.
    pub name: String,
    /// Masked, e.g. 010-****-1234.
    pub phone_number: String,
    pub won_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WinnersResponse {
    /// Rank 1 first.
    pub winners: Vec<WinnerItem>,
}

/// The campaign's winners, rank 1 first, masked (owner only).
#[utoipa::path(get, path = "/api/v1/events/{eventId}/winners", tag = "draws",
    params(("eventId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = WinnersResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND, PART_008 no draw yet")))]
pub async fn winners(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
) -> Result<Json<WinnersResponse>, ApiError> {
    campaigns::owned(&state.app, campaign_id, &owner).await?;
    let record = draws::require_record(&state.app, campaign_id).await?;
    let ids: Vec<Uuid> = record.winners.iter().map(|w| w.participant_id).collect();
    let masked = draws::masked_entrants(&state.app, campaign_id, &ids).await?;
    Ok(Json(WinnersResponse {
        winners: record
            .winners
            .iter()
            .map(|w| {
                let p = drawn_participant(w, &masked);
                WinnerItem {
                    rank: p.rank,
                    participant_id: p.participant_id,
                    entry_number: p.entry_number,
                    name: p.name,
                    phone_number: p.phone_number,
                    won_at: record.drawn_at,
                }
            })
            .collect(),
    }))
}

// ---------------------------------------------------------------------------
// GET /api/v1/events/{eventId}/draw and /draw/entrants (public)
// ---------------------------------------------------------------------------

/// A winner as published: rank, entry number (the entrant's own receipt)
/// and pseudonymous id. No name, phone or internal id.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublishedWinner {
    pub rank: u32,
    pub entry_number: String,
    pub pid: String,
}

/// The public draw log record: the `draw/v1` published record (every field
/// `promo verify` reads, see docs/draw-protocol.md §9) plus the log fields.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrawLogResponse {
    pub draw_id: Uuid,
    pub event_id: Uuid,
    /// `draw/v1`.
    pub protocol_version: String,
    pub campaign_id: Uuid,
    /// RANDOM or WEIGHTED.
    pub algorithm: String,
    pub winner_count: u32,
    /// Entrants in the frozen list (`n`).
    pub entrant_count: u64,
    /// Same as `entrantCount` (seed 004's total_participants).
    pub total_participants: u64,
    pub bonus_applied: bool,
    /// SHA-256 commitment to the server seed; compare with the campaign's `seedCommitment`.
    pub commitment: String,
    pub server_seed: String,
    pub list_hash: String,
    pub seed: String,
    pub params: String,
    /// Winner pids, rank 1 first.
    pub winners: Vec<String>,
    /// The first alternates' pids, in substitution order.
    pub alternates: Vec<String>,
    /// The winners with their entry numbers, rank 1 first.
    pub winner_entries: Vec<PublishedWinner>,
    pub drawn_at: DateTime<Utc>,
    /// Owner id of whoever ran the draw.
    pub drawn_by: String,
    /// The canonical entrant list text whose SHA-256 is `listHash`.
    pub entrant_list_url: String,
}

impl From<&DrawRecord> for DrawLogResponse {
    fn from(record: &DrawRecord) -> Self {
        let published = record.published();
        Self {
            draw_id: record.draw_id,
            event_id: record.campaign_id,
            protocol_version: published.protocol_version,
            campaign_id: published.campaign_id,
            algorithm: published.algorithm.as_str().to_string(),
            winner_count: published.winner_count,
            entrant_count: published.entrant_count,
            total_participants: published.entrant_count,
            bonus_applied: record.bonus_applied,
            commitment: published.commitment,
            server_seed: published.server_seed,
            list_hash: published.list_hash,
            seed: published.seed,
            params: published.params,
            winners: published.winners,
            alternates: published.alternates,
            winner_entries: record
                .winners
                .iter()
                .map(|w| PublishedWinner {
                    rank: w.rank,
                    entry_number: w.entry_number.clone(),
                    pid: w.pid.clone(),
                })
                .collect(),
            drawn_at: record.drawn_at,
            drawn_by: record.drawn_by.clone(),
            entrant_list_url: entrant_list_path(record.campaign_id),
        }
    }
}

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
    responses((status = 200, content_type = "text/plain", body = String),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND, PART_008 no draw yet")))]
pub async fn entrant_list(
    State(state): State<AppState>,
    CampaignId(campaign_id): CampaignId,
) -> Result<Response, ApiError> {
    campaigns::load(&state.app, campaign_id).await?;
    let record = draws::require_record(&state.app, campaign_id).await?;
    let text = registrations::entrant_list_text(&state.app.pool, campaign_id, &record.list_hash)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
        ApiError::internal(format!(
            "entrant list {} of campaign {campaign_id} is missing",
            record.list_hash
        ))
    })?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (header::ETAG, format!("\"{}\"", record.list_hash)),
        ],
        text,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use promo_domain::draw_protocol::{hex32, Algorithm, PublishedDraw};

    fn record() -> DrawRecord {
        let pid = |b: u8| hex32(&[b; 32]);
        let entrant = |rank: u32, b: u8| DrawnEntrant {
            rank,
            participant_id: Uuid::from_u128(u128::from(b)),
            pid: pid(b),
            entry_number: format!("EVT-20251020-00{b}"),
        };
        DrawRecord {
            draw_id: Uuid::from_u128(1),
            campaign_id: Uuid::from_u128(42),
            protocol_version: "draw/v1".into(),
            algorithm: Algorithm::Weighted,
            bonus_applied: true,
            winner_count: 2,
            entrant_count: 4,
            commitment: "c".repeat(64),
            server_seed: "s".repeat(64),
            list_hash: "h".repeat(64),
            seed: "d".repeat(64),
            params: "draw/v1;campaign=...".into(),
            winners: vec![entrant(1, 3), entrant(2, 1)],
            alternates: vec![entrant(3, 4)],
            drawn_at: Utc::now(),
            drawn_by: "owner".into(),
        }
    }

    #[test]
    fn the_openapi_document_lists_the_draw_endpoints() {
        use utoipa::OpenApi;
        let doc = crate::openapi::ApiDoc::openapi();
        for path in [
            "/api/v1/events/{eventId}/draw-winners",
            "/api/v1/events/{eventId}/winners",
            "/api/v1/events/{eventId}/draw",
            "/api/v1/events/{eventId}/draw/entrants",
        ] {
            assert!(doc.paths.paths.contains_key(path), "{path} missing");
        }
    }

    #[test]
    fn the_public_draw_log_reads_as_the_published_draw_v1_record() {
        let record = record();
        let json = serde_json::to_value(DrawLogResponse::from(&record)).unwrap();
        let published: PublishedDraw = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(published, record.published());
        assert_eq!(json["totalParticipants"], 4);
        assert_eq!(json["winnerEntries"][0]["entryNumber"], "EVT-20251020-003");
        assert_eq!(
            json["entrantListUrl"],
            "/api/v1/events/00000000-0000-0000-0000-00000000002a/draw/entrants"
        );
        assert!(json.get("listText").is_none());
        assert!(
            !json.to_string().contains("participantId"),
            "no internal ids in public: {json}"
        );
    }
}
