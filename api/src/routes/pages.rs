//! The HTML pages, wired to the service: thin handlers that parse the request,
//! call the same use cases and read-model queries as the JSON routes, and fill
//! the view models of [`crate::pages`]. Use-case errors go through the one
//! mapping (`ApiError::from(AppError)`) and come back as the page's Korean
//! messages (`entry_errors`, `FormErrors`) or, for whole-page problems, a
//! message page with the matching status.
//!
//! | module | URLs |
//! |---|---|
//! | [`customer`] | `GET /e/{id}` (`?ch=`), `POST /e/{id}`, `GET /e/{id}/done`, `GET\|POST /e/{id}/check`, `GET /e/{id}/result` |
//! | [`session`] | `GET /`, `GET /console`, `GET /console/login?token=`, `POST /console/logout` |
//! | [`campaign`] | `GET /console/events/new`, `POST /console/events`, `GET\|POST /console/events/{id}/publish`, `GET /console/events/{id}`, `…/live.json`, `GET\|POST …/end`, `GET …/store-qr` |
//! | [`participants`] | `GET /console/events/{id}/participants`, `…/participants/export` |
//! | [`draw`] | `GET\|POST /console/events/{id}/draw`, `GET …/winners`, `POST …/winners/contacts`, `POST …/winners/{participantId}/claim\|forfeit` |
//! | [`analytics`] | `GET /console/events/{id}/analytics`, `POST …/costs` |
//!
//! Console pages authenticate from the session cookie ([`ConsoleOwner`]) and
//! every console POST passes the CSRF check ([`crate::auth::ConsoleForm`]).
//!
//! Every page calls the use case or read-model query its JSON twin calls: the
//! store QR page (`store_visits`), the check page and the result
//! (`self_check`), the winners with contacts, claims and forfeits (`claims`,
//! `contacts`), the marketing contacts export (`contacts::marketing_contacts`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, Utc};
use promo_application::{campaigns, draws, AppError};
use promo_domain::campaign::{Campaign, CampaignStatus};
use uuid::Uuid;

use crate::auth::ConsoleOwner;
use crate::error::ApiError;
use crate::pages::console::CampaignHeader;
use crate::pages::customer::EventInfo;
use crate::pages::view::{Banner, CampaignState, FormErrors};
use crate::pages::{render_with_status, MessagePage};
use crate::state::AppState;

pub mod analytics;
pub mod campaign;
pub mod customer;
pub mod draw;
pub mod participants;
pub mod session;

/// Every page route, the embedded assets and `/docs`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(customer::router())
        .merge(session::router())
        .merge(campaign::router())
        .merge(participants::router())
        .merge(draw::router())
        .merge(analytics::router())
        .merge(crate::pages::assets_router())
        .merge(crate::pages::docs_router())
}

/// A whole-page problem: the message page with the error's status.
#[derive(Debug)]
pub struct PageError {
    error: ApiError,
    /// Owners get a way back to their console; customers do not.
    console: bool,
}

impl PageError {
    /// For a customer page (no link to the console).
    pub fn customer(error: impl Into<ApiError>) -> Self {
        Self {
            error: error.into(),
            console: false,
        }
    }
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        Self {
            error: error.into(),
            console: true,
        }
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            console: true,
        }
    }
}

impl From<sqlx::Error> for PageError {
    fn from(error: sqlx::Error) -> Self {
        AppError::from(error).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, _) = self.error.status_and_code();
        let next = self
            .console
            .then(|| ("/console".to_string(), "내 이벤트로".to_string()));
        let page = match self.error {
            ApiError::CampaignNotFound => MessagePage {
                next,
                ..MessagePage::event_not_found()
            },
            ApiError::Forbidden => MessagePage {
                title: "이 이벤트를 볼 수 없어요".into(),
                detail: "다른 사장님의 이벤트예요. 로그인한 계정을 확인해 주세요.".into(),
                next,
            },
            error => MessagePage {
                title: "요청을 처리하지 못했어요".into(),
                detail: error.message(),
                next,
            },
        };
        render_with_status(status, &page)
    }
}

pub type PageResult = Result<Response, PageError>;

/// The `{eventId}` of a page URL; anything else names no campaign.
pub fn campaign_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::CampaignNotFound)
}

