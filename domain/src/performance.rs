//! The campaign performance aggregate (`CampaignPerformance`, id = the
//! campaign id): what analytics needs beyond entries. The owner's cost and
//! revenue inputs, the distribution system's completion report and the
//! channels' own statistics. Kept apart from the campaign aggregate so the
//! campaign's lifecycle stays small and analytics inputs never contend with it.
//!
//! Money is whole Korean won (`i64`, never negative). Percentages are carried
//! as basis points (`i64`, 1 bp = 0.01 %): no floating point in events, and
//! the arithmetic in [`percent_bp`] and [`roi_bp`] is exact integer math.

mod events;

pub use events::PerformanceEvent;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::channel::Channel;

/// Largest accepted amount: ten trillion won. Keeps every sum far from overflow.
pub const MAX_AMOUNT_KRW: i64 = 10_000_000_000_000;
/// Sales growth accepted: −100 % to +10,000 %, in basis points.
pub const MIN_SALES_GROWTH_BP: i64 = -10_000;
pub const MAX_SALES_GROWTH_BP: i64 = 1_000_000;
/// Largest accepted channel counter or expected view count.
pub const MAX_COUNT: i64 = 1_000_000_000_000;
/// Channel type and status strings from the distribution system.
pub const MAX_LABEL_CHARS: usize = 50;

/// The owner's cost and revenue inputs (KRW) and expected sales growth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Costs {
    pub prize_cost: i64,
    pub content_cost: i64,
    pub operation_cost: i64,
    pub distribution_cost: i64,
    pub expected_revenue: i64,
    /// Expected sales growth in basis points (1250 = 12.5 %); may be negative.
    pub sales_growth_rate_bp: i64,
}

impl Costs {
    /// Prize + content + operation + distribution.
    pub fn total_cost(&self) -> i64 {
        self.prize_cost + self.content_cost + self.operation_cost + self.distribution_cost
    }
}

/// One channel in a distribution report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DistributedChannel {
    pub channel: Channel,
    /// Free text from the distribution system, e.g. `TV`, `SNS`.
    pub channel_type: String,
    /// Free text from the distribution system, e.g. `SUCCESS`, `FAILED`.
    pub status: String,
    pub expected_views: i64,
}

impl DistributedChannel {
    /// A channel the distribution system reports as failed reaches nobody.
    pub fn failed(&self) -> bool {
        self.status.eq_ignore_ascii_case("FAILED")
    }
}

/// A channel's cumulative counters, as its API reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelCounts {
    pub impressions: i64,
    pub views: i64,
    pub clicks: i64,
    pub likes: i64,
    pub comments: i64,
    pub shares: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PerformanceCommand {
    RecordCosts {
        campaign_id: Uuid,
        costs: Costs,
        recorded_at: DateTime<Utc>,
    },
    RecordDistribution {
        campaign_id: Uuid,
        distributed_channels: Vec<DistributedChannel>,
        completed_at: DateTime<Utc>,
    },
    RecordChannelStats {
        campaign_id: Uuid,
        channel: Channel,
        counts: ChannelCounts,
        observed_at: DateTime<Utc>,
    },
}

