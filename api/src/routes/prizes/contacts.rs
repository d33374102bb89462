//! `GET /winners/contacts`: the current winners' full name and phone number
//! for prize delivery, every call recorded first as a personal-data access;
//! and `GET /access-log`: every such access (owner only).

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use promo_application::contacts;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::NotificationView;
use crate::auth::Owner;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::CampaignId;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactItem {
    pub rank: u32,
    pub participant_id: Uuid,
    pub entry_number: String,
    /// Full name, unmasked.
    pub name: String,
    /// Full phone number, unmasked, e.g. 010-1234-5678.
    pub phone_number: String,
    /// `PENDING` or `CLAIMED`.
    pub claim_status: &'static str,
    pub claim_deadline: DateTime<Utc>,
    /// The winner notice's delivery (`null` until it is recorded).
    pub notification: Option<NotificationView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactsResponse {
    /// The current winners (promoted alternates included), rank 1 first.
    pub winners: Vec<ContactItem>,
}

/// The current winners' full contacts, to deliver their prizes (owner
/// only). Each call is recorded in the access log before anything is shown.
#[utoipa::path(get, path = "/api/v1/events/{eventId}/winners/contacts", tag = "prizes",
    params(("eventId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ContactsResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND, PART_008 no draw yet"),
        (status = 410, body = ErrorBody, description = "PII_ERASED the personal data was erased")))]
pub async fn contacts(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
) -> Result<Json<ContactsResponse>, ApiError> {
    let winners = contacts::winner_contacts(&state.app, &owner, campaign_id).await?;
    Ok(Json(ContactsResponse {
        winners: winners
            .into_iter()
            .map(|w| ContactItem {
                rank: w.rank,
                participant_id: w.participant_id,
                entry_number: w.entry_number,
                name: w.name,
                phone_number: w.phone_number,
                claim_status: w.claim_status.as_str(),
                claim_deadline: w.claim_deadline,
                notification: w.notification.map(NotificationView::from),
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogEntry {
    pub at: DateTime<Utc>,
    /// The owner's user id.
    pub by: String,
    /// `WINNER_CONTACTS` or `MARKETING_CONTACTS_EXPORT`.
    pub action: String,
    /// Whose personal data was shown.
    pub participant_ids: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogResponse {
    /// Oldest first.
    pub entries: Vec<AccessLogEntry>,
}

/// Every access to the campaign's unmasked personal data (owner only).
#[utoipa::path(get, path = "/api/v1/events/{eventId}/access-log", tag = "prizes",
    params(("eventId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = AccessLogResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn access_log(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
) -> Result<Json<AccessLogResponse>, ApiError> {
    let entries = contacts::access_log(&state.app, &owner, campaign_id).await?;
    Ok(Json(AccessLogResponse {
        entries: entries
            .into_iter()
            .map(|e| AccessLogEntry {
                at: e.accessed_at,
                by: e.accessed_by,
                action: e.action,
                participant_ids: e.participant_ids,
            })
            .collect(),
    }))
}
