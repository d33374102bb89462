//! One campaign in the console: creating the draft (`campaigns::create_draft`),
//! publishing it with its draw rules (`campaigns::publish`), its overview with
//! the live entry count, ending it (`campaigns::end`) and its store QR page.

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use promo_application::campaigns::{self, CreateDraft};
use promo_application::store_visits;
use promo_domain::campaign::{Campaign, CampaignStatus, StoreInfo};
use promo_projections::participants::queries::count;
use serde_json::json;
use uuid::Uuid;

use super::{form_errors, header, owned, status_of, PageResult};
use crate::auth::console::see_other;
use crate::auth::{ConsoleForm, ConsoleOwner};
use crate::error::ApiError;
use crate::pages::console::{
    CampaignPage, CreateDraftPage, DraftForm, EndPage, PublishForm, PublishPage, PublishedInfo,
    StoreQrPage,
};
use crate::pages::view::{CampaignState, FormErrors};
use crate::pages::{render, render_with_status, MessagePage};
use crate::routes::store_qr::store_qr_image;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/events/new", get(new_draft))
        .route("/console/events", post(create_draft))
        .route("/console/events/{event_id}", get(overview))
        .route("/console/events/{event_id}/live.json", get(live))
        .route(
            "/console/events/{event_id}/publish",
            get(publish_page).post(publish),
        )
        .route("/console/events/{event_id}/end", get(end_page).post(end))
        .route("/console/events/{event_id}/store-qr", get(store_qr))
}

/// `GET /console/events/new`.
async fn new_draft(session: ConsoleOwner) -> PageResult {
    Ok(render(&CreateDraftPage {
        csrf: session.csrf,
        form: DraftForm::default(),
        errors: FormErrors::none(),
    }))
}

/// `POST /console/events`: the draft, then on to publishing it.
async fn create_draft(State(state): State<AppState>, post: ConsoleForm) -> PageResult {
    let form = DraftForm::from_pairs(post.fields.iter().map(|(k, v)| (k, v.clone())));
    let input = CreateDraft {
        owner: post.session.owner.clone(),
        claimed_user_id: None,
        objective: form.objective.clone(),
        store: StoreInfo {
            store_name: form.store_name.clone(),
            industry: form.industry.clone(),
            address: form.address.clone(),
        },
    };
    match campaigns::create_draft(&state.app, input).await {
        Ok((id, _)) => Ok(see_other(&format!("/console/events/{id}/publish"))),
        Err(error) => {
            let error = ApiError::from(error);
            let page = CreateDraftPage {
                csrf: post.session.csrf,
                form,
                errors: form_errors(&error),
            };
            Ok(render_with_status(status_of(&error), &page))
        }
    }
}

fn objective(campaign: &Campaign) -> String {
    campaign
        .objective
        .map(|o| o.as_str().to_string())
        .unwrap_or_default()
}

/// `GET /console/events/{id}/publish`: the form for a draft (a published
/// campaign goes to its overview).
async fn publish_page(
    State(state): State<AppState>,
    session: ConsoleOwner,
    Path(raw): Path<String>,
) -> PageResult {
    let (id, campaign) = owned(&state, &session, &raw).await?;
    if campaign.status != CampaignStatus::Draft {
        return Ok(see_other(&format!("/console/events/{id}")));
    }
    Ok(render(&PublishPage {
        csrf: session.csrf,
        campaign: header(&state, id, &campaign).await?,
        objective: objective(&campaign),
        form: PublishForm::starting(state.app.now()),
        errors: FormErrors::none(),
    }))
}

/// `POST /console/events/{id}/publish`: the draw rules are fixed with it.
async fn publish(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    post: ConsoleForm,
) -> PageResult {
    let (id, campaign) = owned(&state, &post.session, &raw).await?;
    let form = PublishForm::from_pairs(post.fields.iter().map(|(k, v)| (k, v.clone())));
    let refused = match form.to_details() {
        Ok(details) => {
            match campaigns::publish(&state.app, &post.session.owner, id, details).await {
                Ok(_) => return Ok(see_other(&format!("/console/events/{id}"))),
                Err(error) => {
                    let error = ApiError::from(error);
                    (status_of(&error), form_errors(&error))
                }
            }
        }
        Err(fields) => (
            axum::http::StatusCode::BAD_REQUEST,
            FormErrors::check_fields(fields),
        ),
    };
    let page = PublishPage {
        csrf: post.session.csrf,
        campaign: header(&state, id, &campaign).await?,
        objective: objective(&campaign),
        form,
        errors: refused.1,
    };
    Ok(render_with_status(refused.0, &page))
}

/// What the overview shows of a published campaign.
pub fn published_info(campaign: &Campaign) -> Option<PublishedInfo> {
    let details = campaign.details.as_ref()?;
    let rules = details.draw.rules();
    Some(PublishedInfo {
        prize: details.prize.clone(),
        starts_at: details.starts_at,
        ends_at: details.ends_at,
        announcement_at: details.announcement_at,
        winner_count: details.draw.winner_count(),
        visit_bonus: rules.is_some_and(|r| r.visit_bonus()),
        alternate_count: rules.map(|r| r.alternate_count()).unwrap_or(0),
        claim_days: rules.map(|r| r.claim_days()).unwrap_or(7),
        channels: details.channels.clone(),
        target_participants: Some(u64::from(details.target_participants)).filter(|&t| t > 0),
        seed_commitment: campaign.seed_commitment.clone().unwrap_or_default(),
    })
}

