//! The owner's everyday campaign work: their list of campaigns
//! (`GET /api/v1/events`) and editing a draft (`PATCH /api/v1/events/{id}`).

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use promo_application::campaigns::{self, DraftChanges};
use promo_projections::campaigns::queries;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::DraftResponse;
use crate::auth::Owner;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::{parse_number, ApiJson, ApiQuery, CampaignId};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CampaignListQuery {
    /// Page number, from 1 (default 1).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub page: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub size: Option<String>,
    /// DRAFT, ACTIVE or ENDED.
    #[param(value_type = Option<crate::openapi::enums::StatusName>)]
    pub status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignListItem {
    pub event_id: Uuid,
    /// DRAFT, ACTIVE or ENDED (ACTIVE past its end time shows ENDED).
    pub status: String,
    pub title: Option<String>,
    pub store_name: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub participants: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignList {
    pub events: Vec<CampaignListItem>,
    pub total_count: i64,
    pub page: i64,
    pub size: i64,
}

/// The signed-in owner's campaigns, newest first (owner only).
#[utoipa::path(get, path = "/api/v1/events", tag = "campaigns", operation_id = "list_campaigns",
    params(CampaignListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = CampaignList), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(owner): Owner,
    ApiQuery(query): ApiQuery<CampaignListQuery>,
) -> Result<Json<CampaignList>, ApiError> {
    let page = parse_number(&query.page, "page", 1, 1, 1_000_000)?;
    let size = parse_number(&query.size, "size", 20, 1, 100)?;
    let status = match query.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s @ ("DRAFT" | "ACTIVE" | "ENDED")) => Some(s),
        Some(_) => {
            return Err(ApiError::validation(
                "status",
                "DRAFT, ACTIVE, ENDED 중 하나여야 합니다",
            ))
        }
    };
    let (rows, total_count) =
        queries::owned_by(&state.app.pool, &owner, status, state.app.now(), page, size).await?;
    Ok(Json(CampaignList {
        events: rows
            .into_iter()
            .map(|c| CampaignListItem {
                event_id: c.campaign_id,
                status: c.status,
                title: c.title,
                store_name: c.store_name,
                starts_at: c.starts_at,
                ends_at: c.ends_at,
                ended_at: c.ended_at,
                participants: c.participants,
            })
            .collect(),
        total_count,
        page,
        size,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditDraftRequest {
    /// One of 신규 고객 유치, 재방문 유도, 매출 증대, 인지도 향상.
    #[schema(value_type = Option<crate::openapi::enums::ObjectiveName>)]
    pub objective: Option<String>,
    pub store_name: Option<String>,
    pub industry: Option<String>,
    pub address: Option<String>,
}

/// Edits a draft's objective or store information; omitted fields stay.
#[utoipa::path(patch, path = "/api/v1/events/{eventId}", tag = "campaigns",
    request_body = EditDraftRequest, params(("eventId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = DraftResponse),
        (status = 400, body = ErrorBody, description = "EVENT_001, EVENT_002, VALIDATION_ERROR"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "EVENT_NOT_DRAFT: published or ended")))]
pub async fn edit(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
    ApiJson(body): ApiJson<EditDraftRequest>,
) -> Result<Json<DraftResponse>, ApiError> {
    let changes = DraftChanges {
        objective: body.objective,
        store_name: body.store_name,
        industry: body.industry,
        address: body.address,
    };
    let campaign = campaigns::edit_draft(&state.app, &owner, campaign_id, changes).await?;
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
