//! The prize draw (seeds 001, 004): the owner draws the winners once, after
//! the campaign ended; anyone can read the draw log and its entrant list and
//! re-run the draw with `promo verify`.
//!
//! Drawing, step by step:
//! 1. The owner, the campaign's end and "not drawn yet" are checked first
//!    (the same pure rule the aggregate applies), before any heavy reading.
//! 2. Registrations still being written when the campaign was seen ended are
//!    waited for, then the frozen entrant list is read from the **event
//!    store** (every `ParticipantRegistered` of the campaign), never from a
//!    read model that may lag.
//! 3. The canonical list text is stored in `draw_entrant_lists` under the
//!    campaign and the list's own SHA-256, *before* the draw is recorded.
//!    The row is content-addressed, so whatever concurrent or failed attempts
//!    store beside it, the row named by the recorded `listHash` is exactly
//!    the list that was hashed; and it exists whenever the event does.
//! 4. The `Draw` aggregate (id = campaign id) decides and records
//!    `WinnersDrawn`. The event store's primary key admits one such event per
//!    campaign: a concurrent loser gets a conflict, reported as `PART_006`.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, EventStore};
use futures::TryStreamExt;
use postgres_es::{PostgresCqrs, PostgresEventRepository};
use promo_domain::draw::{
    canonical_list, draw_algorithm, ensure_may_draw, CampaignFacts, Draw, DrawCommand, DrawError,
    DrawRecord, DrawnEntrant, FrozenEntrant, RunDraw,
};
use promo_domain::draw_protocol::{self, hex32, CanonicalList};
use promo_domain::participation::Participation;
use promo_domain::privacy::SealedPersonalData;
use promo_projections::participants::masked_personal_data;
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Owner;
use crate::error::{from_aggregate_error, ApiError, ErrorBody};
use crate::routes::extract::CampaignId;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events/{event_id}/draw-winners", post(draw_winners))
        .route("/api/v1/events/{event_id}/winners", get(winners))
        .route("/api/v1/events/{event_id}/draw", get(show_draw))
        .route("/api/v1/events/{event_id}/draw/entrants", get(entrant_list))
}

impl From<DrawError> for ApiError {
    fn from(error: DrawError) -> Self {
        let message = error.to_string();
        match error {
            DrawError::NotOwner => Self::forbidden(),
            DrawError::CampaignNotEnded => {
                Self::new(StatusCode::CONFLICT, "DRAW_NOT_ALLOWED", message)
            }
            DrawError::AlreadyDrawn => Self::new(StatusCode::CONFLICT, "PART_006", message),
            DrawError::InvalidWinnerCount => {
                Self::validation("winnerCount", "must be between 1 and 1000")
            }
            DrawError::RulesFixed => Self::new(StatusCode::CONFLICT, "DRAW_RULES_FIXED", message),
            DrawError::NotEnoughEntrants { .. } => {
                Self::new(StatusCode::BAD_REQUEST, "PART_007", message)
            }
            DrawError::SeedCommitmentMismatch
            | DrawError::InvalidEntrantList(_)
            | DrawError::OrderingMismatch => Self::internal(message),
        }
    }
}

/// 404 `PART_008`: the campaign has no draw yet.
pub fn no_draw_yet() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "PART_008",
        "아직 당첨자 추첨이 진행되지 않았습니다",
    )
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
    let campaign = state.owned_campaign(campaign_id, &owner).await?;
    let facts = CampaignFacts::of(campaign_id, &campaign);
    let now = state.now();
    ensure_may_draw(
        &load_draw(&state.pool, campaign_id).await?,
        &facts,
        &owner,
        now,
    )?;

    let server_seed = state
        .secrets
        .get(campaign_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal(format!("campaign {campaign_id} has no secrets")))?
        .draw_seed;
    wait_for_in_flight_writes(&state.pool).await?;
    let entrants = frozen_entrants(&state.pool, campaign_id).await?;
    if let Ok(list) = canonical_list(&entrants, draw_algorithm(&facts, body.visit_bonus)) {
        store_entrant_list(&state.pool, campaign_id, &list).await?;
    }

    let run = RunDraw {
        draw_id: Uuid::new_v4(),
        requested_by: owner,
        campaign: facts,
        winner_count: body.winner_count,
        visit_bonus: body.visit_bonus,
        server_seed,
        entrants,
        drawn_at: now,
    };
    draws(&state.pool)
        .execute(
            &campaign_id.to_string(),
            DrawCommand::RunDraw(Box::new(run)),
        )
        .await
        // Sequence 1 of this campaign's draw was taken by a concurrent request.
        .map_err(|e| from_aggregate_error(e, || DrawError::AlreadyDrawn.into()))?;
    state.appended(1);

    let record = load_draw(&state.pool, campaign_id)
        .await?
        .record
        .ok_or_else(|| ApiError::internal("a recorded draw did not load"))?;
    let ranked: Vec<&DrawnEntrant> = record.winners.iter().chain(&record.alternates).collect();
    let masked = masked_entrants(&state, campaign_id, &ranked).await?;
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

