//! Drawing the winners in the console (`draws::draw_winners`, no body: the
//! rules were fixed at publish) with its verification record, and the winners
//! page (masked, from `draws::record` + `draws::masked_entrants`).

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::Router;
use promo_application::draws::{self, DrawWinners};
use promo_application::{claims, contacts, AppError};
use promo_domain::campaign::Campaign;
use promo_domain::draw::claims::ClaimStatus as DomainClaimStatus;
use promo_domain::draw::{DrawError, DrawRecord as Recorded};
use promo_projections::notifications::outbox::{self, DeliveryStatus};
use promo_projections::notifications::NotificationKind;
use uuid::Uuid;

use super::{form_errors, header, owned, status_of, PageError, PageResult};
use crate::auth::console::see_other;
use crate::auth::{ConsoleForm, ConsoleOwner};
use crate::error::ApiError;
use crate::pages::console::{DrawPage, DrawRecord, DrawRules, WinnerRow, WinnersPage};
use crate::pages::view::{Banner, ClaimStatus, FormErrors, NotificationStatus, Tone};
use crate::pages::{render, render_with_status};
use crate::routes::extract::form_fields;
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

/// How a notice's delivery shows on the page (`None`: not recorded yet).
fn notification(status: Option<&DeliveryStatus>) -> NotificationStatus {
    match status.map(|s| s.delivery_status.as_str()) {
        Some("SENT") => NotificationStatus::Sent,
        Some("FAILED") => NotificationStatus::Failed,
        Some("RECORDED") => NotificationStatus::RecordedOnly,
        _ => NotificationStatus::Pending,
    }
}

fn claim_status(status: DomainClaimStatus) -> ClaimStatus {
    ClaimStatus::parse(status.as_str()).unwrap_or(ClaimStatus::Pending)
}

/// The winners page: the same `claims::board` as `GET /api/v1/events/{id}/winners`
/// (current winners with their claims, promoted alternates, unawarded ranks),
/// masked, with each winner notice's delivery.
async fn winners_view(
    state: &AppState,
    csrf: String,
    id: Uuid,
    campaign: &Campaign,
    notice: Option<Banner>,
) -> Result<WinnersPage, PageError> {
    let mut page = WinnersPage {
        csrf,
        campaign: header(state, id, campaign).await?,
        drawn: false,
        claim_deadline: None,
        winners: Vec::new(),
        unawarded_ranks: Vec::new(),
        contacts_shown: false,
        pii_erased: campaign.personal_data_erased_at.is_some(),
        notice,
    };
    let board = match claims::board(&state.app, &campaign.owner_id, id).await {
        Ok(board) => board,
        Err(AppError::NoDrawYet) => return Ok(page),
        Err(error) => return Err(error.into()),
    };
    let holders: Vec<_> = board.claims.holders().collect();
    let ids: Vec<Uuid> = holders.iter().map(|(_, h)| h.participant_id).collect();
    let masked = draws::masked_entrants(&state.app, id, &ids).await?;
    let notified = outbox::statuses(&state.app.pool, id, NotificationKind::Winner, &ids).await?;
    page.drawn = true;
    page.claim_deadline = Some(board.campaign_deadline);
    page.winners = holders
        .iter()
        .map(|(prize, holder)| {
            let person = masked
                .get(&holder.participant_id)
                .cloned()
                .unwrap_or_default();
            WinnerRow {
                rank: prize.rank,
                participant_id: holder.participant_id.to_string(),
                entry_number: holder.entry_number.clone(),
                name: person.name,
                phone_number: person.phone,
                claim_status: claim_status(holder.status),
                notification: notification(notified.get(&holder.participant_id)),
                promoted: holder.promoted(),
            }
        })
        .collect();
    page.unawarded_ranks = board
        .claims
        .prizes
        .iter()
        .filter(|p| p.holder.is_none())
        .map(|p| p.rank)
        .collect();
    Ok(page)
}

/// The banner of a `?notice=` the claim actions redirect with.
fn action_notice(query: Option<&str>) -> Option<Banner> {
    let pairs = form_fields(query.unwrap_or_default().as_bytes());
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let rank = get("rank").and_then(|r| r.parse::<u32>().ok())?;
    match get("notice")? {
        "claimed" => Some(Banner::new(
            Tone::Success,
            format!("{rank}등 경품을 수령 완료로 기록했어요"),
        )),
        "promoted" => Some(
            Banner::new(Tone::Success, format!("{rank}등 당첨을 취소했어요"))
                .with_detail("다음 대체 당첨자가 이 순위를 이어받았고, 당첨 안내가 발송돼요."),
        ),
        "unawarded" => Some(
            Banner::new(Tone::Warning, format!("{rank}등 당첨을 취소했어요"))
                .with_detail("남은 대체 당첨자가 없어 이 순위의 경품은 지급되지 않아요."),
        ),
        _ => None,
    }
}

