//! Extractors whose rejections are our JSON errors instead of axum's text.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::ApiError;

mod text_guard;

/// `Json<T>` answering bad bodies with `VALIDATION_ERROR` / `PAYLOAD_TOO_LARGE`
/// / `UNSUPPORTED_MEDIA_TYPE`; a control character in any string of the body
/// is refused naming its field ([`promo_domain::text`]).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::from(JsonRejection::from(e)))?;
        text_guard::check_json_body(&bytes)?;
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        Ok(ApiJson(value))
    }
}

/// `application/json` or any `+json` type, as axum's `Json` accepts.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", sub)) => sub == "json" || sub.ends_with("+json"),
        _ => false,
    }
}

/// `Query<T>` answering bad query strings with `VALIDATION_ERROR`.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        text_guard::check_query(&parts.uri)?;
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}

/// The `{eventId}` path segment; an id that is not a UUID names no campaign.
pub struct CampaignId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for CampaignId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state).await?;
        Uuid::parse_str(&raw)
            .map(CampaignId)
            .map_err(|_| ApiError::CampaignNotFound)
    }
}

/// An optional `true`/`false` query parameter; anything else names the field.
pub fn parse_bool(value: &Option<String>, field: &str) -> Result<Option<bool>, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::validation(field, "true 또는 false여야 합니다")),
    }
}

/// An optional whole-number query parameter within `min..=max`.
pub fn parse_number(
    value: &Option<String>,
    field: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::validation(
                field,
                format!("{min} 이상 {max} 이하의 정수여야 합니다"),
            )),
        },
    }
}
