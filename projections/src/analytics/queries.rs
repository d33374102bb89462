//! Queries of the analytics read model: what the dashboard shows, read in
//! three indexed lookups (never a scan of the event store).

use chrono::{DateTime, Utc};
use promo_domain::performance::Costs;
use sqlx::{PgPool, Row};
use uuid::Uuid;

/// Campaign-level totals.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub participants: i64,
    pub target_participants: i64,
    /// `None` until the owner recorded costs.
    pub costs: Option<Costs>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// One channel's row.
#[derive(Debug, Clone)]
pub struct ChannelRow {
    pub channel: String,
    pub participants: i64,
    pub store_visits: i64,
    /// From the distribution report.
    pub expected_views: Option<i64>,
    /// From the channel statistics collector.
    pub impressions: Option<i64>,
    pub views: Option<i64>,
    pub clicks: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct DashboardData {
    pub totals: Totals,
    pub channels: Vec<ChannelRow>,
    /// Entries per hour (UTC hour start), ascending.
    pub hours: Vec<(DateTime<Utc>, i64)>,
}

pub async fn dashboard(pool: &PgPool, campaign_id: Uuid) -> Result<DashboardData, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let totals = sqlx::query(
        "SELECT target_participants, participants, prize_cost, content_cost, operation_cost, \
         distribution_cost, expected_revenue, sales_growth_rate_bp, updated_at \
         FROM analytics_campaigns WHERE campaign_id = $1",
    )
    .bind(campaign_id)
    .fetch_optional(&mut *conn)
    .await?;
    let totals = match totals {
        None => Totals::default(),
        Some(row) => {
            let get = |name: &str| -> Result<Option<i64>, sqlx::Error> { row.try_get(name) };
            let costs = match (
                get("prize_cost")?,
                get("content_cost")?,
                get("operation_cost")?,
                get("distribution_cost")?,
                get("expected_revenue")?,
                get("sales_growth_rate_bp")?,
            ) {
                (Some(p), Some(c), Some(o), Some(d), Some(r), Some(g)) => Some(Costs {
                    prize_cost: p,
                    content_cost: c,
                    operation_cost: o,
                    distribution_cost: d,
                    expected_revenue: r,
                    sales_growth_rate_bp: g,
                }),
                _ => None,
            };
            Totals {
                participants: get("participants")?.unwrap_or(0),
                target_participants: get("target_participants")?.unwrap_or(0),
                costs,
                updated_at: row.try_get("updated_at")?,
            }
        }
    };
    let channels = sqlx::query(
        "SELECT channel, participants, store_visits, expected_views, impressions, views, clicks \
         FROM analytics_channels WHERE campaign_id = $1",
    )
    .bind(campaign_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok(ChannelRow {
            channel: row.try_get("channel")?,
            participants: row.try_get("participants")?,
            store_visits: row.try_get("store_visits")?,
            expected_views: row.try_get("expected_views")?,
            impressions: row.try_get("impressions")?,
            views: row.try_get("views")?,
            clicks: row.try_get("clicks")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let hours = sqlx::query(
        "SELECT hour, participants FROM analytics_hourly WHERE campaign_id = $1 ORDER BY hour",
    )
    .bind(campaign_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("hour")?, row.try_get("participants")?)))
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(DashboardData {
        totals,
        channels,
        hours,
    })
}
