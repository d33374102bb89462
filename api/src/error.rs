//! The one mapping from failures to HTTP.
//!
//! Policy: every error answer is JSON `{code, message}` with a stable `code`
//! clients can branch on, and a Korean `message` a participant or owner can
//! read. Each [`ApiError`] variant names its status and code in
//! [`ApiError::status_and_code`]; use-case errors ([`AppError`]) and request
//! rejections are turned into variants here and nowhere else. Bad input is
//! 400 `VALIDATION_ERROR` naming the field (`field: reason`). Anything
//! unexpected (database down, bug) is logged once, here, with its detail and
//! the request's span, and answered generically: internals never leak.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use promo_application::AppError;
use promo_domain::access::AccessError;
use promo_domain::campaign::CampaignError;
use promo_domain::draw::DrawError;
use promo_domain::entrant::EntrantInputError;
use promo_domain::participation::ParticipationError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `PART_001`.
    pub code: &'static str,
    pub message: String,
}

/// Every error answer the API gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400 `VALIDATION_ERROR`: `field: reason`.
    Validation { field: String, reason: String },
    /// 400 `EVENT_001`.
    InvalidObjective(String),
    /// 400 `EVENT_002`.
    StoreInfoMissing(String),
    /// 400 `PART_007`.
    NotEnoughEntrants(String),
    /// 401 `UNAUTHORIZED`.
    Unauthorized(&'static str),
    /// 403 `FORBIDDEN`.
    Forbidden,
    /// 404 `EVENT_NOT_FOUND`.
    CampaignNotFound,
    /// 404 `PART_008`.
    NoDrawYet,
    /// 404 `PART_003`: no entry matches (entry status).
    EntryNotFound,
    /// 404 `PART_003`: the participant is not (and was not) a winner.
    NotAWinner(String),
    /// 404 `NOT_FOUND`: no such route.
    RouteNotFound,
    /// 405 `METHOD_NOT_ALLOWED`.
    MethodNotAllowed,
    /// 409 `PART_001`.
    AlreadyEntered(String),
    /// 409 `PART_002`.
    CampaignNotOpen(String),
    /// 409 `PART_005`.
    CampaignEnded(String),
    /// 409 `PART_006`.
    AlreadyDrawn(String),
    /// 409 `DRAW_NOT_ALLOWED`.
    DrawNotAllowed(String),
    /// 409 `DRAW_RULES_FIXED`.
    DrawRulesFixed(String),
    /// 409 `EVENT_ALREADY_EXISTS`.
    CampaignExists,
    /// 409 `EVENT_ALREADY_PUBLISHED`.
    AlreadyPublished,
    /// 409 `EVENT_NOT_DRAFT`: only a draft can be edited.
    NotDraft,
    /// 409 `ERASE_NOT_ALLOWED`.
    EraseNotAllowed(String),
    /// 409 `STORE_QR_NOT_PUBLISHED`: no store QR code for a campaign
    /// published without the `STORE_QR` channel.
    StoreQrNotPublished,
    /// 409 `CLAIM_NOT_ALLOWED`: the winner's claim cannot change that way.
    ClaimNotAllowed(String),
    /// 410 `PII_ERASED`: the personal data asked for was erased.
    PiiErased,
    /// 409 `CONCURRENT_UPDATE`: two writes raced; retrying is safe.
    ConcurrentUpdate,
    /// 413 `PAYLOAD_TOO_LARGE`.
    PayloadTooLarge,
    /// 415 `VALIDATION_ERROR`: the body is not JSON.
    UnsupportedMediaType,
    /// 429 `RATE_LIMITED`, with the seconds to wait.
    RateLimited { retry_after_secs: u64 },
    /// 500 `INTERNAL_ERROR` (the detail was logged).
    Internal,
    /// 503 `SERVICE_UNAVAILABLE` (the detail was logged).
    Unavailable,
}

impl ApiError {
    pub fn validation(field: &str, reason: impl std::fmt::Display) -> Self {
        Self::Validation {
            field: field.to_string(),
            reason: reason.to_string(),
        }
    }

