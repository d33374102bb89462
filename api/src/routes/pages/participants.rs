//! The console's participant list (`participants::queries::page`, masked,
//! filtered, paged) and its CSV download (streamed like the API's export).

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::Router;
use promo_domain::channel::Channel;
use promo_projections::participants::queries::{self, Filters, ParticipantRow as Row};

use super::{header, owned, status_of, PageError, PageResult};
use crate::auth::ConsoleOwner;
use crate::pages::console::{ParticipantFilter, ParticipantRow, ParticipantsPage};
use crate::pages::{render, render_with_status, MessagePage};
use crate::routes::extract::form_fields;
use crate::routes::participants::marketing::marketing_csv;
use crate::routes::participants::{csv_download, parse_filters, ListQuery};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/events/{event_id}/participants", get(list))
        .route(
            "/console/events/{event_id}/participants/export",
            get(export),
        )
}

/// Rows per page.
const PAGE_SIZE: u32 = 20;

/// The query string as the filter form sends it; junk reads as "전체".
fn filter_and_page(query: Option<String>) -> (ParticipantFilter, u32) {
    let mut filter = ParticipantFilter::default();
    let mut page = 1;
    for (key, value) in form_fields(query.unwrap_or_default().as_bytes()) {
        match key.as_str() {
            "channel" => filter.channel = value,
            "storeVisited" => filter.store_visited = value,
            "isWinner" => filter.is_winner = value,
            // The API's limit; the form's box is as long.
            "q" => filter.q = value.trim().chars().take(50).collect(),
            "page" => page = value.trim().parse().unwrap_or(1u32).clamp(1, 1_000_000),
            _ => {}
        }
    }
    (filter, page)
}

fn filters(filter: &ParticipantFilter) -> Filters {
    Filters {
        channel: filter.channel(),
        store_visited: filter.store_visited(),
        is_winner: filter.is_winner(),
        q: Some(filter.q.trim().to_string()).filter(|q| !q.is_empty()),
    }
}

fn row(r: Row) -> Option<ParticipantRow> {
    Some(ParticipantRow {
        channel: Channel::parse(&r.channel)?,
        entry_number: r.entry_number,
        name: r.name_masked,
        phone_number: r.phone_masked,
        store_visited: r.store_visited,
        bonus_entries: u32::try_from(r.bonus_entries).unwrap_or(0),
        participated_at: r.participated_at,
        winner_rank: r.winner_rank.and_then(|rank| u32::try_from(rank).ok()),
    })
}

/// `GET /console/events/{id}/participants?channel=&storeVisited=&isWinner=&q=&page=`.
async fn list(
    State(state): State<AppState>,
    session: ConsoleOwner,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let (id, campaign) = owned(&state, &session, &raw).await?;
    let (filter, page) = filter_and_page(query);
    let (rows, total) = queries::page(
        &state.app.pool,
        id,
        &filters(&filter),
        i64::from(page),
        i64::from(PAGE_SIZE),
    )
    .await?;
    Ok(render(&ParticipantsPage {
        csrf: session.csrf,
        campaign: header(&state, id, &campaign).await?,
        filter,
        rows: rows.into_iter().filter_map(row).collect(),
        total_count: u64::try_from(total).unwrap_or(0),
        page,
        size: PAGE_SIZE,
    }))
}

/// `GET /console/events/{id}/participants/export`: the masked CSV, streamed.
///
/// The list's filters ride along in the link; the export applies what the
/// shared `csv_download` applies (the API's export, kept in one place).
/// `?contacts=marketing`: the full contacts of consenting entrants, recorded
/// in the access log first (the API's `marketing_csv`).
async fn export(
    State(state): State<AppState>,
    session: ConsoleOwner,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let (id, _) = owned(&state, &session, &raw).await?;
    let fields = form_fields(query.unwrap_or_default().as_bytes());
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let marketing = field("contacts").is_some_and(|v| v == "marketing");
    if marketing {
        return match marketing_csv(&state, &session.owner, id).await {
            Ok(csv) => Ok(csv),
            Err(error) => {
                let title = if error.code() == "PII_ERASED" {
                    "개인정보가 파기되어 연락처를 받을 수 없어요"
                } else {
                    "연락처 파일을 만들지 못했어요"
                };
                Ok(render_with_status(
                    status_of(&error),
                    &MessagePage {
                        title: title.into(),
                        detail: "가려진 참여자 CSV는 계속 받을 수 있어요.".into(),
                        next: Some((
                            format!("/console/events/{id}/participants"),
                            "참여자 목록으로".into(),
                        )),
                    },
                ))
            }
        };
    }
    let filters = parse_filters(&ListQuery {
        page: None,
        size: None,
        channel: field("channel"),
        store_visited: field("storeVisited"),
        is_winner: field("isWinner"),
        q: field("q"),
        contacts: None,
    })
    .map_err(PageError::from)?;
    Ok(csv_download(state.app.pool.clone(), id, filters))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_in_the_query_reads_as_no_filter() {
        let (filter, page) = filter_and_page(Some(
            "channel=KAKAO&isWinner=maybe&page=-3&q=%20김%20".into(),
        ));
        let parsed = filters(&filter);
        assert_eq!(parsed.channel, Some(Channel::Kakao));
        assert_eq!(parsed.is_winner, None);
        assert_eq!(parsed.q.as_deref(), Some("김"));
        assert_eq!(page, 1);
        let (filter, page) = filter_and_page(None);
        assert!(filter.is_empty());
        assert_eq!(page, 1);
        let long = "가".repeat(80);
        let (filter, _) = filter_and_page(Some(format!("q={long}&page=4")));
        assert_eq!(filter.q.chars().count(), 50);
    }
}
