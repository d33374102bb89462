//! The owner's participant list (masked), with paging, filters and a CSV
//! export, served from the participant read model.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use promo_application::campaigns;
use promo_domain::channel::Channel;
use promo_projections::participants::queries::{self, Filters, ParticipantRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Owner;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::{parse_bool, parse_number, ApiQuery, CampaignId};
use crate::state::AppState;

pub mod csv;
pub mod export;
pub mod marketing;
pub use csv::csv_cell;
pub use export::{csv_download, CSV_HEADER};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events/{event_id}/participants", get(list))
        .route(
            "/api/v1/events/{event_id}/participants/export",
            get(export::export_csv),
        )
}

pub const MAX_PAGE_SIZE: i64 = 100;

/// Raw query parameters; parsed by [`Filters::parse`] so errors name the field.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page number, from 1 (default 1).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub page: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub size: Option<String>,
    #[param(value_type = Option<crate::openapi::enums::ChannelName>)]
    pub channel: Option<String>,
    #[param(value_type = Option<bool>)]
    pub store_visited: Option<String>,
    #[param(value_type = Option<bool>)]
    pub is_winner: Option<String>,
    /// Search: a name initial (`김`), the last 4 phone digits or an entry
    /// sequence number (digits), or a whole entry number (any case).
    #[param(max_length = 50)]
    pub q: Option<String>,
    /// Export only: `marketing` answers the full name and phone of the
    /// entrants who consented to marketing instead (recorded in the access log).
    pub contacts: Option<String>,
}

/// The list's filters, parsed; errors name the field.
pub(crate) fn parse_filters(query: &ListQuery) -> Result<Filters, ApiError> {
    let channel = match query.channel.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            Channel::parse(raw)
                .ok_or_else(|| ApiError::validation("channel", "알 수 없는 참여 경로입니다"))?,
        ),
    };
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 50) {
        return Err(ApiError::validation("q", "50자 이하여야 합니다"));
    }
    Ok(Filters {
        channel,
        store_visited: parse_bool(&query.store_visited, "storeVisited")?,
        is_winner: parse_bool(&query.is_winner, "isWinner")?,
        q: q.map(str::to_string),
    })
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantItem {
    pub participant_id: Uuid,
    pub entry_number: String,
    /// Masked, e.g. 김**.
    pub name: String,
    /// Masked, e.g. 010-****-1234.
    pub phone_number: String,
    pub channel: String,
    pub store_visited: bool,
    pub bonus_entries: i32,
    pub participated_at: DateTime<Utc>,
    pub is_winner: bool,
    pub winner_rank: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantPage {
    pub participants: Vec<ParticipantItem>,
    pub total_count: i64,
    pub page: i64,
    pub size: i64,
}

fn item(row: ParticipantRow) -> ParticipantItem {
    ParticipantItem {
        participant_id: row.participant_id,
        entry_number: row.entry_number,
        name: row.name_masked,
        phone_number: row.phone_masked,
        channel: row.channel,
        store_visited: row.store_visited,
        bonus_entries: row.bonus_entries,
        participated_at: row.participated_at,
        is_winner: row.is_winner,
        winner_rank: row.winner_rank,
    }
}

/// Participants of a campaign, newest first, masked (owner only).
#[utoipa::path(get, path = "/api/v1/events/{eventId}/participants", tag = "participants",
    operation_id = "list_participants",
    params(("eventId" = Uuid, Path), ListQuery), security(("bearer" = [])),
    responses((status = 200, body = ParticipantPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ParticipantPage>, ApiError> {
    let page = parse_number(&query.page, "page", 1, 1, 1_000_000)?;
    let size = parse_number(&query.size, "size", 20, 1, MAX_PAGE_SIZE)?;
    let filters = parse_filters(&query)?;
    campaigns::owned(&state.app, campaign_id, &owner).await?;
    let (rows, total_count) =
        queries::page(&state.app.pool, campaign_id, &filters, page, size).await?;
    let participants = rows.into_iter().map(item).collect();
    Ok(Json(ParticipantPage {
        participants,
        total_count,
        page,
        size,
    }))
}