    /// Logs the detail (once, inside the request's span) and answers 500.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::Internal
    }

    /// Logs the detail and answers 503: a dependency is down.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "dependency unavailable");
        Self::Unavailable
    }

    /// The one table of statuses and codes.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use StatusCode as S;
        match self {
            Self::Validation { .. } => (S::BAD_REQUEST, "VALIDATION_ERROR"),
            Self::InvalidObjective(_) => (S::BAD_REQUEST, "EVENT_001"),
            Self::StoreInfoMissing(_) => (S::BAD_REQUEST, "EVENT_002"),
            Self::NotEnoughEntrants(_) => (S::BAD_REQUEST, "PART_007"),
            Self::Unauthorized(_) => (S::UNAUTHORIZED, "UNAUTHORIZED"),
            Self::Forbidden => (S::FORBIDDEN, "FORBIDDEN"),
            Self::CampaignNotFound => (S::NOT_FOUND, "EVENT_NOT_FOUND"),
            Self::NoDrawYet => (S::NOT_FOUND, "PART_008"),
            Self::EntryNotFound => (S::NOT_FOUND, "PART_003"),
            Self::NotAWinner(_) => (S::NOT_FOUND, "PART_003"),
            Self::RouteNotFound => (S::NOT_FOUND, "NOT_FOUND"),
            Self::MethodNotAllowed => (S::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            Self::AlreadyEntered(_) => (S::CONFLICT, "PART_001"),
            Self::CampaignNotOpen(_) => (S::CONFLICT, "PART_002"),
            Self::CampaignEnded(_) => (S::CONFLICT, "PART_005"),
            Self::AlreadyDrawn(_) => (S::CONFLICT, "PART_006"),
            Self::DrawNotAllowed(_) => (S::CONFLICT, "DRAW_NOT_ALLOWED"),
            Self::DrawRulesFixed(_) => (S::CONFLICT, "DRAW_RULES_FIXED"),
            Self::CampaignExists => (S::CONFLICT, "EVENT_ALREADY_EXISTS"),
            Self::AlreadyPublished => (S::CONFLICT, "EVENT_ALREADY_PUBLISHED"),
            Self::NotDraft => (S::CONFLICT, "EVENT_NOT_DRAFT"),
            Self::EraseNotAllowed(_) => (S::CONFLICT, "ERASE_NOT_ALLOWED"),
            Self::StoreQrNotPublished => (S::CONFLICT, "STORE_QR_NOT_PUBLISHED"),
            Self::ClaimNotAllowed(_) => (S::CONFLICT, "CLAIM_NOT_ALLOWED"),
            Self::PiiErased => (S::GONE, "PII_ERASED"),
            Self::ConcurrentUpdate => (S::CONFLICT, "CONCURRENT_UPDATE"),
            Self::PayloadTooLarge => (S::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            Self::UnsupportedMediaType => (S::UNSUPPORTED_MEDIA_TYPE, "VALIDATION_ERROR"),
            Self::RateLimited { .. } => (S::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            Self::Internal => (S::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
            Self::Unavailable => (S::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
        }
    }

    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }

    /// The code a use-case error will be answered with, without logging it
    /// (for metrics and the participation log).
    pub fn code_of(error: &AppError) -> &'static str {
        match error {
            AppError::Internal(_) => "INTERNAL_ERROR",
            AppError::Unavailable(_) => "SERVICE_UNAVAILABLE",
            other => ApiError::from(other.clone()).code(),
        }
    }

    /// The Korean message a participant or owner reads.
    pub fn message(&self) -> String {
        match self {
            Self::Validation { field, reason } => format!("{field}: {reason}"),
            Self::InvalidObjective(m)
            | Self::StoreInfoMissing(m)
            | Self::NotEnoughEntrants(m)
            | Self::AlreadyEntered(m)
            | Self::CampaignNotOpen(m)
            | Self::CampaignEnded(m)
            | Self::AlreadyDrawn(m)
            | Self::DrawNotAllowed(m)
            | Self::DrawRulesFixed(m)
            | Self::EraseNotAllowed(m)
            | Self::NotAWinner(m)
            | Self::ClaimNotAllowed(m) => m.clone(),
            Self::PiiErased => "개인정보가 파기되어 더 이상 볼 수 없습니다".into(),
            Self::Unauthorized(m) => m.to_string(),
            Self::Forbidden => "이 이벤트에 대한 권한이 없습니다".into(),
            Self::CampaignNotFound => "이벤트를 찾을 수 없습니다".into(),
            Self::NoDrawYet => "아직 당첨자 추첨이 진행되지 않았습니다".into(),
            Self::EntryNotFound => "참여 내역을 찾을 수 없습니다".into(),
            Self::StoreQrNotPublished => {
                "매장 QR(STORE_QR) 참여 경로로 게시되지 않은 이벤트입니다".into()
            }
            Self::RouteNotFound => "요청한 경로를 찾을 수 없습니다".into(),
            Self::MethodNotAllowed => "허용되지 않는 요청 방식입니다".into(),
            Self::CampaignExists => "이미 존재하는 이벤트입니다".into(),
            Self::AlreadyPublished => "이미 게시된 이벤트입니다".into(),
            Self::NotDraft => "초안 상태의 이벤트만 수정할 수 있습니다".into(),
            Self::ConcurrentUpdate => "동시에 변경되었습니다. 다시 시도해 주세요".into(),
            Self::PayloadTooLarge => "요청 본문이 너무 큽니다".into(),
            Self::UnsupportedMediaType => {
                "body: Content-Type은 application/json이어야 합니다".into()
            }
            Self::RateLimited { retry_after_secs } => {
                format!("요청이 너무 많습니다. {retry_after_secs}초 후에 다시 시도해 주세요")
            }
            Self::Internal => "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요".into(),
            Self::Unavailable => {
                "일시적으로 서비스를 이용할 수 없습니다. 잠시 후 다시 시도해 주세요".into()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let mut response = (
            status,
            Json(ErrorBody {
                code,
                message: self.message(),
            }),
        )
            .into_response();
        if let Self::RateLimited { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
        }
        response
    }
}

impl From<CampaignError> for ApiError {
    fn from(error: CampaignError) -> Self {
        let message = error.to_string();
        match error {
            CampaignError::InvalidObjective(_) => Self::InvalidObjective(message),
            CampaignError::StoreInfoMissing(_) => Self::StoreInfoMissing(message),
            CampaignError::InvalidField { field, reason } => Self::validation(field, reason),
            CampaignError::AlreadyCreated => Self::CampaignExists,
            CampaignError::NotFound => Self::CampaignNotFound,
            CampaignError::NotOwner => Self::Forbidden,
            CampaignError::AlreadyPublished => Self::AlreadyPublished,
            CampaignError::NotDraft => Self::NotDraft,
            CampaignError::NotActive => Self::CampaignNotOpen("진행 중인 이벤트가 아닙니다".into()),
            CampaignError::StillRunning => Self::EraseNotAllowed(message),
        }
    }
}

impl From<ParticipationError> for ApiError {
    fn from(error: ParticipationError) -> Self {
        let message = error.to_string();
        match error {
            ParticipationError::AlreadyEntered => Self::AlreadyEntered(message),
            ParticipationError::PrivacyConsentRequired => Self::validation("agreePrivacy", message),
            ParticipationError::CampaignNotOpen => Self::CampaignNotOpen(message),
            ParticipationError::CampaignEnded => Self::CampaignEnded(message),
        }
    }
}

impl From<DrawError> for ApiError {
    fn from(error: DrawError) -> Self {
        let message = error.to_string();
        match error {
            DrawError::NotOwner => Self::Forbidden,
            DrawError::CampaignNotEnded => Self::DrawNotAllowed(message),
            DrawError::AlreadyDrawn => Self::AlreadyDrawn(message),
            DrawError::InvalidWinnerCount => {
                Self::validation("winnerCount", "1 이상 1000 이하여야 합니다")
            }
            DrawError::RulesFixed => Self::DrawRulesFixed(message),
            DrawError::NotEnoughEntrants { .. } => Self::NotEnoughEntrants(message),
            DrawError::SeedCommitmentMismatch
            | DrawError::InvalidEntrantList(_)
            | DrawError::OrderingMismatch => Self::internal(message),
            DrawError::NotDrawn => Self::NoDrawYet,
            DrawError::NotAWinner => Self::NotAWinner(message),
            DrawError::PrizeForfeited
            | DrawError::PrizeAlreadyClaimed
            | DrawError::ClaimDeadlinePassed
            | DrawError::ClaimPeriodOpen => Self::ClaimNotAllowed(message),
            DrawError::InvalidForfeitReason => Self::validation("reason", message),
            DrawError::PrizesPending => Self::EraseNotAllowed(message),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::NotOwner => Self::Forbidden,
            AccessError::PersonalDataErased => Self::PiiErased,
            AccessError::AlreadyRecorded => Self::internal(error),
        }
    }
}

impl From<EntrantInputError> for ApiError {
    fn from(error: EntrantInputError) -> Self {
        let field = match error {
            EntrantInputError::NameTooShort
            | EntrantInputError::NameTooLong
            | EntrantInputError::NameHasControlCharacters => "name",
            EntrantInputError::PhoneNotKoreanMobile => "phoneNumber",
        };
        Self::validation(field, error)
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Campaign(e) => e.into(),
            AppError::Participation(e) => e.into(),
            AppError::EntrantInput(e) => e.into(),
            AppError::Draw(e) => e.into(),
            // Every performance rule is about one input field, named in the message.
            AppError::Performance(e) => {
                let text = e.to_string();
                match text.split_once(": ") {
                    Some((field, reason)) => Self::validation(field, reason),
                    None => Self::validation("body", text),
                }
            }
            AppError::Access(e) => e.into(),
            // Delivery records are written by the delivery job, never on a request.
            AppError::Notification(e) => Self::internal(e),
            AppError::PersonalDataErased => Self::PiiErased,
            AppError::Invalid { field, reason } => Self::Validation { field, reason },
            AppError::CampaignNotFound => Self::CampaignNotFound,
            AppError::NotOwner => Self::Forbidden,
            AppError::NoDrawYet => Self::NoDrawYet,
            AppError::EntryNotFound => Self::EntryNotFound,
            AppError::StoreQrNotPublished => Self::StoreQrNotPublished,
            AppError::ConcurrentUpdate => Self::ConcurrentUpdate,
            AppError::Unavailable(detail) => Self::unavailable(detail),
            AppError::Internal(detail) => Self::internal(detail),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        AppError::from(error).into()
    }
}

mod rejections;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_keeps_its_published_code() {
        let cases = [
            (ParticipationError::AlreadyEntered.into(), "PART_001", 409),
            (ParticipationError::CampaignNotOpen.into(), "PART_002", 409),
            (ParticipationError::CampaignEnded.into(), "PART_005", 409),
            (DrawError::AlreadyDrawn.into(), "PART_006", 409),
            (DrawError::CampaignNotEnded.into(), "DRAW_NOT_ALLOWED", 409),
            (ApiError::NoDrawYet, "PART_008", 404),
            (ApiError::EntryNotFound, "PART_003", 404),
            (ApiError::CampaignNotFound, "EVENT_NOT_FOUND", 404),
            (ApiError::Forbidden, "FORBIDDEN", 403),
            (ApiError::PiiErased, "PII_ERASED", 410),
            (DrawError::NotAWinner.into(), "PART_003", 404),
            (DrawError::NotDrawn.into(), "PART_008", 404),
            (DrawError::PrizesPending.into(), "ERASE_NOT_ALLOWED", 409),
        ];
        for (error, code, status) in cases {
            let (s, c): (StatusCode, &str) = ApiError::status_and_code(&error);
            assert_eq!((s.as_u16(), c), (status, code), "{error:?}");
        }
        assert_eq!(
            ApiError::from(ParticipationError::AlreadyEntered).message(),
            "이미 참여하신 이벤트입니다"
        );
    }
}