/// The owner's campaign named by the URL: 404 unknown, 403 someone else's.
pub async fn owned(
    state: &AppState,
    session: &ConsoleOwner,
    raw_id: &str,
) -> Result<(Uuid, Campaign), PageError> {
    let id = campaign_id(raw_id)?;
    let campaign = campaigns::owned(&state.app, id, &session.owner).await?;
    Ok((id, campaign))
}

/// What customer pages show of a published campaign; `None` for a draft.
pub fn event_info(campaign_id: Uuid, campaign: &Campaign) -> Option<EventInfo> {
    let details = campaign.details.as_ref()?;
    Some(EventInfo {
        event_id: campaign_id,
        store_name: campaign
            .store
            .as_ref()
            .map(|s| s.store_name.clone())
            .unwrap_or_default(),
        title: details.title.clone(),
        prize: details.prize.clone(),
        starts_at: details.starts_at,
        ends_at: details.ends_at,
        announcement_at: details.announcement_at,
        winner_count: details.draw.winner_count(),
        visit_bonus: details.draw.rules().is_some_and(|r| r.visit_bonus()),
    })
}

/// Where the campaign is in its life as the console shows it. Whether it was
/// drawn is only asked once it has ended.
pub async fn campaign_state(
    state: &AppState,
    campaign_id: Uuid,
    campaign: &Campaign,
    now: DateTime<Utc>,
) -> Result<CampaignState, PageError> {
    Ok(match campaign.effective_status(now) {
        CampaignStatus::Draft => CampaignState::Draft,
        CampaignStatus::Active => match &campaign.details {
            Some(details) if details.starts_at > now => CampaignState::Scheduled,
            _ => CampaignState::Active,
        },
        CampaignStatus::Ended => {
            if draws::record(&state.app, campaign_id).await?.is_some() {
                CampaignState::Drawn
            } else {
                CampaignState::Ended
            }
        }
    })
}

/// The heading and tab bar of a console page about one campaign.
pub async fn header(
    state: &AppState,
    campaign_id: Uuid,
    campaign: &Campaign,
) -> Result<CampaignHeader, PageError> {
    Ok(CampaignHeader {
        event_id: campaign_id,
        title: campaign
            .details
            .as_ref()
            .map(|d| d.title.clone())
            .unwrap_or_default(),
        store_name: campaign
            .store
            .as_ref()
            .map(|s| s.store_name.clone())
            .unwrap_or_default(),
        state: campaign_state(state, campaign_id, campaign, state.app.now()).await?,
    })
}

/// A refused console form, shown again: a validation error next to its field
/// (the message's reason is Korean), a missing store field likewise, the rest
/// as a banner with the API's Korean message.
pub fn form_errors(error: &ApiError) -> FormErrors {
    let check = || Banner::error("입력 내용을 확인해 주세요");
    match error {
        ApiError::Validation { field, reason } => {
            FormErrors::banner(check()).with_field(field, reason.clone())
        }
        ApiError::InvalidObjective(_) => {
            FormErrors::banner(check()).with_field("objective", "이벤트 목적을 골라 주세요.")
        }
        ApiError::StoreInfoMissing(message) => {
            let field = message.rsplit(": ").next().unwrap_or_default();
            FormErrors::banner(check()).with_field(field, "비어 있어요. 입력해 주세요.")
        }
        other => FormErrors::banner(Banner::error(other.message())),
    }
}

/// The status a page shown again with `error` answers with.
pub fn status_of(error: &ApiError) -> StatusCode {
    error.status_and_code().0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_forms_mark_the_field_they_are_about() {
        let errors = form_errors(&ApiError::validation("endsAt", "지금 이후여야 합니다"));
        assert_eq!(errors.field("endsAt"), Some("지금 이후여야 합니다"));
        let errors = form_errors(&ApiError::StoreInfoMissing(
            "매장 정보가 누락되었습니다: industry".into(),
        ));
        assert!(errors.has("industry"));
        let errors = form_errors(&ApiError::AlreadyDrawn(
            "이미 당첨자 추첨이 완료되었습니다".into(),
        ));
        assert!(errors.fields.is_empty());
        assert_eq!(
            errors.banner.unwrap().title,
            "이미 당첨자 추첨이 완료되었습니다"
        );
    }
}
