//! The analytics dashboard (`GET /api/v1/events/{id}/analytics`): four summary
//! cards, participants per channel, the hourly trend, and ROI with its costs form.

use askama::Template;
use chrono::{DateTime, Duration, Utc};
use promo_domain::channel::Channel;
use promo_domain::performance::Costs;
use serde::Deserialize;

use super::CampaignHeader;
use crate::pages::charts::{self, Bar, TrendPoint};
use crate::pages::format;
use crate::pages::view::{channel_label, FieldError, FormErrors};

/// `summary` of the analytics answer.
#[derive(Debug, Clone, Default)]
pub struct AnalyticsSummary {
    pub participants: u64,
    pub target_participants: Option<u64>,
    /// Percent of the target reached.
    pub achievement_rate: Option<f64>,
    pub impressions: u64,
    /// Percent; `None` until costs are entered.
    pub roi: Option<f64>,
    /// Percent, as the owner entered it.
    pub sales_growth_rate: Option<f64>,
}

/// One entry of `channelPerformance`.
#[derive(Debug, Clone)]
pub struct ChannelRow {
    pub channel: Channel,
    pub participants: u64,
    pub store_visits: u64,
    pub impressions: u64,
    pub views: u64,
    pub clicks: u64,
    /// Percent of impressions that became entries.
    pub conversion_rate: Option<f64>,
}

impl ChannelRow {
    pub fn label(&self) -> &'static str {
        channel_label(self.channel)
    }
}

/// One entry of `timeline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourRow {
    /// The start of the hour.
    pub hour: DateTime<Utc>,
    pub participants: u64,
    pub cumulative_participants: u64,
}

/// `roi` of the analytics answer, in won.
#[derive(Debug, Clone, Default)]
pub struct RoiBlock {
    pub total_cost: i64,
    pub expected_revenue: i64,
    pub roi: Option<f64>,
}

/// The costs form (`POST .../costs`), as typed: won amounts and a percentage.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CostsForm {
    pub prize_cost: String,
    pub content_cost: String,
    pub operation_cost: String,
    pub distribution_cost: String,
    pub expected_revenue: String,
    pub sales_growth_rate: String,
}

impl CostsForm {
    /// From the POSTed pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut form = CostsForm::default();
        for (key, value) in pairs {
            let slot = match key.as_ref() {
                "prizeCost" => &mut form.prize_cost,
                "contentCost" => &mut form.content_cost,
                "operationCost" => &mut form.operation_cost,
                "distributionCost" => &mut form.distribution_cost,
                "expectedRevenue" => &mut form.expected_revenue,
                "salesGrowthRate" => &mut form.sales_growth_rate,
                _ => continue,
            };
            *slot = value.into();
        }
        form
    }

    /// The recorded inputs, as the form shows them again.
    pub fn from_costs(costs: &Costs) -> Self {
        let bp = costs.sales_growth_rate_bp;
        let sign = if bp < 0 { "-" } else { "" };
        let (whole, hundredths) = (bp.unsigned_abs() / 100, bp.unsigned_abs() % 100);
        let rate = match hundredths {
            0 => format!("{sign}{whole}"),
            h if h % 10 == 0 => format!("{sign}{whole}.{}", h / 10),
            h => format!("{sign}{whole}.{h:02}"),
        };
        CostsForm {
            prize_cost: costs.prize_cost.to_string(),
            content_cost: costs.content_cost.to_string(),
            operation_cost: costs.operation_cost.to_string(),
            distribution_cost: costs.distribution_cost.to_string(),
            expected_revenue: costs.expected_revenue.to_string(),
            sales_growth_rate: rate,
        }
    }

    /// The inputs as the use case takes them: whole won (an empty box is 0)
    /// and a percentage with at most two decimals (`percent_bp` parses it
    /// exactly). Every problem is named at its field.
    pub fn to_costs(
        &self,
        percent_bp: impl Fn(&str) -> Option<i64>,
    ) -> Result<Costs, Vec<FieldError>> {
        let mut problems = Vec::new();
        let mut won = |field: &str, value: &str| -> i64 {
            let value = value.trim().replace(',', "");
            if value.is_empty() {
                return 0;
            }
            match value.parse::<i64>() {
                Ok(n) if n >= 0 => n,
                _ => {
                    problems.push(FieldError {
                        field: field.to_string(),
                        message: "0 이상의 원 단위 숫자로 입력해 주세요.".into(),
                    });
                    0
                }
            }
        };
        let costs = Costs {
            prize_cost: won("prizeCost", &self.prize_cost),
            content_cost: won("contentCost", &self.content_cost),
            operation_cost: won("operationCost", &self.operation_cost),
            distribution_cost: won("distributionCost", &self.distribution_cost),
            expected_revenue: won("expectedRevenue", &self.expected_revenue),
            sales_growth_rate_bp: match self.sales_growth_rate.trim() {
                "" => 0,
                rate => percent_bp(rate).unwrap_or_else(|| {
                    problems.push(FieldError {
                        field: "salesGrowthRate".into(),
                        message: "소수점 둘째 자리까지의 숫자로 입력해 주세요. 예: 12.5".into(),
                    });
                    0
                }),
            },
        };
        if problems.is_empty() {
            Ok(costs)
        } else {
            Err(problems)
        }
    }
}

