//! Drawing the winners in the console (`draws::draw_winners`, no body: the
//! rules were fixed at publish) with its verification record, and the winners
//! page (masked, from `draws::record` + `draws::masked_entrants`).

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::Duration;
use promo_application::draws::{self, DrawWinners};
use promo_domain::campaign::Campaign;
use promo_domain::draw::DrawRecord as Recorded;
use uuid::Uuid;

use super::{form_errors, header, owned, status_of, PageError, PageResult};
use crate::auth::console::see_other;
use crate::auth::{ConsoleForm, ConsoleOwner};
use crate::error::ApiError;
use crate::pages::console::{DrawPage, DrawRecord, DrawRules, WinnerRow, WinnersPage};
use crate::pages::view::{Banner, ClaimStatus, FormErrors, NotificationStatus, Tone};
use crate::pages::{render, render_with_status};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/events/{event_id}/draw", get(draw_page).post(draw))
        .route("/console/events/{event_id}/winners", get(winners))
        .route(
            "/console/events/{event_id}/winners/contacts",
            post(show_contacts),
        )
        .route(
            "/console/events/{event_id}/winners/{participant_id}/{action}",
            post(claim_action),
        )
}

/// The rules fixed at publish (a campaign published before draw/v2 draws
/// RANDOM with its published winner count, as the use case does).
fn rules(campaign: &Campaign) -> DrawRules {
    let terms = campaign.details.as_ref().map(|d| d.draw);
    let fixed = terms.as_ref().and_then(|t| t.rules().copied());
    DrawRules {
        winner_count: terms.map(|t| t.winner_count()).unwrap_or(0),
        visit_bonus: fixed.is_some_and(|r| r.visit_bonus()),
        alternate_count: fixed.map(|r| r.alternate_count()).unwrap_or(0),
        claim_days: fixed.map(|r| r.claim_days()).unwrap_or(7),
    }
}

fn record_view(state: &AppState, id: Uuid, record: &Recorded) -> DrawRecord {
    DrawRecord {
        drawn_at: record.drawn_at,
        algorithm: record.algorithm.as_str().to_string(),
        protocol_version: record.protocol_version.clone(),
        total_entrants: record.entrant_count,
        seed_commitment: record.commitment.clone(),
        server_seed: record.server_seed.clone(),
        entrant_list_hash: record.list_hash.clone(),
        seed: record.seed.clone(),
        draw_url: state.absolute(&format!("/api/v1/events/{id}/draw")),
        entrants_url: Some(state.absolute(&format!("/api/v1/events/{id}/draw/entrants"))),
        result_url: format!("/e/{id}/result"),
    }
}

async fn draw_view(
    state: &AppState,
    csrf: String,
    id: Uuid,
    campaign: &Campaign,
    errors: FormErrors,
) -> Result<DrawPage, PageError> {
    let record = draws::record(&state.app, id).await?;
    let participants = promo_projections::participants::queries::count(&state.app.pool, id).await?;
    Ok(DrawPage {
        csrf,
        campaign: header(state, id, campaign).await?,
        participants: u64::try_from(participants).unwrap_or(0),
        rules: rules(campaign),
        record: record.map(|r| record_view(state, id, &r)),
        errors,
    })
}

/// `GET /console/events/{id}/draw`: before the end a pointer to ending, then
/// the confirmation, after the draw its verification record.
async fn draw_page(
    State(state): State<AppState>,
    session: ConsoleOwner,
    Path(raw): Path<String>,
) -> PageResult {
    let (id, campaign) = owned(&state, &session, &raw).await?;
    let page = draw_view(&state, session.csrf, id, &campaign, FormErrors::none()).await?;
    Ok(render(&page))
}

/// `POST /console/events/{id}/draw`: draws once; the record is shown after.
async fn draw(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    post: ConsoleForm,
) -> PageResult {
    let (id, campaign) = owned(&state, &post.session, &raw).await?;
    let input = DrawWinners {
        owner: post.session.owner.clone(),
        campaign_id: id,
        winner_count: None,
        visit_bonus: None,
    };
    match draws::draw_winners(&state.app, input).await {
        Ok(_) => Ok(see_other(&format!("/console/events/{id}/draw"))),
        Err(error) => {
            let error = ApiError::from(error);
            let errors = form_errors(&error);
            let page = draw_view(&state, post.session.csrf, id, &campaign, errors).await?;
            Ok(render_with_status(status_of(&error), &page))
        }
    }
}