async fn participants(state: &AppState, id: Uuid) -> Result<u64, super::PageError> {
    Ok(u64::try_from(count(&state.app.pool, id).await?).unwrap_or(0))
}

/// `GET /console/events/{id}`.
async fn overview(
    State(state): State<AppState>,
    session: ConsoleOwner,
    Path(raw): Path<String>,
) -> PageResult {
    let (id, campaign) = owned(&state, &session, &raw).await?;
    let store = campaign.store.clone();
    Ok(render(&CampaignPage {
        csrf: session.csrf,
        campaign: header(&state, id, &campaign).await?,
        objective: objective(&campaign),
        industry: store
            .as_ref()
            .map(|s| s.industry.clone())
            .unwrap_or_default(),
        address: store.map(|s| s.address).unwrap_or_default(),
        published: published_info(&campaign),
        participants: participants(&state, id).await?,
        public_base_url: state.public_base_url.to_string(),
    }))
}

/// `GET /console/events/{id}/live.json`: `{"participants": n}` for the live count.
async fn live(
    State(state): State<AppState>,
    session: ConsoleOwner,
    Path(raw): Path<String>,
) -> PageResult {
    let (id, _) = owned(&state, &session, &raw).await?;
    let n = participants(&state, id).await?;
    let mut response = Json(json!({ "participants": n })).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

async fn end_view(
    state: &AppState,
    csrf: String,
    id: Uuid,
    campaign: &Campaign,
    errors: FormErrors,
) -> Result<EndPage, super::PageError> {
    Ok(EndPage {
        csrf,
        campaign: header(state, id, campaign).await?,
        ends_at: campaign
            .details
            .as_ref()
            .map(|d| d.ends_at)
            .unwrap_or_default(),
        participants: participants(state, id).await?,
        errors,
    })
}

/// `GET /console/events/{id}/end`: confirm (only while entries are open).
async fn end_page(
    State(state): State<AppState>,
    session: ConsoleOwner,
    Path(raw): Path<String>,
) -> PageResult {
    let (id, campaign) = owned(&state, &session, &raw).await?;
    let page = end_view(&state, session.csrf, id, &campaign, FormErrors::none()).await?;
    Ok(match page.campaign.state {
        CampaignState::Active | CampaignState::Scheduled => render(&page),
        CampaignState::Draft => see_other(&format!("/console/events/{id}")),
        CampaignState::Ended | CampaignState::Drawn => {
            see_other(&format!("/console/events/{id}/draw"))
        }
    })
}

/// `POST /console/events/{id}/end`: entries close; on to the draw.
async fn end(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    post: ConsoleForm,
) -> PageResult {
    let (id, campaign) = owned(&state, &post.session, &raw).await?;
    match campaigns::end(&state.app, &post.session.owner, id).await {
        Ok(()) => Ok(see_other(&format!("/console/events/{id}/draw"))),
        Err(error) => {
            let error = ApiError::from(error);
            let errors = form_errors(&error);
            let page = end_view(&state, post.session.csrf, id, &campaign, errors).await?;
            Ok(render_with_status(status_of(&error), &page))
        }
    }
}

/// `GET /console/events/{id}/store-qr`: the same `store_visits::store_qr`
/// use case as `GET /api/v1/events/{id}/store-qr`, with the same entry link
/// (`/e/{id}?ch=STORE_QR&t=TOKEN`) and QR image.
async fn store_qr(
    State(state): State<AppState>,
    session: ConsoleOwner,
    Path(raw): Path<String>,
) -> PageResult {
    let (id, campaign) = owned(&state, &session, &raw).await?;
    let refused = |error: ApiError| {
        let page = MessagePage {
            title: "매장용 QR 코드를 만들 수 없어요".into(),
            detail: match error.code() {
                "STORE_QR_NOT_PUBLISHED" => {
                    "이 이벤트는 매장 QR 채널 없이 게시됐어요. 채널별 참여 링크를 공유해 주세요."
                }
                "PART_002" => "이벤트를 게시한 뒤에 매장용 QR 코드를 만들 수 있어요.",
                "PART_005" => "개인정보가 파기된 이벤트예요.",
                _ => "일시적인 오류입니다. 잠시 후 다시 시도해 주세요.",
            }
            .into(),
            next: Some((format!("/console/events/{id}"), "이벤트로 돌아가기".into())),
        };
        render_with_status(status_of(&error), &page)
    };
    let pass = match store_visits::store_qr(&state.app, &session.owner, id).await {
        Ok(pass) => pass,
        Err(error) => return Ok(refused(ApiError::from(error))),
    };
    let (entry_url, qr_svg) = match store_qr_image(&state, id, &pass.token) {
        Ok(pair) => pair,
        Err(error) => return Ok(refused(error)),
    };
    let info = published_info(&campaign);
    Ok(render(&StoreQrPage {
        csrf: session.csrf.clone(),
        campaign: header(&state, id, &campaign).await?,
        prize: info.as_ref().map(|i| i.prize.clone()).unwrap_or_default(),
        entry_url,
        qr_svg,
        visit_bonus: info.is_some_and(|i| i.visit_bonus),
    }))
}