/// `GET /console/events/{id}/winners[?notice=…&rank=…]`.
async fn winners(
    State(state): State<AppState>,
    session: ConsoleOwner,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let (id, campaign) = owned(&state, &session, &raw).await?;
    let notice = action_notice(query.as_deref());
    Ok(render(
        &winners_view(&state, session.csrf, id, &campaign, notice).await?,
    ))
}

/// `POST /console/events/{id}/winners/contacts`: the same
/// `contacts::winner_contacts` use case as `GET /api/v1/events/{id}/winners/contacts`
/// (it records the access first), shown in full on the page.
async fn show_contacts(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    post: ConsoleForm,
) -> PageResult {
    let (id, campaign) = owned(&state, &post.session, &raw).await?;
    let csrf = post.session.csrf.clone();
    match contacts::winner_contacts(&state.app, &post.session.owner, id).await {
        Ok(contacts) => {
            let mut page = winners_view(&state, csrf, id, &campaign, None).await?;
            let mut full: HashMap<String, (String, String)> = contacts
                .into_iter()
                .map(|c| (c.participant_id.to_string(), (c.name, c.phone_number)))
                .collect();
            for row in &mut page.winners {
                if let Some((name, phone)) = full.remove(&row.participant_id) {
                    row.name = name;
                    row.phone_number = phone;
                }
            }
            page.contacts_shown = true;
            Ok(render(&page))
        }
        Err(error) => {
            let error = ApiError::from(error);
            let mut page = winners_view(&state, csrf, id, &campaign, None).await?;
            if error.code() == "PII_ERASED" {
                page.pii_erased = true;
            } else {
                page.notice = Some(Banner::error(error.message()));
            }
            Ok(render_with_status(status_of(&error), &page))
        }
    }
}

/// `POST /console/events/{id}/winners/{participantId}/claim|forfeit` (`reason`):
/// the `claims::claim` / `claims::forfeit` use cases of the JSON routes, then
/// 303 back to the winners page with a banner.
async fn claim_action(
    State(state): State<AppState>,
    Path((raw, participant, action)): Path<(String, String, String)>,
    post: ConsoleForm,
) -> PageResult {
    let (id, campaign) = owned(&state, &post.session, &raw).await?;
    let owner = &post.session.owner;
    let back = |notice: &str, rank: u32| {
        see_other(&format!(
            "/console/events/{id}/winners?notice={notice}&rank={rank}"
        ))
    };
    let outcome = match Uuid::parse_str(&participant) {
        Err(_) => Err(AppError::Draw(DrawError::NotAWinner)),
        Ok(participant_id) => match action.as_str() {
            "claim" => claims::claim(&state.app, owner, id, participant_id)
                .await
                .map(|(rank, _)| back("claimed", rank)),
            "forfeit" => {
                let rank = claims::board(&state.app, owner, id)
                    .await
                    .ok()
                    .and_then(|b| {
                        b.claims
                            .holders()
                            .find(|(_, h)| h.participant_id == participant_id)
                            .map(|(p, _)| p.rank)
                    });
                let reason = post.field("reason").to_string();
                claims::forfeit(&state.app, owner, id, participant_id, reason)
                    .await
                    .map(|promoted| match promoted {
                        Some(p) => back("promoted", p.rank),
                        None => back("unawarded", rank.unwrap_or_default()),
                    })
            }
            _ => return Err(ApiError::RouteNotFound.into()),
        },
    };
    match outcome {
        Ok(redirect) => Ok(redirect),
        Err(error) => {
            let error = ApiError::from(error);
            let notice = match &error {
                ApiError::Validation { .. } => Banner::error("취소 사유를 적어 주세요")
                    .with_detail("1~200자로 적어 주세요. 당첨 기록에 남아요."),
                other => Banner::error(other.message()),
            };
            let page = winners_view(&state, post.session.csrf, id, &campaign, Some(notice)).await?;
            Ok(render_with_status(status_of(&error), &page))
        }
    }
}
