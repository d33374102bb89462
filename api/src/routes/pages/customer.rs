//! The customer's pages, phone first and without any need for JavaScript:
//! the event page and its entry form (`POST /e/{id}` enters through the same
//! `participation::enter` use case as `POST /api/v1/participations`, then
//! redirects to the completion page), "당첨 확인", and the published result.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use chrono::{DateTime, Utc};
use promo_application::participation;
use promo_application::{campaigns, draws};
use promo_domain::campaign::{Campaign, CampaignStatus};
use promo_domain::channel::Channel;
use promo_domain::draw::DrawRecord;
use promo_domain::draw_protocol::Algorithm;
use uuid::Uuid;

use super::{campaign_id, event_info, status_of, PageError, PageResult};
use crate::abuse::EntryRateLimited;
use crate::auth::console::see_other;
use crate::error::ApiError;
use crate::pages::customer::{
    entry_errors, CheckForm, CheckPage, EntryCompletePage, EntryForm, EventInfo, EventPage,
    EventPhase, PublicDraw, PublicWinner, ResultPage,
};
use crate::pages::view::{Banner, ClaimStatus, FormErrors, Tone};
use crate::pages::{render, render_with_status};
use crate::routes::extract::{form_fields, FormFields};
use crate::state::AppState;

mod receipt;
pub use receipt::EntryReceipt;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/e/{event_id}", get(event_page).post(enter))
        .route("/e/{event_id}/done", get(done))
        .route("/e/{event_id}/check", get(check_page).post(check))
        .route("/e/{event_id}/result", get(result))
}

/// A published campaign for a public page: unknown ids and drafts are 404.
async fn published(state: &AppState, raw: &str) -> Result<(Uuid, Campaign, EventInfo), PageError> {
    let id = campaign_id(raw).map_err(PageError::customer)?;
    let campaign = campaigns::load(&state.app, id)
        .await
        .map_err(PageError::customer)?;
    let event =
        event_info(id, &campaign).ok_or_else(|| PageError::customer(ApiError::CampaignNotFound))?;
    Ok((id, campaign, event))
}

/// Whether entries are open now.
pub fn phase(campaign: &Campaign, now: DateTime<Utc>) -> EventPhase {
    match (campaign.effective_status(now), &campaign.details) {
        (CampaignStatus::Active, Some(details)) if now < details.starts_at => {
            EventPhase::NotStarted
        }
        (CampaignStatus::Active, _) => EventPhase::Open,
        _ => EventPhase::Ended,
    }
}

/// The entry path of a visit: `?ch=` when the campaign was published with
/// it, else its first published online channel (the store QR channel only
/// when it is the only one).
pub fn entry_channel(requested: Option<&str>, published: &[Channel]) -> Option<Channel> {
    let requested = requested.and_then(|ch| Channel::parse(&ch.trim().to_ascii_uppercase()));
    requested
        .filter(|ch| published.contains(ch))
        .or_else(|| published.iter().copied().find(|&ch| ch != Channel::StoreQr))
        .or_else(|| published.first().copied())
}

fn published_channels(campaign: &Campaign) -> &[Channel] {
    campaign
        .details
        .as_ref()
        .map(|d| d.channels.as_slice())
        .unwrap_or_default()
}

fn query_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// `GET /e/{id}?ch=CHANNEL[&t=TOKEN]`: the event and its entry form.
async fn event_page(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let (_, campaign, event) = published(&state, &raw).await?;
    let pairs = form_fields(query.unwrap_or_default().as_bytes());
    let channel = entry_channel(query_value(&pairs, "ch"), published_channels(&campaign));
    // The store QR link carries its visit token as `t` (ISSUE-10: keep in step
    // with the `entryUrl` that `GET /events/{id}/store-qr` hands out).
    let store_visit_token = query_value(&pairs, "t").map(str::to_string);
    Ok(render(&EventPage {
        event,
        phase: phase(&campaign, state.app.now()),
        channel,
        form: EntryForm {
            store_visited: store_visit_token.is_some(),
            ..EntryForm::default()
        },
        store_visit_token,
        errors: FormErrors::none(),
    }))
}

/// `POST /e/{id}`: enters; on success 303 to the completion page, otherwise
/// the form again, as typed, with the Korean message at the field concerned.
async fn enter(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    limited: Option<Extension<EntryRateLimited>>,
    FormFields(fields): FormFields,
) -> PageResult {
    let id = campaign_id(&raw).map_err(PageError::customer)?;
    let campaign = campaigns::load_active_cached(&state.app, id)
        .await
        .map_err(PageError::customer)?;
    let event =
        event_info(id, &campaign).ok_or_else(|| PageError::customer(ApiError::CampaignNotFound))?;
    let form = EntryForm::from_pairs(fields);
    let shown_again = |error: ApiError| -> Response {
        let page = EventPage {
            errors: entry_errors(&event, error.code(), &error.message()),
            event: event.clone(),
            phase: EventPhase::Open,
            channel: form.channel.as_deref().and_then(Channel::parse),
            store_visit_token: form.store_visit_token.clone(),
            form: form.clone(),
        };
        render_with_status(status_of(&error), &page)
    };
    if let Some(Extension(EntryRateLimited { retry_after_secs })) = limited {
        return Ok(shown_again(ApiError::RateLimited { retry_after_secs }));
    }
    let channel = form
        .channel
        .clone()
        .or_else(|| entry_channel(None, published_channels(&campaign)).map(|c| c.to_string()));
    let entry = participation::EntryForm {
        event_id: Some(id.to_string()),
        name: Some(form.name.clone()),
        phone_number: Some(form.phone_number.clone()),
        channel,
        store_visited: form.store_visited,
        agree_privacy: form.agree_privacy,
        agree_marketing: form.agree_marketing,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        store_visit_token: form.store_visit_token.clone(),
    };
    match participation::enter(&state.app, entry, ApiError::code_of).await {
        Ok(receipt) => {
            let receipt = EntryReceipt {
                entry_number: receipt.entry_number,
                bonus_entries: receipt.bonus_entries,
                // ISSUE-10: `Some(receipt.entrant_id)` once the receipt carries it.
                entrant_id: None,
            };
            Ok(see_other(&receipt.done_url(&state.auth, id)))
        }
        Err(error) => Ok(shown_again(ApiError::from(error))),
    }
}

