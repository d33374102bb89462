//! The analytics dashboard in the console: the same figures as
//! `GET /api/v1/events/{id}/analytics` (`analytics::queries::dashboard`, shaped
//! by the API's one `Dashboard::from`), drawn as cards and SVG charts, and the
//! costs form (`performance::record_costs`).

use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::Router;
use promo_application::performance;
use promo_domain::campaign::Campaign;
use promo_domain::channel::Channel;
use promo_projections::analytics::queries;
use promo_projections::prizes::queries as prizes;
use uuid::Uuid;

use super::{form_errors, header, owned, status_of, PageError, PageResult};
use crate::auth::console::see_other;
use crate::auth::{ConsoleForm, ConsoleOwner};
use crate::error::ApiError;
use crate::pages::console::{
    AnalyticsPage, AnalyticsSummary, ChannelRow, CostsForm, HourRow, RoiBlock,
};
use crate::pages::view::{Banner, FormErrors, Tone};
use crate::pages::{render, render_with_status};
use crate::routes::analytics::{parse_percent_bp, Dashboard};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/events/{event_id}/analytics", get(dashboard))
        .route("/console/events/{event_id}/costs", post(record_costs))
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The page, with the costs form as typed (`costs`) or as last recorded.
async fn dashboard_view(
    state: &AppState,
    csrf: String,
    id: Uuid,
    campaign: &Campaign,
    costs: Option<CostsForm>,
    errors: FormErrors,
) -> Result<AnalyticsPage, PageError> {
    let data = queries::dashboard(&state.app.pool, id).await?;
    let recorded = data.totals.costs;
    let mut cumulative = 0;
    let timeline = data
        .hours
        .iter()
        .map(|&(hour, n)| {
            cumulative += count(n);
            HourRow {
                hour,
                participants: count(n),
                cumulative_participants: cumulative,
            }
        })
        .collect();
    let dashboard = Dashboard::from(data);
    let summary = &dashboard.summary;
    let channels = dashboard
        .channel_performance
        .iter()
        .filter_map(|c| {
            Some(ChannelRow {
                channel: Channel::parse(&c.channel)?,
                participants: count(c.participants),
                store_visits: count(c.store_visits),
                impressions: count(c.impressions),
                views: count(c.views),
                clicks: count(c.clicks),
                conversion_rate: c.conversion_rate,
            })
        })
        .collect();
    Ok(AnalyticsPage {
        csrf,
        campaign: header(state, id, campaign).await?,
        summary: AnalyticsSummary {
            participants: count(summary.participants),
            target_participants: Some(count(summary.target_participants)).filter(|&t| t > 0),
            achievement_rate: summary.achievement_rate,
            impressions: count(summary.impressions),
            roi: summary.roi,
            sales_growth_rate: summary.sales_growth_rate,
        },
        channels,
        timeline,
        roi: RoiBlock {
            total_cost: dashboard.roi.total_cost.unwrap_or(0),
            expected_revenue: dashboard.roi.expected_revenue.unwrap_or(0),
            roi: dashboard.roi.roi,
        },
        costs: costs
            .or_else(|| recorded.as_ref().map(CostsForm::from_costs))
            .unwrap_or_default(),
        errors,
        updated_at: dashboard.updated_at,
        prizes: prizes::counts(&state.app.pool, id).await?.into(),
    })
}

/// `GET /console/events/{id}/analytics` (`?saved=1` after the costs form).
async fn dashboard(
    State(state): State<AppState>,
    session: ConsoleOwner,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let (id, campaign) = owned(&state, &session, &raw).await?;
    let saved = query.is_some_and(|q| q.split('&').any(|pair| pair == "saved=1"));
    let notice = if saved {
        FormErrors::banner(
            Banner::new(Tone::Success, "비용과 매출을 저장했어요")
                .with_detail("분석에 반영되기까지 몇 초 걸릴 수 있어요."),
        )
    } else {
        FormErrors::none()
    };
    let page = dashboard_view(&state, session.csrf, id, &campaign, None, notice).await?;
    Ok(render(&page))
}

/// `POST /console/events/{id}/costs`: records the inputs; ROI follows.
async fn record_costs(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    post: ConsoleForm,
) -> PageResult {
    let (id, campaign) = owned(&state, &post.session, &raw).await?;
    let form = CostsForm::from_pairs(post.fields.iter().map(|(k, v)| (k, v.clone())));
    let refused = match form.to_costs(parse_percent_bp) {
        Ok(costs) => {
            match performance::record_costs(&state.app, &post.session.owner, id, costs).await {
                Ok(()) => {
                    return Ok(see_other(&format!(
                        "/console/events/{id}/analytics?saved=1"
                    )))
                }
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
    let page = dashboard_view(
        &state,
        post.session.csrf,
        id,
        &campaign,
        Some(form),
        refused.1,
    )
    .await?;
    Ok(render_with_status(refused.0, &page))
}