/// The winners page, masked.
///
/// ISSUE-11: claim states, promoted alternates, unawarded ranks and the
/// notification outcome come with winner contacts and claims; until then
/// every drawn winner is waiting to claim and notifications are only recorded
/// (the default sender records them, nothing leaves the system).
async fn winners_view(
    state: &AppState,
    csrf: String,
    id: Uuid,
    campaign: &Campaign,
    notice: Option<Banner>,
) -> Result<WinnersPage, PageError> {
    let record = draws::record(&state.app, id).await?;
    let ranked: Vec<_> = record.iter().flat_map(|r| r.winners.iter()).collect();
    let ids: Vec<Uuid> = ranked.iter().map(|w| w.participant_id).collect();
    let masked = draws::masked_entrants(&state.app, id, &ids).await?;
    let winners = ranked
        .iter()
        .map(|w| {
            let person = masked.get(&w.participant_id).cloned().unwrap_or_default();
            WinnerRow {
                rank: w.rank,
                participant_id: w.participant_id.to_string(),
                entry_number: w.entry_number.clone(),
                name: person.name,
                phone_number: person.phone,
                claim_status: ClaimStatus::Pending,
                notification: NotificationStatus::RecordedOnly,
                promoted: false,
            }
        })
        .collect();
    let claim_deadline = campaign
        .details
        .as_ref()
        .map(|d| d.announcement_at + Duration::days(i64::from(rules(campaign).claim_days)));
    Ok(WinnersPage {
        csrf,
        campaign: header(state, id, campaign).await?,
        drawn: record.is_some(),
        claim_deadline,
        winners,
        unawarded_ranks: Vec::new(),
        contacts_shown: false,
        pii_erased: campaign.personal_data_erased_at.is_some(),
        notice,
    })
}

/// `GET /console/events/{id}/winners`.
async fn winners(
    State(state): State<AppState>,
    session: ConsoleOwner,
    Path(raw): Path<String>,
) -> PageResult {
    let (id, campaign) = owned(&state, &session, &raw).await?;
    Ok(render(
        &winners_view(&state, session.csrf, id, &campaign, None).await?,
    ))
}

fn not_yet(title: &str) -> Banner {
    Banner::new(Tone::Info, title)
        .with_detail("지금은 가려진 당첨자 목록과 추첨 기록을 볼 수 있어요.")
}

/// `POST /console/events/{id}/winners/contacts`.
///
/// ISSUE-11: call the winner-contacts use case (it records the access) and
/// answer the page with `contacts_shown: true` and the full names and numbers,
/// or `pii_erased: true` on `PII_ERASED`.
async fn show_contacts(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    post: ConsoleForm,
) -> PageResult {
    let (id, campaign) = owned(&state, &post.session, &raw).await?;
    let notice = Some(not_yet("연락처 열람은 곧 제공돼요"));
    let page = winners_view(&state, post.session.csrf, id, &campaign, notice).await?;
    Ok(render(&page))
}

/// `POST /console/events/{id}/winners/{participantId}/claim|forfeit` (`reason`).
///
/// ISSUE-11: call the claim or forfeit use case with the participant id (and
/// `post.field("reason")`), then 303 back to the winners page (a forfeit that
/// promoted an alternate says so in `notice`).
async fn claim_action(
    State(state): State<AppState>,
    Path((raw, _participant, action)): Path<(String, String, String)>,
    post: ConsoleForm,
) -> PageResult {
    let (id, campaign) = owned(&state, &post.session, &raw).await?;
    let what = match action.as_str() {
        "claim" => "수령 기록은 곧 제공돼요",
        "forfeit" => "당첨 취소는 곧 제공돼요",
        _ => return Err(ApiError::RouteNotFound.into()),
    };
    let page = winners_view(
        &state,
        post.session.csrf,
        id,
        &campaign,
        Some(not_yet(what)),
    )
    .await?;
    Ok(render(&page))
}