/// `GET /console/events/{id}/analytics`.
#[derive(Debug, Clone, Template)]
#[template(path = "console/analytics.html")]
pub struct AnalyticsPage {
    pub csrf: String,
    pub campaign: CampaignHeader,
    pub summary: AnalyticsSummary,
    pub channels: Vec<ChannelRow>,
    pub timeline: Vec<HourRow>,
    pub roi: RoiBlock,
    pub costs: CostsForm,
    pub errors: FormErrors,
    pub updated_at: Option<DateTime<Utc>>,
    /// Winners, claims, forfeits and unawarded ranks (zero before the draw).
    pub prizes: crate::routes::analytics::PrizeSummary,
}

impl AnalyticsPage {
    pub fn participants(&self) -> String {
        format::people(self.summary.participants)
    }

    pub fn achievement(&self) -> String {
        match (
            self.summary.target_participants,
            self.summary.achievement_rate,
        ) {
            (Some(target), Some(rate)) => {
                format!(
                    "목표 {} 대비 {}",
                    format::people(target),
                    format::percent(rate)
                )
            }
            _ => "목표 미설정".to_string(),
        }
    }

    pub fn achievement_bar(&self) -> Option<u32> {
        self.summary
            .achievement_rate
            .map(|r| r.clamp(0.0, 100.0).round() as u32)
    }

    pub fn impressions(&self) -> String {
        format::count(self.summary.impressions, "회")
    }

    pub fn roi_text(&self) -> String {
        format::percent_or_dash(self.summary.roi)
    }

    pub fn growth_text(&self) -> String {
        format::percent_or_dash(self.summary.sales_growth_rate)
    }

    pub fn updated(&self) -> String {
        self.updated_at.map(format::datetime).unwrap_or_default()
    }

    pub fn channel_chart(&self) -> String {
        let mut rows: Vec<&ChannelRow> = self.channels.iter().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.participants));
        let bars: Vec<Bar> = rows
            .iter()
            .map(|r| Bar {
                label: r.label().to_string(),
                value: r.participants,
            })
            .collect();
        charts::bar_chart("채널별 참여자 수", &bars, "명")
    }

    pub fn trend_chart(&self) -> String {
        let points: Vec<TrendPoint> = fill_hours(&self.timeline)
            .iter()
            .map(|h| TrendPoint {
                label: format::hour_label(h.hour),
                participants: h.participants,
                cumulative: h.cumulative_participants,
            })
            .collect();
        charts::trend_chart("시간대별 참여 추이", &points)
    }

    // Templates pass fields by reference.
    pub fn won(&self, amount: &i64) -> String {
        format::won(*amount)
    }

    pub fn num(&self, n: &u64) -> String {
        format::grouped(*n as i64)
    }

    pub fn rate(&self, r: &Option<f64>) -> String {
        format::percent_or_dash(*r)
    }
}

/// The timeline with the hours nobody entered put back in (as zero, same
/// running total), so the chart's hours are evenly spaced. Sorted by hour.
pub fn fill_hours(timeline: &[HourRow]) -> Vec<HourRow> {
    let mut sorted = timeline.to_vec();
    sorted.sort_by_key(|h| h.hour);
    let mut out: Vec<HourRow> = Vec::with_capacity(sorted.len());
    for row in sorted {
        if let Some(prev) = out.last().copied() {
            let mut hour = prev.hour + Duration::hours(1);
            // Bounded: a timeline spans a campaign (weeks), not years.
            while hour < row.hour && out.len() < 24 * 400 {
                out.push(HourRow {
                    hour,
                    participants: 0,
                    cumulative_participants: prev.cumulative_participants,
                });
                hour += Duration::hours(1);
            }
        }
        out.push(row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_costs_form_round_trips_and_names_bad_fields() {
        let parse = |s: &str| s.parse::<f64>().ok().map(|f| (f * 100.0).round() as i64);
        let form = CostsForm::from_pairs([
            ("prizeCost", "300,000"),
            ("contentCost", ""),
            ("operationCost", "50000"),
            ("distributionCost", "0"),
            ("expectedRevenue", "1200000"),
            ("salesGrowthRate", "12.5"),
        ]);
        let costs = form.to_costs(parse).unwrap();
        assert_eq!(costs.prize_cost, 300_000);
        assert_eq!(costs.content_cost, 0);
        assert_eq!(costs.sales_growth_rate_bp, 1_250);
        let again = CostsForm::from_costs(&costs);
        assert_eq!(again.sales_growth_rate, "12.5");
        assert_eq!(again.prize_cost, "300000");
        let bad = CostsForm {
            prize_cost: "-5".into(),
            sales_growth_rate: "lots".into(),
            ..CostsForm::default()
        };
        let errors = FormErrors::check_fields(bad.to_costs(|_| None).unwrap_err());
        assert!(errors.has("prizeCost") && errors.has("salesGrowthRate"));
    }

    #[test]
    fn missing_hours_are_filled_with_zero() {
        let h = |hour| Utc.with_ymd_and_hms(2026, 12, 1, hour, 0, 0).unwrap();
        let filled = fill_hours(&[
            HourRow {
                hour: h(5),
                participants: 2,
                cumulative_participants: 12,
            },
            HourRow {
                hour: h(2),
                participants: 10,
                cumulative_participants: 10,
            },
        ]);
        let shape: Vec<(u32, u64, u64)> = filled
            .iter()
            .map(|r| {
                use chrono::Timelike;
                (r.hour.hour(), r.participants, r.cumulative_participants)
            })
            .collect();
        assert_eq!(shape, vec![(2, 10, 10), (3, 0, 10), (4, 0, 10), (5, 2, 12)]);
        assert!(fill_hours(&[]).is_empty());
    }
}