/// The draw's command side, over the shared pool (cheap to build: no IO).
fn draws(pool: &PgPool) -> PostgresCqrs<Draw> {
    postgres_es::postgres_cqrs(pool.clone(), vec![], ())
}

/// The campaign's draw as recorded in the event store (empty if none).
async fn load_draw(pool: &PgPool, campaign_id: Uuid) -> Result<Draw, ApiError> {
    PersistedEventStore::<PostgresEventRepository, Draw>::new_event_store(
        PostgresEventRepository::new(pool.clone()),
    )
    .load_aggregate(&campaign_id.to_string())
    .await
    .map(|context| context.aggregate)
    .map_err(|e| from_aggregate_error(e, || ApiError::internal("conflict on load")))
}

/// How long a draw waits for registrations that were being written when it
/// saw the campaign ended.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(10);

/// Waits until every transaction of this database that began before now has
/// finished. Called after the campaign was seen ended: a registration batch
/// that read the campaign while it was still open may commit a moment later,
/// and its entrant, told they entered, must be in the frozen list. A batch
/// beginning later reads the campaign as ended and refuses the entry.
///
/// Transaction start times (`pg_stat_activity.xact_start`) are used rather
/// than transaction ids because a batch has no id until its first write, and
/// it reads the campaign before writing. Only transactions older than the
/// horizon are waited for, so steady traffic never holds a draw back; a
/// transaction open for longer than [`IN_FLIGHT_WAIT`] fails the draw with a
/// retryable 503 rather than risking an incomplete list.
async fn wait_for_in_flight_writes(pool: &PgPool) -> Result<(), ApiError> {
    let horizon: DateTime<Utc> = sqlx::query_scalar("SELECT clock_timestamp()")
        .fetch_one(pool)
        .await?;
    let deadline = tokio::time::Instant::now() + IN_FLIGHT_WAIT;
    loop {
        let older: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND xact_start < $1",
        )
        .bind(horizon)
        .fetch_one(pool)
        .await?;
        if older == 0 {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ApiError::unavailable(format!(
                "{older} transaction(s) older than the draw are still open"
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The registrations' JSON as cqrs-es stores `ParticipationEvent`.
const REGISTERED: &str = "payload -> 'ParticipantRegistered'";

/// Every entrant of the campaign, from the event store.
async fn frozen_entrants(pool: &PgPool, campaign_id: Uuid) -> Result<Vec<FrozenEntrant>, ApiError> {
    let sql = format!(
        "SELECT event_version, {REGISTERED} ->> 'pid' AS pid, \
         ({REGISTERED} ->> 'bonusEntries')::int AS bonus_entries, \
         ({REGISTERED} ->> 'participantId')::uuid AS participant_id, \
         {REGISTERED} ->> 'entryNumber' AS entry_number \
         FROM events WHERE aggregate_type = $1 AND event_type = 'ParticipantRegistered' \
         AND {REGISTERED} ->> 'campaignId' = $2"
    );
    let mut rows = sqlx::query(&sql)
        .bind(Participation::TYPE)
        .bind(campaign_id.to_string())
        .fetch(pool);
    let mut entrants = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let version: String = row.try_get("event_version")?;
        if version != "1" {
            // A new shape needs teaching here; never draw from a partial list.
            return Err(ApiError::internal(format!(
                "ParticipantRegistered version {version} is not readable by the draw"
            )));
        }
        let pid: Option<String> = row.try_get("pid")?;
        let pid = pid
            .as_deref()
            .and_then(draw_protocol::parse_hex32)
            .ok_or_else(|| ApiError::internal("a registration has a malformed pid"))?;
        let bonus_entries: Option<i32> = row.try_get("bonus_entries")?;
        let bonus_entries = bonus_entries
            .and_then(|b| u8::try_from(b).ok())
            .ok_or_else(|| ApiError::internal("a registration has malformed bonus entries"))?;
        let participant_id: Option<Uuid> = row.try_get("participant_id")?;
        let entry_number: Option<String> = row.try_get("entry_number")?;
        let (Some(participant_id), Some(entry_number)) = (participant_id, entry_number) else {
            return Err(ApiError::internal(
                "a registration lacks its participant id or entry number",
            ));
        };
        entrants.push(FrozenEntrant {
            pid,
            bonus_entries,
            participant_id,
            entry_number,
        });
    }
    Ok(entrants)
}

/// Stores the list text under its own hash (idempotent).
async fn store_entrant_list(
    pool: &PgPool,
    campaign_id: Uuid,
    list: &CanonicalList,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO draw_entrant_lists (campaign_id, list_hash, list_text) VALUES ($1, $2, $3) \
         ON CONFLICT (campaign_id, list_hash) DO NOTHING",
    )
    .bind(campaign_id)
    .bind(hex32(&list.hash()))
    .bind(list.text())
    .execute(pool)
    .await?;
    Ok(())
}

/// Masked name and phone of a participant.
struct Masked {
    name: String,
    phone: String,
}

fn drawn_participant(entrant: &DrawnEntrant, masked: &HashMap<Uuid, Masked>) -> DrawnParticipant {
    let (name, phone_number) = masked
        .get(&entrant.participant_id)
        .map(|m| (m.name.clone(), m.phone.clone()))
        .unwrap_or_default();
    DrawnParticipant {
        rank: entrant.rank,
        participant_id: entrant.participant_id,
        entry_number: entrant.entry_number.clone(),
        name,
        phone_number,
    }
}

/// Masked personal data of the given participants: from the participant
/// list read model, and for any it does not hold yet, opened from their
/// sealed registration in the event store and masked the same way.
async fn masked_entrants(
    state: &AppState,
    campaign_id: Uuid,
    entrants: &[&DrawnEntrant],
) -> Result<HashMap<Uuid, Masked>, ApiError> {
    let ids: Vec<Uuid> = entrants.iter().map(|e| e.participant_id).collect();
    let mut masked: HashMap<Uuid, Masked> = sqlx::query(
        "SELECT participant_id, name_masked, phone_masked FROM participants \
         WHERE campaign_id = $1 AND participant_id = ANY($2)",
    )
    .bind(campaign_id)
    .bind(&ids)
    .fetch_all(&state.pool)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("participant_id")?,
            Masked {
                name: row.try_get("name_masked")?,
                phone: row.try_get("phone_masked")?,
            },
        ))
    })
    .collect::<Result<_, sqlx::Error>>()?;

    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !masked.contains_key(id))
        .map(Uuid::to_string)
        .collect();
    if missing.is_empty() {
        return Ok(masked);
    }
    let sql = format!(
        "SELECT ({REGISTERED} ->> 'participantId')::uuid AS participant_id, \
         {REGISTERED} -> 'personalData' AS sealed FROM events \
         WHERE aggregate_type = $1 AND event_type = 'ParticipantRegistered' \
         AND {REGISTERED} ->> 'campaignId' = $2 AND {REGISTERED} ->> 'participantId' = ANY($3)"
    );
    let rows = sqlx::query(&sql)
        .bind(Participation::TYPE)
        .bind(campaign_id.to_string())
        .bind(&missing)
        .fetch_all(&state.pool)
        .await?;
    for row in rows {
        let participant_id: Uuid = row.try_get("participant_id")?;
        let sealed: serde_json::Value = row.try_get("sealed")?;
        let sealed: SealedPersonalData =
            serde_json::from_value(sealed).map_err(ApiError::internal)?;
        let opened = masked_personal_data(&state.secrets, campaign_id, participant_id, &sealed)
            .await
            .map_err(ApiError::internal)?;
        masked.insert(
            participant_id,
            Masked {
                name: opened.name,
                phone: opened.phone,
            },
        );
    }
    Ok(masked)
}

