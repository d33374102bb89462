//! `GET /api/v1/events/{eventId}/store-qr` (owner): the in-store QR code
//! that proves a store visit. The `store_qr` use case issues the day's
//! signed token; this handler builds the entry page link around it and
//! renders the link as an SVG QR image.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use promo_application::store_visits;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Owner;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::CampaignId;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/events/{event_id}/store-qr", get(store_qr))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoreQrResponse {
    /// The entry page link the QR code holds:
    /// `{PUBLIC_BASE_URL}/e/{eventId}?ch=STORE_QR&t={storeVisitToken}`.
    pub entry_url: String,
    /// Send it as `storeVisitToken` with `storeVisited: true` to
    /// `POST /api/v1/participations` for the store-visit bonus.
    pub store_visit_token: String,
    /// The QR code of `entryUrl`, an SVG document.
    pub qr_svg: String,
    /// The token rotates daily (Korean time): it is accepted on the day it
    /// was issued and the next, until this instant.
    pub expires_at: DateTime<Utc>,
}

/// The in-store QR code of the day (owner only): entry link with the
/// campaign's signed store-visit token, and its SVG image. Print or show it
/// in the store again each day; yesterday's code keeps working today.
#[utoipa::path(get, path = "/api/v1/events/{eventId}/store-qr", tag = "campaigns",
    params(("eventId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = StoreQrResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "EVENT_NOT_FOUND"),
        (status = 409, body = ErrorBody, description = "PART_002 still a draft, STORE_QR_NOT_PUBLISHED the campaign has no STORE_QR channel, PART_005 personal data erased")))]
pub async fn store_qr(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
) -> Result<Json<StoreQrResponse>, ApiError> {
    let pass = store_visits::store_qr(&state.app, &owner, campaign_id).await?;
    let (entry_url, qr_svg) = store_qr_image(&state, campaign_id, &pass.token)?;
    Ok(Json(StoreQrResponse {
        entry_url,
        store_visit_token: pass.token,
        qr_svg,
        expires_at: pass.expires_at,
    }))
}

/// The absolute entry link of a store visit token and its QR image (the
/// JSON endpoint and the console's QR page alike).
pub fn store_qr_image(
    state: &AppState,
    campaign_id: Uuid,
    token: &str,
) -> Result<(String, String), ApiError> {
    let entry_url = state.absolute(&entry_path(campaign_id, token));
    let svg = qr_svg(&entry_url)?;
    Ok((entry_url, svg))
}

/// The entry page path for the store QR channel (the token is URL-safe).
fn entry_path(campaign_id: Uuid, token: &str) -> String {
    format!("/e/{campaign_id}?ch=STORE_QR&t={token}")
}

/// An SVG QR code (error correction M: still scans when a corner is dirty or
/// reflects).
fn qr_svg(text: &str) -> Result<String, ApiError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| ApiError::internal(format!("QR code of {} bytes: {e}", text.len())))?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_link_carries_the_channel_and_token() {
        let id = Uuid::from_u128(1);
        assert_eq!(
            entry_path(id, "20251029.abc_-"),
            "/e/00000000-0000-0000-0000-000000000001?ch=STORE_QR&t=20251029.abc_-"
        );
    }

    #[test]
    fn the_qr_image_is_an_svg_document() {
        let svg = qr_svg("https://promo.example.kr/e/00000000-0000-0000-0000-000000000001?ch=STORE_QR&t=20251029.AAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert!(svg.starts_with("<?xml"), "{}", &svg[..40]);
        assert!(svg.contains("<svg") && svg.ends_with("</svg>"));
    }
}
