//! Extractors whose rejections are our JSON errors instead of axum's text,
//! and the plain-form reading the pages' POSTs share.

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

/// The `application/x-www-form-urlencoded` pairs of a form post, in order
/// (repeated names, e.g. ticked checkboxes, stay repeated). Never fails:
/// malformed escapes and invalid UTF-8 are read leniently, so hostile bodies
/// end up as values the form's own checks refuse.
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// A public page's form post (no session): its fields, see [`form_fields`].
pub struct FormFields(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::validation("body", "읽을 수 없습니다")
            }
        })?;
        Ok(FormFields(form_fields(&bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_keep_order_and_repeats_and_never_fail() {
        let fields =
            form_fields(b"channels=KAKAO&name=%EA%B9%80+%EB%AF%BC&channels=NAVER&bad=%zz&raw=%ff");
        assert_eq!(fields[0], ("channels".into(), "KAKAO".into()));
        assert_eq!(fields[1], ("name".into(), "김 민".into()));
        assert_eq!(fields[2], ("channels".into(), "NAVER".into()));
        assert_eq!(fields[3], ("bad".into(), "%zz".into()));
        assert_eq!(fields[4].0, "raw");
        assert!(form_fields(b"").is_empty());
    }
}
