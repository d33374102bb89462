//! Campaign endpoints: create a draft, publish, end, and the public view.
//! Thin: parse the request, call the campaign use case, shape the answer.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use promo_application::campaigns::{self, CreateDraft};
use promo_domain::campaign::{
    CampaignError, DrawRules, DrawRulesInput, DrawTerms, PublishDetails, StoreInfo,
};
use promo_domain::channel::Channel;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Owner;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::{ApiJson, CampaignId};
use crate::state::AppState;

pub mod owned;
pub use owned::{CampaignList, CampaignListItem, EditDraftRequest};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", get(owned::list))
        .route("/api/v1/events/purposes", post(create_draft))
        .route("/api/v1/events/{event_id}/publish", post(publish))
        .route("/api/v1/events/{event_id}/end", post(end))
        .route("/api/v1/events/{event_id}", get(show).patch(owned::edit))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateDraftRequest {
    /// Optional; when given it must be the token's owner.
    #[schema(value_type = Option<String>)]
    pub user_id: Option<serde_json::Value>,
    /// One of 신규 고객 유치, 재방문 유도, 매출 증대, 인지도 향상.
    #[schema(value_type = crate::openapi::enums::ObjectiveName, required = true)]
    pub objective: Option<String>,
    /// Free text without control characters.
    #[schema(value_type = String, required = true, min_length = 1)]
    pub store_name: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1)]
    pub industry: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1)]
    pub address: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DraftResponse {
    pub event_draft_id: Uuid,
    pub objective: String,
    pub store_name: String,
    pub status: &'static str,
}

