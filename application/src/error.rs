//! What a use case can answer instead of its result. Rule violations keep
//! their domain error (each maps to one stable API code in `api/src/error.rs`,
//! the one mapping to HTTP); the rest says whether retrying may help.

use cqrs_es::AggregateError;
use promo_domain::access::AccessError;
use promo_domain::campaign::CampaignError;
use promo_domain::draw::DrawError;
use promo_domain::entrant::EntrantInputError;
use promo_domain::notification::NotificationError;
use promo_domain::participation::ParticipationError;
use promo_domain::performance::PerformanceError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Campaign(#[from] CampaignError),
    #[error(transparent)]
    Participation(#[from] ParticipationError),
    #[error(transparent)]
    EntrantInput(#[from] EntrantInputError),
    #[error(transparent)]
    Draw(#[from] DrawError),
    #[error(transparent)]
    Performance(#[from] PerformanceError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Notification(#[from] NotificationError),
    /// The campaign's personal data was erased: nothing unmasked is left to show.
    #[error("personal data erased")]
    PersonalDataErased,
    /// Input that breaks no domain rule but cannot be used; names the field.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("campaign not found")]
    CampaignNotFound,
    #[error("not the campaign's owner")]
    NotOwner,
    #[error("no draw yet")]
    NoDrawYet,
    /// No entry of this campaign matches the phone number and entry number.
    #[error("entry not found")]
    EntryNotFound,
    /// The store QR code of a campaign not published with `STORE_QR`.
    #[error("campaign not published with the STORE_QR channel")]
    StoreQrNotPublished,
    /// Two writes raced on one aggregate; retrying is safe.
    #[error("concurrent update")]
    ConcurrentUpdate,
    /// A dependency is down; retrying later may help.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or broken invariant; the detail is for the log only.
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    /// A cqrs-es failure: the rule's own error, or what the store said.
    /// `on_conflict` decides what a lost optimistic-concurrency race means.
    pub fn from_aggregate<E: Into<AppError> + std::error::Error>(
        error: AggregateError<E>,
        on_conflict: impl FnOnce() -> AppError,
    ) -> Self {
        match error {
            AggregateError::UserError(e) => e.into(),
            AggregateError::AggregateConflict => on_conflict(),
            AggregateError::DatabaseConnectionError(e) => Self::Unavailable(e.to_string()),
            AggregateError::DeserializationError(e) => Self::internal(e),
            AggregateError::UnexpectedError(e) => Self::internal(e),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                Self::Unavailable(error.to_string())
            }
            other => Self::internal(other),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
