//! Domain events of the campaign performance aggregate. `event_type()` names
//! never change; a changed shape bumps `event_version()` and gets an upcaster.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ChannelCounts, Costs, DistributedChannel};
use crate::channel::Channel;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all_fields = "camelCase")]
pub enum PerformanceEvent {
    /// The owner's cost and revenue inputs (KRW, whole won). A later
    /// `CostsRecorded` replaces the earlier one.
    CostsRecorded {
        campaign_id: Uuid,
        #[serde(flatten)]
        costs: Costs,
        recorded_at: DateTime<Utc>,
    },
    /// The distribution system finished sending the campaign to its channels
    /// (received over NATS on `distribution.completed`).
    DistributionCompleted {
        campaign_id: Uuid,
        distributed_channels: Vec<DistributedChannel>,
        completed_at: DateTime<Utc>,
    },
    /// A channel's own statistics as observed by the collector at `observed_at`
    /// (cumulative counters, the latest observation wins).
    ChannelStatsObserved {
        campaign_id: Uuid,
        channel: Channel,
        #[serde(flatten)]
        counts: ChannelCounts,
        observed_at: DateTime<Utc>,
    },
}

impl DomainEvent for PerformanceEvent {
    fn event_type(&self) -> String {
        match self {
            PerformanceEvent::CostsRecorded { .. } => "CostsRecorded",
            PerformanceEvent::DistributionCompleted { .. } => "DistributionCompleted",
            PerformanceEvent::ChannelStatsObserved { .. } => "ChannelStatsObserved",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
