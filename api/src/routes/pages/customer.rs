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
use promo_application::self_check::{self, CheckEntry};
use promo_application::{campaigns, draws, participation, AppError};
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
    check_errors, entry_errors, CheckForm, CheckOutcome, CheckPage, EntryCompletePage, EntryForm,
    EventInfo, EventPage, EventPhase, PublicDraw, PublicWinner, ResultPage,
};
use crate::pages::view::{ClaimStatus, FormErrors};
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
    // The store QR link carries its visit token as `t`: the `entryUrl` that
    // `GET /events/{id}/store-qr` (and the console's QR page) hands out.
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
                entrant_id: Some(receipt.entrant_id),
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

/// `POST /e/{id}/check`: the same `self_check::entry_status` use case as
/// `POST /api/v1/events/{id}/entry-status`, rate-limited by the same abuse
/// middleware (a refused post arrives marked [`EntryRateLimited`]).
async fn check(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    limited: Option<Extension<EntryRateLimited>>,
    FormFields(fields): FormFields,
) -> PageResult {
    let (id, _, event) = published(&state, &raw).await?;
    let form = CheckForm::from_pairs(fields);
    let refused = |event: EventInfo, form: CheckForm, error: ApiError| -> Response {
        let page = CheckPage {
            errors: check_errors(error.code(), &error.message()),
            event,
            form,
            outcome: None,
        };
        render_with_status(status_of(&error), &page)
    };
    if let Some(Extension(EntryRateLimited { retry_after_secs })) = limited {
        return Ok(refused(
            event,
            form,
            ApiError::RateLimited { retry_after_secs },
        ));
    }
    let lookup = CheckEntry {
        campaign_id: id,
        phone_number: Some(form.phone_number.clone()),
        entry_number: Some(form.entry_number.clone()),
    };
    let outcome = match self_check::entry_status(&state.app, lookup).await {
        Ok(status) => CheckOutcome::from_status(
            status.in_entrant_list,
            status.is_winner,
            status.rank,
            status.claim_status.map(|c| c.as_str()),
            status.claim_deadline,
        ),
        Err(AppError::EntryNotFound) => CheckOutcome::NotFound,
        Err(error) => return Ok(refused(event, form, ApiError::from(error))),
    };
    Ok(render(&CheckPage {
        event,
        form,
        outcome: Some(outcome),
        errors: FormErrors::none(),
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

/// The published draw with its current winners masked: the same
/// `self_check::public_winners` use case as `GET /api/v1/events/{id}/winners/public`.
async fn public_draw(
    state: &AppState,
    id: Uuid,
    record: &DrawRecord,
) -> Result<PublicDraw, PageError> {
    let winners = self_check::public_winners(&state.app, id)
        .await
        .map_err(PageError::customer)?
        .into_iter()
        .map(|w| PublicWinner {
            rank: w.rank,
            name: w.name,
            phone_number: w.phone_number,
            entry_number: w.entry_number,
            claim_status: ClaimStatus::parse(w.claim_status.as_str())
                .unwrap_or(ClaimStatus::Pending),
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
