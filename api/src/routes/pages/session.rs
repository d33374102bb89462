//! Signing in and out of the owner console, and its front page: the owner's
//! campaigns (`campaigns::queries::owned_by`, the read model the JSON list
//! reads). The session design is in [`crate::auth::console`].

use std::collections::HashSet;

use axum::extract::{RawQuery, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use promo_projections::campaigns::queries::{owned_by, OwnedCampaign};
use promo_projections::draws::queries::drawn_among;
use uuid::Uuid;

use super::PageResult;
use crate::auth::console::{
    cleared_cookie, cookie, see_other, session_cookie, session_of, SESSION_COOKIE,
};
use crate::auth::{ConsoleForm, ConsoleOwner};
use crate::pages::console::{CampaignRow, CampaignsPage, SignInPage};
use crate::pages::view::CampaignState;
use crate::pages::{render, render_with_status};
use crate::routes::extract::form_fields;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { see_other("/console") }))
        .route("/console", get(campaigns))
        .route("/console/login", get(login))
        .route("/console/logout", post(logout))
}

/// Campaigns per console page.
const PAGE_SIZE: i64 = 20;

/// `GET /console/login?token=…`: a valid owner token becomes the session
/// cookie and the owner lands on the console; without one, how to sign in
/// (`?expired=1` after a stale session, `?signedOut=1` after signing out).
async fn login(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let pairs = form_fields(query.unwrap_or_default().as_bytes());
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let Some(token) = value("token").filter(|t| !t.is_empty()) else {
        return render(&SignInPage {
            signed_out: value("signedOut").is_some(),
            error: value("expired")
                .map(|_| "로그인이 만료되었어요. 새 로그인 링크로 다시 들어와 주세요.".into()),
        });
    };
    let claims = state.auth.verify_claims(&token).ok();
    let now = u64::try_from(state.app.now().timestamp()).unwrap_or(0);
    let Some(remaining) = claims
        .and_then(|c| c.exp.checked_sub(now))
        .filter(|&s| s > 0)
    else {
        return render_with_status(
            StatusCode::UNAUTHORIZED,
            &SignInPage {
                signed_out: false,
                error: Some(
                    "링크가 만료되었거나 올바르지 않아요. promo token --owner 사장님ID --login 으로 새 링크를 받아 주세요."
                        .into(),
                ),
            },
        );
    };
    let mut response = see_other("/console");
    response.headers_mut().insert(
        SET_COOKIE,
        session_cookie(&token, remaining, state.is_https()),
    );
    response
}

/// `POST /console/logout`: ends the session. With a live session the CSRF
/// check applies like on every console form; a stale cookie is just cleared.
async fn logout(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let live = cookie(request.headers(), SESSION_COOKIE)
        .and_then(|token| session_of(&state, token))
        .is_some();
    if live {
        use axum::extract::FromRequest;
        if let Err(refused) = ConsoleForm::from_request(request, &state).await {
            return refused;
        }
    }
    let mut response = see_other("/console/login?signedOut=1");
    response
        .headers_mut()
        .insert(SET_COOKIE, cleared_cookie(state.is_https()));
    response.into_response()
}

/// `GET /console?page=N`: the owner's campaigns, newest first.
async fn campaigns(
    State(state): State<AppState>,
    session: ConsoleOwner,
    RawQuery(query): RawQuery,
) -> PageResult {
    let pairs = form_fields(query.unwrap_or_default().as_bytes());
    let page = pairs
        .iter()
        .find(|(key, _)| key == "page")
        .and_then(|(_, v)| v.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let now = state.app.now();
    let (rows, total) =
        owned_by(&state.app.pool, &session.owner, None, now, page, PAGE_SIZE).await?;
    let ended: Vec<Uuid> = rows
        .iter()
        .filter(|c| c.status == "ENDED")
        .map(|c| c.campaign_id)
        .collect();
    let drawn: HashSet<Uuid> = drawn_among(&state.app.pool, &ended)
        .await?
        .into_iter()
        .collect();
    let campaigns = rows.into_iter().map(|c| row(c, now, &drawn)).collect();
    Ok(render(&CampaignsPage {
        csrf: session.csrf,
        campaigns,
        total_count: u64::try_from(total).unwrap_or(0),
        page: u32::try_from(page).unwrap_or(1),
        size: PAGE_SIZE as u32,
    }))
}

fn row(c: OwnedCampaign, now: chrono::DateTime<chrono::Utc>, drawn: &HashSet<Uuid>) -> CampaignRow {
    let state = match c.status.as_str() {
        "DRAFT" => CampaignState::Draft,
        "ENDED" if drawn.contains(&c.campaign_id) => CampaignState::Drawn,
        "ENDED" => CampaignState::Ended,
        _ if c.starts_at.is_some_and(|s| s > now) => CampaignState::Scheduled,
        _ => CampaignState::Active,
    };
    CampaignRow {
        event_id: c.campaign_id,
        title: c.title.unwrap_or_default(),
        store_name: c.store_name,
        state,
        starts_at: c.starts_at,
        ends_at: c.ends_at,
        participants: u64::try_from(c.participants).unwrap_or(0),
    }
}
