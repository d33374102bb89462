//! Analytics endpoints (SPEC "Analytics"): the owner records cost and revenue inputs
//! and reads the dashboard. The dashboard is served from the analytics read
//! model only (`analytics_*` tables); no request scans the event store. The
//! owner check loads the one campaign aggregate by id (see ARCHITECTURE.md).
//!
//! Every percentage is computed with exact integer math in basis points
//! ([`promo_domain::performance::percent_bp`]) and shown with two decimals;
//! a rate whose denominator is zero is `null`. See `docs/analytics.md`.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, TimeDelta, Utc};
use promo_application::{campaigns, performance};
use promo_domain::channel::Channel;
use promo_domain::entry_number::kst;
use promo_domain::performance::{percent_bp, roi_bp, Costs};
use promo_projections::analytics::queries::{self, DashboardData};
use promo_projections::prizes::queries as prize_queries;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Owner;
use crate::error::{ApiError, ErrorBody};
use crate::routes::extract::{ApiJson, CampaignId};
use crate::state::AppState;

mod prizes;
pub use prizes::PrizeSummary;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events/{event_id}/costs", post(record_costs))
        .route("/api/v1/events/{event_id}/analytics", get(dashboard))
}

/// At most this many hourly points in a timeline (a year of hours).
const MAX_TIMELINE_HOURS: i64 = 24 * 366;

/// Basis points as a JSON number with two decimals (1234 → 12.34).
fn percent(bp: i64) -> f64 {
    bp as f64 / 100.0
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CostsRequest {
    /// Whole won, ≥ 0.
    #[schema(value_type = i64)]
    pub prize_cost: Option<Value>,
    #[schema(value_type = i64)]
    pub content_cost: Option<Value>,
    #[schema(value_type = i64)]
    pub operation_cost: Option<Value>,
    #[schema(value_type = i64)]
    pub distribution_cost: Option<Value>,
    #[schema(value_type = i64)]
    pub expected_revenue: Option<Value>,
    /// Expected sales growth in percent, at most two decimals (e.g. 12.5); may be negative.
    #[schema(value_type = f64)]
    pub sales_growth_rate: Option<Value>,
}

fn whole_won(value: &Option<Value>, field: &str) -> Result<i64, ApiError> {
    match value {
        None | Some(Value::Null) => Err(ApiError::validation(field, "is required")),
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| ApiError::validation(field, "원 단위 정수여야 합니다")),
        Some(_) => Err(ApiError::validation(field, "숫자여야 합니다")),
    }
}

/// A decimal percentage ("12.5", 12.5, -3, "0.25") as basis points, exactly:
/// the decimal text is parsed, never a float. At most two decimals.
pub fn parse_percent_bp(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 9 || fraction.len() > 2 {
        return None;
    }
    if !is_digits(whole) || !is_digits(fraction) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    let bp = whole * 100 + fraction;
    Some(if negative { -bp } else { bp })
}

fn sales_growth_bp(value: &Option<Value>) -> Result<i64, ApiError> {
    const FIELD: &str = "salesGrowthRate";
    let text = match value {
        None | Some(Value::Null) => return Err(ApiError::validation(FIELD, "is required")),
        // serde_json prints the shortest text that reads back as the same
        // number, i.e. what the client wrote for any two-decimal percentage.
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(ApiError::validation(FIELD, "숫자여야 합니다")),
    };
    parse_percent_bp(&text)
        .ok_or_else(|| ApiError::validation(FIELD, "소수점 둘째 자리까지의 백분율이어야 합니다"))
}