/// Creates a campaign draft with its objective (SPEC "Campaign").
#[utoipa::path(post, path = "/api/v1/events/purposes", tag = "campaigns", request_body = CreateDraftRequest,
    security(("bearer" = [])),
    responses((status = 200, body = DraftResponse),
        (status = 400, body = ErrorBody, description = "EVENT_001 invalid objective, EVENT_002 store information missing"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_draft(
    State(state): State<AppState>,
    Owner(owner): Owner,
    ApiJson(body): ApiJson<CreateDraftRequest>,
) -> Result<Json<DraftResponse>, ApiError> {
    let claimed_user_id = body.user_id.map(|id| match id {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    });
    let (campaign_id, campaign) = campaigns::create_draft(
        &state.app,
        CreateDraft {
            owner,
            claimed_user_id,
            objective: body.objective.unwrap_or_default(),
            store: StoreInfo {
                store_name: body.store_name.unwrap_or_default(),
                industry: body.industry.unwrap_or_default(),
                address: body.address.unwrap_or_default(),
            },
        },
    )
    .await?;
    Ok(Json(DraftResponse {
        event_draft_id: campaign_id,
        objective: campaign
            .objective
            .map(|o| o.as_str().to_string())
            .unwrap_or_default(),
        store_name: campaign.store.map(|s| s.store_name).unwrap_or_default(),
        status: "DRAFT",
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublishRequest {
    pub title: String,
    pub prize: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub announcement_at: DateTime<Utc>,
    /// Number of winners, 1 to 1000. Fixed by publishing, like the other draw rules.
    #[schema(minimum = 1, maximum = 1000)]
    pub winner_count: Option<i64>,
    /// WEIGHTED draw with store-visit bonus entries (default true); false: RANDOM.
    pub visit_bonus: Option<bool>,
    /// Alternates ranked after the winners, 0 to 100 (default: winnerCount, at most 100).
    #[schema(minimum = 0, maximum = 100)]
    pub alternate_count: Option<i64>,
    /// Days after announcementAt a winner has to claim, 1 to 90 (default 7).
    #[schema(minimum = 1, maximum = 90)]
    pub claim_days: Option<i64>,
    /// Entry channels: URIDONGNETV, GINITV, RINGOBIZ, INSTAGRAM, NAVER, KAKAO, STORE_QR.
    #[schema(value_type = Vec<crate::openapi::enums::ChannelName>, min_items = 1)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub target_participants: u32,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublishResponse {
    pub event_id: Uuid,
    pub status: &'static str,
    /// SHA-256 commitment to the draw's server seed and draw rules (draw/v2), hex.
    pub seed_commitment: String,
}

pub fn parse_channels(raw: &[String]) -> Result<Vec<Channel>, ApiError> {
    raw.iter()
        .enumerate()
        .map(|(i, name)| {
            Channel::parse(name).ok_or_else(|| {
                ApiError::validation(&format!("channels[{i}]"), "알 수 없는 참여 경로입니다")
            })
        })
        .collect()
}

/// Publishes a draft: the campaign becomes ACTIVE and the draw seed is committed.
#[utoipa::path(post, path = "/api/v1/events/{eventId}/publish", tag = "campaigns", request_body = PublishRequest,
    params(("eventId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = PublishResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "EVENT_ALREADY_PUBLISHED")))]
pub async fn publish(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
    ApiJson(body): ApiJson<PublishRequest>,
) -> Result<Json<PublishResponse>, ApiError> {
    let channels = parse_channels(&body.channels)?;
    let rules = DrawRules::parse(DrawRulesInput {
        winner_count: body.winner_count,
        visit_bonus: body.visit_bonus,
        alternate_count: body.alternate_count,
        claim_days: body.claim_days,
    })
    .map_err(CampaignError::from)?;
    let details = PublishDetails {
        title: body.title,
        prize: body.prize,
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        announcement_at: body.announcement_at,
        draw: DrawTerms::Fixed(rules),
        channels,
        target_participants: body.target_participants,
    };
    let seed_commitment = campaigns::publish(&state.app, &owner, campaign_id, details).await?;
    Ok(Json(PublishResponse {
        event_id: campaign_id,
        status: "ACTIVE",
        seed_commitment,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndResponse {
    pub event_id: Uuid,
    pub status: &'static str,
}

/// Ends an active campaign early; entries close. Ending twice is harmless.
#[utoipa::path(post, path = "/api/v1/events/{eventId}/end", tag = "campaigns",
    params(("eventId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = EndResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "PART_002 still a draft")))]
pub async fn end(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
) -> Result<Json<EndResponse>, ApiError> {
    campaigns::end(&state.app, &owner, campaign_id).await?;
    Ok(Json(EndResponse {
        event_id: campaign_id,
        status: "ENDED",
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignResponse {
    pub event_id: Uuid,
    pub status: &'static str,
    pub objective: Option<String>,
    pub store_name: Option<String>,
    pub title: Option<String>,
    pub prize: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub announcement_at: Option<DateTime<Utc>>,
    pub winner_count: Option<u32>,
    /// Draw rules fixed at publication (null for campaigns published before draw/v2).
    pub visit_bonus: Option<bool>,
    pub alternate_count: Option<u32>,
    pub claim_days: Option<u32>,
    /// `draw/v2`, or `draw/v1` for campaigns published before the rules were fixed.
    pub draw_protocol_version: Option<&'static str>,
    #[schema(value_type = Vec<crate::openapi::enums::ChannelName>)]
    pub channels: Vec<Channel>,
    pub target_participants: Option<u32>,
    pub seed_commitment: Option<String>,
    /// When the campaign was ended (by the owner, or by its draw).
    pub ended_at: Option<DateTime<Utc>>,
}

/// Public view of a campaign, as an entrant's landing page needs it.
#[utoipa::path(get, path = "/api/v1/events/{eventId}", tag = "campaigns", params(("eventId" = Uuid, Path)),
    responses((status = 200, body = CampaignResponse), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    CampaignId(campaign_id): CampaignId,
) -> Result<Json<CampaignResponse>, ApiError> {
    let campaign = campaigns::load(&state.app, campaign_id).await?;
    let details = campaign.details.clone();
    let rules = details.as_ref().and_then(|d| d.draw.rules().copied());
    Ok(Json(CampaignResponse {
        event_id: campaign_id,
        status: campaign.effective_status(state.app.now()).as_str(),
        objective: campaign.objective.map(|o| o.as_str().to_string()),
        store_name: campaign.store.as_ref().map(|s| s.store_name.clone()),
        title: details.as_ref().map(|d| d.title.clone()),
        prize: details.as_ref().map(|d| d.prize.clone()),
        starts_at: details.as_ref().map(|d| d.starts_at),
        ends_at: details.as_ref().map(|d| d.ends_at),
        announcement_at: details.as_ref().map(|d| d.announcement_at),
        winner_count: details.as_ref().map(|d| d.draw.winner_count()),
        visit_bonus: rules.map(|r| r.visit_bonus()),
        alternate_count: rules.map(|r| r.alternate_count()),
        claim_days: rules.map(|r| r.claim_days()),
        draw_protocol_version: details.as_ref().map(|d| d.draw.protocol_version().as_str()),
        channels: details
            .as_ref()
            .map(|d| d.channels.clone())
            .unwrap_or_default(),
        target_participants: details.as_ref().map(|d| d.target_participants),
        seed_commitment: campaign.seed_commitment.clone(),
        ended_at: campaign.ended_at,
    }))
}
