//! The participant list as CSV for Excel: a UTF-8 byte-order mark (without
//! it Excel reads Hangul as mojibake), the list's filters, times in Korean
//! time with their offset, the marketing-consent column, and spreadsheet
//! formulas defused. Rows are read in short keyset pages and streamed, so
//! memory stays bounded and no connection is held while a slow client reads;
//! a client that stops reading for [`IDLE_TIMEOUT`] is cut off.

use std::time::Duration;

use axum::body::Body;
use axum::extract::State;

use axum::response::Response;
use promo_application::campaigns;
use promo_domain::entry_number::kst;
use promo_projections::participants::queries::{self, Filters, ParticipantRow};
use sqlx::PgPool;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::csv::{csv_cell, csv_response};
use super::{parse_filters, ListQuery};
use crate::auth::Owner;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::{ApiQuery, CampaignId};
use crate::state::AppState;

pub const CSV_HEADER: &str = "\u{feff}entryNumber,name,phoneNumber,channel,storeVisited,bonusEntries,participatedAt,isWinner,winnerRank,agreeMarketing\n";

/// Rows per database round trip.
const PAGE: i64 = 1_000;
/// How long a client may stop reading before the export gives up.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

fn csv_line(p: &ParticipantRow) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{},{}\n",
        csv_cell(&p.entry_number),
        csv_cell(&p.name_masked),
        csv_cell(&p.phone_masked),
        csv_cell(&p.channel),
        p.store_visited,
        p.bonus_entries,
        p.participated_at
            .with_timezone(&kst())
            .format("%Y-%m-%d %H:%M:%S%:z"),
        p.is_winner,
        p.winner_rank.map(|r| r.to_string()).unwrap_or_default(),
        p.agree_marketing.unwrap_or(false),
    )
}

/// The filtered participant list as CSV (masked, newest first), streamed
/// (owner only). `?contacts=marketing`: instead, the full name and phone of
/// the entrants who consented to marketing, recorded in the access log first
/// (410 `PII_ERASED` after the erasure).
#[utoipa::path(get, path = "/api/v1/events/{eventId}/participants/export", tag = "participants",
    params(("eventId" = Uuid, Path), ListQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 410, body = ErrorBody, description = "PII_ERASED (contacts=marketing)")))]
pub async fn export_csv(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    match query.contacts.as_deref().map(str::trim) {
        None | Some("") => {}
        Some("marketing") => {
            return super::marketing::marketing_csv(&state, &owner, campaign_id).await;
        }
        Some(_) => {
            return Err(ApiError::validation(
                "contacts",
                "marketing만 쓸 수 있습니다",
            ))
        }
    }
    let filters = parse_filters(&query)?;
    campaigns::owned(&state.app, campaign_id, &owner).await?;
    Ok(csv_download(state.app.pool.clone(), campaign_id, filters))
}

/// The filtered, masked participant list as a streamed CSV download: the
/// body of the API's export and of the console's.
pub fn csv_download(pool: PgPool, campaign_id: Uuid, filters: Filters) -> Response {
    csv_response(
        campaign_id,
        stream_rows(pool, campaign_id, filters, csv_line),
    )
}

/// Streams [`CSV_HEADER`] and one `line` per filtered row, page by page.
pub fn stream_rows(
    pool: PgPool,
    campaign_id: Uuid,
    filters: Filters,
    line: fn(&ParticipantRow) -> String,
) -> Body {
    let (sender, receiver) = mpsc::channel::<Result<String, std::io::Error>>(4);
    tokio::spawn(async move {
        let send = |chunk: Result<String, std::io::Error>| {
            let sender = sender.clone();
            async move {
                matches!(
                    tokio::time::timeout(IDLE_TIMEOUT, sender.send(chunk)).await,
                    Ok(Ok(()))
                )
            }
        };
        if !send(Ok(CSV_HEADER.to_string())).await {
            return;
        }
        let mut after = None;
        loop {
            let page = match queries::export_page(&pool, campaign_id, &filters, after, PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::error!(%error, "CSV export failed mid-stream");
                    send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            let chunk: String = page.iter().map(line).collect();
            let full = page.len() as i64 == PAGE;
            after = page.last().map(|r| (r.participated_at, r.participant_id));
            if !chunk.is_empty() && !send(Ok(chunk)).await {
                tracing::info!(%campaign_id, "CSV export stopped: the client went away or stalled");
                return;
            }
            if !full {
                return;
            }
        }
    });
    Body::from_stream(futures::stream::unfold(receiver, |mut rx| async move {
        rx.recv().await.map(|c| (c, rx))
    }))
}
