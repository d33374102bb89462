//! Domain events of the campaign aggregate. `event_type()` names never change;
//! a changed shape bumps `event_version()` and gets an upcaster.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::commands::{PublishDetails, StoreInfo};
use super::rules::Objective;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all_fields = "camelCase")]
pub enum CampaignEvent {
    CampaignDraftCreated {
        campaign_id: Uuid,
        owner_id: String,
        objective: Objective,
        store: StoreInfo,
        created_at: DateTime<Utc>,
    },
    /// The seeds' `EventCreated`: the campaign is open for entries.
    CampaignPublished {
        campaign_id: Uuid,
        details: PublishDetails,
        seed_commitment: String,
        published_at: DateTime<Utc>,
    },
    CampaignEnded {
        campaign_id: Uuid,
        ended_at: DateTime<Utc>,
    },
    /// The campaign's personal-data key was destroyed (crypto-shredding,
    /// PIPA): every sealed name and phone of the campaign is unreadable from
    /// now on, and read models show them as erased.
    PersonalDataErased {
        campaign_id: Uuid,
        reason: ErasureReason,
        /// The owner's user id, or `"system:retention"`.
        erased_by: String,
        erased_at: DateTime<Utc>,
    },
}

/// Why personal data was erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErasureReason {
    /// The owner asked for it (`POST /events/{id}/personal-data/erase`).
    OwnerRequest,
    /// The retention period after the announcement has passed.
    RetentionExpired,
}

impl ErasureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ErasureReason::OwnerRequest => "OWNER_REQUEST",
            ErasureReason::RetentionExpired => "RETENTION_EXPIRED",
        }
    }
}

impl DomainEvent for CampaignEvent {
    fn event_type(&self) -> String {
        match self {
            CampaignEvent::CampaignDraftCreated { .. } => "CampaignDraftCreated",
            CampaignEvent::CampaignPublished { .. } => "CampaignPublished",
            CampaignEvent::CampaignEnded { .. } => "CampaignEnded",
            CampaignEvent::PersonalDataErased { .. } => "PersonalDataErased",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