/// A broken performance rule; each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PerformanceError {
    #[error("{0}: 0 이상이어야 합니다")]
    NegativeAmount(&'static str),
    #[error("{0}: 10,000,000,000,000원 이하여야 합니다")]
    AmountTooLarge(&'static str),
    #[error("salesGrowthRate: -100% 이상 10000% 이하여야 합니다")]
    SalesGrowthOutOfRange,
    #[error("{0}: 0 이상 1,000,000,000,000 이하의 수여야 합니다")]
    InvalidCount(&'static str),
    #[error("distributedChannels: 채널을 하나 이상 지정해야 합니다")]
    NoChannels,
    #[error("distributedChannels: {0} 채널이 두 번 있습니다")]
    DuplicateChannel(Channel),
    #[error("distributedChannels.{0}: 1자 이상 50자 이하여야 합니다")]
    InvalidLabel(&'static str),
    #[error("다른 이벤트의 명령입니다")]
    CampaignMismatch,
}

/// State rebuilt from events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignPerformance {
    pub campaign_id: Option<Uuid>,
    pub costs: Option<Costs>,
    /// Completion times of the distributions recorded so far; a report is
    /// identified by its `completedAt`.
    pub distributions: Vec<DateTime<Utc>>,
    /// Latest observation per channel.
    pub channel_stats: BTreeMap<Channel, (ChannelCounts, DateTime<Utc>)>,
}

fn ensure_campaign(state: &CampaignPerformance, campaign_id: Uuid) -> Result<(), PerformanceError> {
    match state.campaign_id {
        Some(id) if id != campaign_id => Err(PerformanceError::CampaignMismatch),
        _ => Ok(()),
    }
}

fn validate_costs(costs: &Costs) -> Result<(), PerformanceError> {
    for (field, amount) in [
        ("prizeCost", costs.prize_cost),
        ("contentCost", costs.content_cost),
        ("operationCost", costs.operation_cost),
        ("distributionCost", costs.distribution_cost),
        ("expectedRevenue", costs.expected_revenue),
    ] {
        if amount < 0 {
            return Err(PerformanceError::NegativeAmount(field));
        }
        if amount > MAX_AMOUNT_KRW {
            return Err(PerformanceError::AmountTooLarge(field));
        }
    }
    if !(MIN_SALES_GROWTH_BP..=MAX_SALES_GROWTH_BP).contains(&costs.sales_growth_rate_bp) {
        return Err(PerformanceError::SalesGrowthOutOfRange);
    }
    Ok(())
}

fn validate_count(field: &'static str, n: i64) -> Result<(), PerformanceError> {
    if (0..=MAX_COUNT).contains(&n) {
        Ok(())
    } else {
        Err(PerformanceError::InvalidCount(field))
    }
}

fn validate_label(field: &'static str, value: &str) -> Result<String, PerformanceError> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > MAX_LABEL_CHARS || trimmed.chars().any(char::is_control) {
        return Err(PerformanceError::InvalidLabel(field));
    }
    Ok(trimmed.to_string())
}

/// Pure decision: state + command → events. Repeats are no-ops (identical
/// costs, an already recorded distribution, unchanged or older channel
/// statistics), so retried requests and redelivered messages add nothing.
pub fn decide(
    state: &CampaignPerformance,
    command: PerformanceCommand,
) -> Result<Vec<PerformanceEvent>, PerformanceError> {
    match command {
        PerformanceCommand::RecordCosts {
            campaign_id,
            costs,
            recorded_at,
        } => {
            ensure_campaign(state, campaign_id)?;
            validate_costs(&costs)?;
            if state.costs == Some(costs) {
                return Ok(vec![]);
            }
            Ok(vec![PerformanceEvent::CostsRecorded {
                campaign_id,
                costs,
                recorded_at,
            }])
        }
        PerformanceCommand::RecordDistribution {
            campaign_id,
            distributed_channels,
            completed_at,
        } => {
            ensure_campaign(state, campaign_id)?;
            if distributed_channels.is_empty() {
                return Err(PerformanceError::NoChannels);
            }
            let mut seen = std::collections::BTreeSet::new();
            let mut channels = Vec::with_capacity(distributed_channels.len());
            for c in distributed_channels {
                if !seen.insert(c.channel) {
                    return Err(PerformanceError::DuplicateChannel(c.channel));
                }
                validate_count("expectedViews", c.expected_views)?;
                channels.push(DistributedChannel {
                    channel: c.channel,
                    channel_type: validate_label("channelType", &c.channel_type)?,
                    status: validate_label("status", &c.status)?,
                    expected_views: c.expected_views,
                });
            }
            if state.distributions.contains(&completed_at) {
                return Ok(vec![]);
            }
            Ok(vec![PerformanceEvent::DistributionCompleted {
                campaign_id,
                distributed_channels: channels,
                completed_at,
            }])
        }
        PerformanceCommand::RecordChannelStats {
            campaign_id,
            channel,
            counts,
            observed_at,
        } => {
            ensure_campaign(state, campaign_id)?;
            for (field, n) in [
                ("impressions", counts.impressions),
                ("views", counts.views),
                ("clicks", counts.clicks),
                ("likes", counts.likes),
                ("comments", counts.comments),
                ("shares", counts.shares),
            ] {
                validate_count(field, n)?;
            }
            if let Some((last, last_at)) = state.channel_stats.get(&channel) {
                if *last == counts || observed_at <= *last_at {
                    return Ok(vec![]);
                }
            }
            Ok(vec![PerformanceEvent::ChannelStatsObserved {
                campaign_id,
                channel,
                counts,
                observed_at,
            }])
        }
    }
}

/// `part / whole × 100` in basis points, rounded half away from zero;
/// `None` when `whole` is zero (a rate of nothing is undefined, not 0).
pub fn percent_bp(part: i64, whole: i64) -> Option<i64> {
    if whole == 0 {
        return None;
    }
    Some(div_round(i128::from(part) * 10_000, i128::from(whole)))
}

/// ROI = (revenue − cost) / cost × 100, in basis points; `None` when the
/// cost is zero (no investment, no return ratio).
pub fn roi_bp(revenue: i64, cost: i64) -> Option<i64> {
    percent_bp(revenue - cost, cost)
}

fn div_round(n: i128, d: i128) -> i64 {
    let q = (2 * n.abs() + d.abs()) / (2 * d.abs());
    let q = if (n < 0) != (d < 0) { -q } else { q };
    q.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

impl Aggregate for CampaignPerformance {
    const TYPE: &'static str = "CampaignPerformance";
    type Command = PerformanceCommand;
    type Event = PerformanceEvent;
    type Error = PerformanceError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            PerformanceEvent::CostsRecorded {
                campaign_id, costs, ..
            } => {
                self.campaign_id = Some(campaign_id);
                self.costs = Some(costs);
            }
            PerformanceEvent::DistributionCompleted {
                campaign_id,
                completed_at,
                ..
            } => {
                self.campaign_id = Some(campaign_id);
                self.distributions.push(completed_at);
            }
            PerformanceEvent::ChannelStatsObserved {
                campaign_id,
                channel,
                counts,
                observed_at,
            } => {
                self.campaign_id = Some(campaign_id);
                self.channel_stats.insert(channel, (counts, observed_at));
            }
        }
    }
}

#[cfg(test)]
mod tests;