impl CostsRequest {
    fn parse(&self) -> Result<Costs, ApiError> {
        Ok(Costs {
            prize_cost: whole_won(&self.prize_cost, "prizeCost")?,
            content_cost: whole_won(&self.content_cost, "contentCost")?,
            operation_cost: whole_won(&self.operation_cost, "operationCost")?,
            distribution_cost: whole_won(&self.distribution_cost, "distributionCost")?,
            expected_revenue: whole_won(&self.expected_revenue, "expectedRevenue")?,
            sales_growth_rate_bp: sales_growth_bp(&self.sales_growth_rate)?,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CostsResponse {
    pub event_id: Uuid,
    pub prize_cost: i64,
    pub content_cost: i64,
    pub operation_cost: i64,
    pub distribution_cost: i64,
    /// prize + content + operation + distribution.
    pub total_cost: i64,
    pub expected_revenue: i64,
    pub sales_growth_rate: f64,
    /// (expectedRevenue − totalCost) / totalCost × 100; null when totalCost is 0.
    pub roi: Option<f64>,
}

/// Records the campaign's cost and revenue inputs; later inputs replace earlier ones.
#[utoipa::path(post, path = "/api/v1/events/{eventId}/costs", tag = "analytics", request_body = CostsRequest,
    params(("eventId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = CostsResponse),
        (status = 400, body = ErrorBody, description = "VALIDATION_ERROR naming the field"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn record_costs(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
    ApiJson(body): ApiJson<CostsRequest>,
) -> Result<Json<CostsResponse>, ApiError> {
    campaigns::owned(&state.app, campaign_id, &owner).await?;
    let costs = body.parse()?;
    performance::record_costs(&state.app, &owner, campaign_id, costs).await?;
    Ok(Json(CostsResponse {
        event_id: campaign_id,
        prize_cost: costs.prize_cost,
        content_cost: costs.content_cost,
        operation_cost: costs.operation_cost,
        distribution_cost: costs.distribution_cost,
        total_cost: costs.total_cost(),
        expected_revenue: costs.expected_revenue,
        sales_growth_rate: percent(costs.sales_growth_rate_bp),
        roi: roi_bp(costs.expected_revenue, costs.total_cost()).map(percent),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub participants: i64,
    pub target_participants: i64,
    /// participants / targetParticipants × 100; null without a target.
    pub achievement_rate: Option<f64>,
    /// Sum of the channels' impressions.
    pub impressions: i64,
    pub roi: Option<f64>,
    /// The owner's expected sales growth, percent; null until costs are recorded.
    pub sales_growth_rate: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelPerformance {
    pub channel: String,
    pub participants: i64,
    pub store_visits: i64,
    /// Latest observed impressions; the distribution's expected views until the channel reports.
    pub impressions: i64,
    /// Latest observed views; the distribution's expected views until the channel reports.
    pub views: i64,
    pub clicks: i64,
    /// participants / views × 100; null when views is 0.
    pub conversion_rate: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimelinePoint {
    /// Start of the hour in Korean time, e.g. `2025-10-29T14:00:00+09:00`.
    pub hour: String,
    pub participants: i64,
    pub cumulative_participants: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Roi {
    pub total_cost: Option<i64>,
    pub expected_revenue: Option<i64>,
    /// (expectedRevenue − totalCost) / totalCost × 100; null without costs or when totalCost is 0.
    pub roi: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub summary: Summary,
    pub channel_performance: Vec<ChannelPerformance>,
    pub timeline: Vec<TimelinePoint>,
    pub roi: Roi,
    /// The prizes after the draw (all zero before it), from the prizes read model.
    pub prizes: PrizeSummary,
    /// Time of the last event reflected; null before any.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Channels in the pinned order of the SPEC, unknown names last.
fn channel_order(name: &str) -> usize {
    Channel::parse(name)
        .and_then(|c| Channel::ALL.iter().position(|x| *x == c))
        .unwrap_or(Channel::ALL.len())
}

/// Hourly counts → a gap-free timeline with running totals.
pub fn timeline(hours: &[(DateTime<Utc>, i64)]) -> Vec<TimelinePoint> {
    let (Some(first), Some(last)) = (hours.first(), hours.last()) else {
        return vec![];
    };
    let span = ((last.0 - first.0).num_hours() + 1).clamp(1, MAX_TIMELINE_HOURS);
    let mut points = Vec::with_capacity(span as usize);
    let mut cumulative = 0;
    let mut counts = hours.iter().peekable();
    for i in 0..span {
        let hour = first.0 + TimeDelta::hours(i);
        let mut participants = 0;
        while let Some((at, n)) = counts.peek() {
            if *at > hour {
                break;
            }
            participants += n;
            counts.next();
        }
        cumulative += participants;
        points.push(TimelinePoint {
            hour: hour.with_timezone(&kst()).to_rfc3339(),
            participants,
            cumulative_participants: cumulative,
        });
    }
    points
}

/// The performance dashboard (SPEC "Analytics"), from the analytics read model.
#[utoipa::path(get, path = "/api/v1/events/{eventId}/analytics", tag = "analytics",
    params(("eventId" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Dashboard), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn dashboard(
    State(state): State<AppState>,
    Owner(owner): Owner,
    CampaignId(campaign_id): CampaignId,
) -> Result<Json<Dashboard>, ApiError> {
    campaigns::owned(&state.app, campaign_id, &owner).await?;
    let data = queries::dashboard(&state.app.pool, campaign_id).await?;
    let mut dashboard = Dashboard::from(data);
    dashboard.prizes = prize_queries::counts(&state.app.pool, campaign_id)
        .await?
        .into();
    Ok(Json(dashboard))
}

impl From<DashboardData> for Dashboard {
    /// The dashboard's figures from the read model's rows (the JSON answer and
    /// the console page show the same numbers).
    fn from(data: DashboardData) -> Self {
        dashboard_of(data)
    }
}

fn dashboard_of(data: DashboardData) -> Dashboard {
    let DashboardData {
        totals,
        channels: channel_rows,
        hours,
    } = data;
    let participants = totals.participants;
    let target = totals.target_participants;
    let costs = totals.costs;
    let updated_at = totals.updated_at;

    let mut channels: Vec<ChannelPerformance> = channel_rows
        .into_iter()
        .map(|row| {
            let views = row.views.or(row.expected_views).unwrap_or(0);
            ChannelPerformance {
                channel: row.channel,
                participants: row.participants,
                store_visits: row.store_visits,
                impressions: row.impressions.or(row.expected_views).unwrap_or(0),
                views,
                clicks: row.clicks.unwrap_or(0),
                conversion_rate: percent_bp(row.participants, views).map(percent),
            }
        })
        .collect();
    channels.sort_by_key(|c| channel_order(&c.channel));

    let roi = costs
        .and_then(|c| roi_bp(c.expected_revenue, c.total_cost()))
        .map(percent);
    Dashboard {
        summary: Summary {
            participants,
            target_participants: target,
            achievement_rate: percent_bp(participants, target).map(percent),
            impressions: channels.iter().map(|c| c.impressions).sum(),
            roi,
            sales_growth_rate: costs.map(|c| percent(c.sales_growth_rate_bp)),
        },
        channel_performance: channels,
        timeline: timeline(&hours),
        roi: Roi {
            total_cost: costs.map(|c| c.total_cost()),
            expected_revenue: costs.map(|c| c.expected_revenue),
            roi,
        },
        prizes: PrizeSummary::default(),
        updated_at,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn percentages_parse_exactly_into_basis_points() {
        assert_eq!(parse_percent_bp("12.5"), Some(1_250));
        assert_eq!(parse_percent_bp("12.34"), Some(1_234));
        assert_eq!(parse_percent_bp("-3"), Some(-300));
        assert_eq!(parse_percent_bp("0.05"), Some(5));
        assert_eq!(parse_percent_bp("+7"), Some(700));
        for bad in ["", ".5", "1.234", "1e3", "abc", "--1", "1.x", "1234567890"] {
            assert_eq!(parse_percent_bp(bad), None, "{bad}");
        }
        let number: Value = serde_json::from_str("12.3").unwrap();
        assert_eq!(sales_growth_bp(&Some(number)).unwrap(), 1_230);
    }

    #[test]
    fn the_timeline_fills_gaps_and_accumulates() {
        let h = |hour| Utc.with_ymd_and_hms(2025, 10, 29, hour, 0, 0).unwrap();
        let points = timeline(&[(h(1), 2), (h(3), 1)]);
        let summary: Vec<(&str, i64, i64)> = points
            .iter()
            .map(|p| (p.hour.as_str(), p.participants, p.cumulative_participants))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("2025-10-29T10:00:00+09:00", 2, 2),
                ("2025-10-29T11:00:00+09:00", 0, 2),
                ("2025-10-29T12:00:00+09:00", 1, 3),
            ]
        );
        assert!(timeline(&[]).is_empty());
    }
}
