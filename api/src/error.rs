//! The one mapping from failures to HTTP.
//!
//! Policy: every error answer is JSON `{code, message}` with a stable `code`
//! clients can branch on. Domain rule violations keep their rule's code and
//! Korean message. Bad input is 400 `VALIDATION_ERROR` naming the field.
//! Anything unexpected (database down, bug) is logged with its detail here
//! and answered as 500/503 with a generic message: internals never leak.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use cqrs_es::AggregateError;
use promo_domain::campaign::CampaignError;
use promo_domain::entrant::EntrantInputError;
use promo_domain::participation::ParticipationError;
use promo_domain::performance::PerformanceError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `PART_001`.
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn validation(field: &str, reason: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            format!("{field}: {reason}"),
        )
    }

    pub fn unauthorized(reason: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", reason)
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "이 이벤트에 대한 권한이 없습니다",
        )
    }

    pub fn campaign_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "EVENT_NOT_FOUND",
            "이벤트를 찾을 수 없습니다",
        )
    }

    /// Two writes raced on one aggregate; retrying the request is safe.
    pub fn concurrent_update() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "CONCURRENT_UPDATE",
            "동시에 변경되었습니다. 다시 시도해 주세요",
        )
    }

    /// Logs the detail and answers generically.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요",
        )
    }

    /// A dependency (database, NATS) is unavailable: worth retrying.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "일시적으로 서비스를 이용할 수 없습니다. 잠시 후 다시 시도해 주세요",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                code: self.code,
                message: self.message,
            }),
        )
            .into_response()
    }
}

impl From<CampaignError> for ApiError {
    fn from(error: CampaignError) -> Self {
        let message = error.to_string();
        match error {
            CampaignError::InvalidObjective(_) => {
                Self::new(StatusCode::BAD_REQUEST, "EVENT_001", message)
            }
            CampaignError::StoreInfoMissing(_) => {
                Self::new(StatusCode::BAD_REQUEST, "EVENT_002", message)
            }
            CampaignError::InvalidField { .. } => {
                Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
            }
            CampaignError::AlreadyCreated => {
                Self::new(StatusCode::CONFLICT, "EVENT_ALREADY_EXISTS", message)
            }
            CampaignError::NotFound => Self::campaign_not_found(),
            CampaignError::NotOwner => Self::forbidden(),
            CampaignError::AlreadyPublished => Self::new(
                StatusCode::CONFLICT,
                "EVENT_ALREADY_PUBLISHED",
                "이미 게시된 이벤트입니다",
            ),
            CampaignError::NotActive => Self::new(
                StatusCode::CONFLICT,
                "PART_002",
                "진행 중인 이벤트가 아닙니다",
            ),
            CampaignError::StillRunning => {
                Self::new(StatusCode::CONFLICT, "ERASE_NOT_ALLOWED", message)
            }
        }
    }
}

impl From<ParticipationError> for ApiError {
    fn from(error: ParticipationError) -> Self {
        let message = error.to_string();
        match error {
            ParticipationError::AlreadyEntered => {
                Self::new(StatusCode::CONFLICT, "PART_001", message)
            }
            ParticipationError::PrivacyConsentRequired => Self::validation("agreePrivacy", message),
            ParticipationError::CampaignNotOpen => {
                Self::new(StatusCode::CONFLICT, "PART_002", message)
            }
            ParticipationError::CampaignEnded => {
                Self::new(StatusCode::CONFLICT, "PART_005", message)
            }
        }
    }
}

impl From<PerformanceError> for ApiError {
    fn from(error: PerformanceError) -> Self {
        // Every performance rule is about one input field, named in the message.
        Self::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            error.to_string(),
        )
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

/// Store failures: a conflict is the caller's to interpret (see
/// [`from_aggregate_error`]); connection trouble is 503; the rest is 500.
pub fn from_aggregate_error<E>(
    error: AggregateError<E>,
    on_conflict: impl FnOnce() -> ApiError,
) -> ApiError
where
    E: std::error::Error + Into<ApiError>,
{
    match error {
        AggregateError::UserError(e) => e.into(),
        AggregateError::AggregateConflict => on_conflict(),
        AggregateError::DatabaseConnectionError(e) => ApiError::unavailable(e),
        AggregateError::DeserializationError(e) => ApiError::internal(e),
        AggregateError::UnexpectedError(e) => ApiError::internal(e),
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                Self::unavailable(error)
            }
            other => Self::internal(other),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::BytesRejection(ref inner)
                if inner.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Self::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    "요청 본문이 너무 큽니다",
                )
            }
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "VALIDATION_ERROR",
                "body: Content-Type must be application/json",
            ),
            other => Self::new(
                StatusCode::BAD_REQUEST,
                "VALIDATION_ERROR",
                format!("body: {}", other.body_text()),
            ),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            format!("query: {}", rejection.body_text()),
        )
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        // An id that does not parse cannot name an existing campaign.
        Self::campaign_not_found()
    }
}