/// The recorded draw: from the draw log read model, or, while that has not
/// caught up yet, from the event store. `None` if there is no draw.
async fn draw_record(pool: &PgPool, campaign_id: Uuid) -> Result<Option<DrawRecord>, ApiError> {
    let logged: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT record FROM draw_logs WHERE campaign_id = $1")
            .bind(campaign_id)
            .fetch_optional(pool)
            .await?;
    match logged {
        Some(json) => serde_json::from_value(json)
            .map(Some)
            .map_err(ApiError::internal),
        None => Ok(load_draw(pool, campaign_id).await?.record),
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
    state.owned_campaign(campaign_id, &owner).await?;
    let record = draw_record(&state.pool, campaign_id)
        .await?
        .ok_or_else(no_draw_yet)?;
    let winners: Vec<&DrawnEntrant> = record.winners.iter().collect();
    let masked = masked_entrants(&state, campaign_id, &winners).await?;
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

/// The public draw log record: the published record of its protocol version
/// (every field `promo verify` reads, see docs/draw-protocol.md §9) plus the
/// log fields.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrawLogResponse {
    pub draw_id: Uuid,
    pub event_id: Uuid,
    /// `draw/v2`, or `draw/v1` for campaigns published before the rules were fixed.
    pub protocol_version: String,
    pub campaign_id: Uuid,
    /// RANDOM or WEIGHTED.
    pub algorithm: String,
    pub winner_count: u32,
    /// draw/v2: the published rules bound into the commitment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_days: Option<u32>,
    /// draw/v2: the canonical rules text, e.g. `winners=3;alternates=3;algorithm=WEIGHTED;claim_days=7`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
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
            alternate_count: published.alternate_count,
            claim_days: published.claim_days,
            rules: published.rules,
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
    state.load_campaign(campaign_id).await?;
    let record = draw_record(&state.pool, campaign_id)
        .await?
        .ok_or_else(no_draw_yet)?;
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
    state.load_campaign(campaign_id).await?;
    let record = draw_record(&state.pool, campaign_id)
        .await?
        .ok_or_else(no_draw_yet)?;
    let text: String = sqlx::query_scalar(
        "SELECT list_text FROM draw_entrant_lists WHERE campaign_id = $1 AND list_hash = $2",
    )
    .bind(campaign_id)
    .bind(&record.list_hash)
    .fetch_optional(&state.pool)
    .await?
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
    use promo_domain::draw_protocol::{Algorithm, PublishedDraw};

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
            alternate_count: None,
            claim_days: None,
            rules: None,
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
