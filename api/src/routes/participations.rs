//! `POST /api/v1/participations`: a customer enters a campaign.
//!
//! The request is parsed into domain types, the personal data is sealed
//! under the campaign key, and the participation aggregate, whose id is the
//! entrant's pseudonymous id, is appended. Two racing requests for the same
//! phone collide on the event store's primary key: one wins, the other gets
//! `PART_001`.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use promo_domain::channel::Channel;
use promo_domain::entrant::{EntrantName, PhoneNumber};
use promo_domain::participation::{
    ensure_entry_window_open, ParticipationError, RegisterParticipant,
};
use promo_domain::privacy::{self, PersonalData};
use promo_domain::{entry_number, participation};
use promo_eventstore::group_commit::RegistrationError;
use promo_eventstore::metrics::OutcomeLabel;
use promo_eventstore::participation_log::Attempt;
use promo_eventstore::secrets::random_bytes;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::ApiJson;
use crate::state::AppState;

pub const THANK_YOU: &str = "이벤트에 참여해주셔서 감사합니다";

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/participations", post(participate))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParticipationRequest {
    pub event_id: Option<String>,
    /// At least 2 characters.
    pub name: Option<String>,
    /// Korean mobile number: 010-1234-5678, 01012345678 or +82 10-1234-5678.
    pub phone_number: Option<String>,
    /// Entry path: URIDONGNETV, GINITV, RINGOBIZ, INSTAGRAM, NAVER, KAKAO, STORE_QR.
    pub channel: Option<String>,
    #[serde(default)]
    pub store_visited: bool,
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
}

/// Parsed, valid input.
struct Entry {
    campaign_id: Uuid,
    name: EntrantName,
    phone: PhoneNumber,
    channel: Channel,
    store_visited: bool,
    agree_privacy: bool,
    agree_marketing: bool,
}

fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, ApiError> {
    value
        .as_deref()
        .ok_or_else(|| ApiError::validation(field, "is required"))
}

fn parse(body: &ParticipationRequest) -> Result<Entry, ApiError> {
    let campaign_id = Uuid::parse_str(required(&body.event_id, "eventId")?.trim())
        .map_err(|_| ApiError::validation("eventId", "must be an event id"))?;
    let name = EntrantName::parse(required(&body.name, "name")?)?;
    let phone = PhoneNumber::parse(required(&body.phone_number, "phoneNumber")?)?;
    let channel = Channel::parse(required(&body.channel, "channel")?.trim())
        .ok_or_else(|| ApiError::validation("channel", "unknown channel"))?;
    if !body.agree_privacy {
        return Err(ParticipationError::PrivacyConsentRequired.into());
    }
    Ok(Entry {
        campaign_id,
        name,
        phone,
        channel,
        store_visited: body.store_visited,
        agree_privacy: body.agree_privacy,
        agree_marketing: body.agree_marketing,
    })
}

/// Enters a campaign (public, no login). One entry per phone number per campaign.
#[utoipa::path(post, path = "/api/v1/participations", tag = "participations", request_body = ParticipationRequest,
    responses((status = 201, body = ParticipationResponse),
        (status = 400, body = ErrorBody, description = "VALIDATION_ERROR"),
        (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND"),
        (status = 409, body = ErrorBody, description = "PART_001 already entered, PART_002 not open, PART_005 ended"),
        (status = 413, body = ErrorBody, description = "PAYLOAD_TOO_LARGE"),
        (status = 429, body = ErrorBody, description = "RATE_LIMITED per client IP or per phone number; see the Retry-After header")))]
pub async fn participate(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ParticipationRequest>,
) -> Result<(StatusCode, Json<ParticipationResponse>), ApiError> {
    let now = state.now();
    let result = register(&state, &body, now).await;
    let outcome = match &result {
        Ok(_) => "ACCEPTED",
        Err(e) => e.code,
    };
    state
        .metrics
        .participations
        .get_or_create(&OutcomeLabel {
            outcome: outcome.to_string(),
        })
        .inc();
    state.participation_log.record(Attempt {
        attempted_at: now,
        campaign_id: body
            .event_id
            .as_deref()
            .and_then(|id| Uuid::parse_str(id.trim()).ok()),
        channel: body
            .channel
            .as_deref()
            .and_then(Channel::parse)
            .map(|c| c.as_str().to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        outcome: outcome.to_string(),
    });
    result.map(|response| (StatusCode::CREATED, Json(response)))
}

async fn register(
    state: &AppState,
    body: &ParticipationRequest,
    now: DateTime<Utc>,
) -> Result<ParticipationResponse, ApiError> {
    let entry = parse(body)?;
    let campaign = state.load_active_campaign_cached(entry.campaign_id).await?;
    let window = campaign
        .entry_window()
        .ok_or(ApiError::from(ParticipationError::CampaignNotOpen))?;
    // Checked here too (the aggregate checks again) so a refused entry does
    // not consume an entry number or a key lookup.
    ensure_entry_window_open(&window, now)?;
    let secrets = state
        .secrets
        .get(entry.campaign_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("published campaign without secrets"))?;
    let Some(data_secret) = secrets.data.as_ref() else {
        // Personal data of this campaign was destroyed: it takes no entries.
        return Err(ParticipationError::CampaignEnded.into());
    };
    let pid = privacy::pseudonymous_id(
        &data_secret.pid_key(),
        entry.campaign_id,
        entry.phone.as_str(),
    );
    let aggregate_id = hex::encode(pid);

    let participant_id = Uuid::new_v4();
    let day = entry_number::entry_day(now);
    let sequence = state.entry_numbers.next(entry.campaign_id, day).await?;
    let nonce = random_bytes::<12>().map_err(ApiError::internal)?;
    let sealed = privacy::seal(
        &data_secret.data_key(),
        nonce,
        participant_id,
        &PersonalData {
            name: entry.name.as_str().to_string(),
            phone: entry.phone.as_str().to_string(),
        },
    );
    let entry_number = entry_number::format(entry.campaign_id, day, sequence);
    let command = RegisterParticipant {
        participant_id,
        campaign_id: entry.campaign_id,
        pid: aggregate_id.clone(),
        entry_number: entry_number.clone(),
        channel: entry.channel,
        store_visited: entry.store_visited,
        agree_privacy: entry.agree_privacy,
        agree_marketing: entry.agree_marketing,
        personal_data: sealed,
        campaign: window,
        registered_at: now,
    };
    // Group-committed; the store's primary key decides duplicates, also
    // between racing requests for the same phone.
    state
        .registrations
        .register(command)
        .await
        .map_err(|e| match e {
            RegistrationError::Rule(rule) => ApiError::from(rule),
            RegistrationError::CampaignNotFound => ApiError::campaign_not_found(),
            RegistrationError::Unavailable(detail) => ApiError::unavailable(detail),
        })?;
    Ok(ParticipationResponse {
        participant_id,
        entry_number,
        event_id: entry.campaign_id,
        bonus_entries: participation::bonus_entries(entry.store_visited),
        announcement_at: campaign
            .details
            .as_ref()
            .map(|d| d.announcement_at)
            .unwrap_or(now),
        message: THANK_YOU,
    })
}