/// `GET /e/{id}/done?…`: the completion screen of a signed receipt; without
/// one, back to the event page.
async fn done(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let (id, _, event) = published(&state, &raw).await?;
    let pairs = form_fields(query.unwrap_or_default().as_bytes());
    let Some(receipt) = EntryReceipt::from_query(&state.auth, id, &pairs) else {
        return Ok(see_other(&event.page_url()));
    };
    Ok(render(&EntryCompletePage {
        event,
        entry_number: receipt.entry_number,
        entrant_id: receipt.entrant_id,
        bonus_entries: u32::from(receipt.bonus_entries),
    }))
}

/// `GET /e/{id}/check`: the lookup form.
async fn check_page(State(state): State<AppState>, Path(raw): Path<String>) -> PageResult {
    let (_, _, event) = published(&state, &raw).await?;
    Ok(render(&CheckPage {
        event,
        form: CheckForm::default(),
        outcome: None,
        errors: FormErrors::none(),
    }))
}

/// `POST /e/{id}/check`.
///
/// ISSUE-10: the entry-status use case (`POST /api/v1/events/{id}/entry-status`)
/// is not on this branch. When it lands, call it with `form` and answer
/// `outcome: Some(CheckOutcome::from_status(..))`, `Some(CheckOutcome::NotFound)`
/// for `PART_003`, or `errors: check_errors(code, message)` for a refusal.
/// Until then the form comes back, as typed, saying the lookup is not open yet.
async fn check(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    FormFields(fields): FormFields,
) -> PageResult {
    let (_, _, event) = published(&state, &raw).await?;
    let notice = Banner::new(Tone::Info, "응모 확인은 곧 열려요")
        .with_detail("응모 번호는 참여 완료 화면과 알림톡에 있어요. 당첨자 발표는 결과 페이지에서 볼 수 있어요.")
        .with_link(event.result_url(), "결과 페이지");
    Ok(render(&CheckPage {
        event,
        form: CheckForm::from_pairs(fields),
        outcome: None,
        errors: FormErrors::banner(notice),
    }))
}

/// `GET /e/{id}/result`: masked winners and how to verify the draw.
async fn result(State(state): State<AppState>, Path(raw): Path<String>) -> PageResult {
    let (id, _, event) = published(&state, &raw).await?;
    let record = draws::record(&state.app, id)
        .await
        .map_err(PageError::customer)?;
    let draw = match record {
        Some(record) => Some(public_draw(&state, id, &record).await?),
        None => None,
    };
    Ok(render(&ResultPage { event, draw }))
}

/// The published draw with its winners masked.
///
/// ISSUE-10: `GET /api/v1/events/{id}/winners/public`'s use case replaces the
/// winner list built here (it knows current winners and their claim states,
/// ISSUE-11); until then every drawn winner shows as waiting to claim.
async fn public_draw(
    state: &AppState,
    id: Uuid,
    record: &DrawRecord,
) -> Result<PublicDraw, PageError> {
    let ids: Vec<Uuid> = record.winners.iter().map(|w| w.participant_id).collect();
    let masked = draws::masked_entrants(&state.app, id, &ids)
        .await
        .map_err(PageError::customer)?;
    let winners = record
        .winners
        .iter()
        .map(|w| {
            let person = masked.get(&w.participant_id).cloned().unwrap_or_default();
            PublicWinner {
                rank: w.rank,
                name: person.name,
                phone_number: person.phone,
                entry_number: w.entry_number.clone(),
                claim_status: ClaimStatus::Pending,
            }
        })
        .collect();
    Ok(PublicDraw {
        drawn_at: record.drawn_at,
        total_entrants: record.entrant_count,
        weighted: record.algorithm == Algorithm::Weighted,
        seed_commitment: record.commitment.clone(),
        winners,
        draw_url: state.absolute(&format!("/api/v1/events/{id}/draw")),
        entrants_url: Some(state.absolute(&format!("/api/v1/events/{id}/draw/entrants"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_path_is_a_published_channel() {
        let published = [Channel::StoreQr, Channel::Instagram, Channel::Kakao];
        assert_eq!(
            entry_channel(Some("KAKAO"), &published),
            Some(Channel::Kakao)
        );
        assert_eq!(
            entry_channel(Some("kakao"), &published),
            Some(Channel::Kakao)
        );
        assert_eq!(
            entry_channel(Some("NAVER"), &published),
            Some(Channel::Instagram),
            "not published: the first online channel"
        );
        assert_eq!(
            entry_channel(Some("<script>"), &published),
            Some(Channel::Instagram)
        );
        assert_eq!(entry_channel(None, &published), Some(Channel::Instagram));
        assert_eq!(
            entry_channel(None, &[Channel::StoreQr]),
            Some(Channel::StoreQr)
        );
        assert_eq!(entry_channel(None, &[]), None);
    }
}
