//! Domain events of the campaign aggregate. `event_type()` names never change;
//! a changed shape bumps `event_version()` and gets an upcaster.
//!
//! `CampaignPublished` version 2 (`draw/v2`) adds the fixed draw rules beside
//! `winnerCount` in `details`. Version 1 payloads have only `winnerCount` and
//! decode, unchanged, as [`DrawTerms::Legacy`]: that decoding is the upcaster.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::details::{PublishDetails, StoreInfo};
use super::objective::Objective;
#[cfg(doc)]
use super::DrawTerms;

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
    /// The draft's objective and store as they are after an edit (whole, so
    /// a reader needs no earlier event to know them).
    CampaignDraftEdited {
        campaign_id: Uuid,
        objective: Objective,
        store: StoreInfo,
        edited_at: DateTime<Utc>,
    },
    /// SPEC's `CampaignPublished` (the design's EventCreated): the campaign is
    /// open for entries, its draw rules fixed and committed to.
    CampaignPublished {
        campaign_id: Uuid,
        details: PublishDetails,
        /// Hex SHA-256 commitment to the draw's server seed: `draw/v2` (seed
        /// and rules) for version 2 events, `draw/v1` (seed only) before.
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
            CampaignEvent::CampaignDraftEdited { .. } => "CampaignDraftEdited",
            CampaignEvent::CampaignPublished { .. } => "CampaignPublished",
            CampaignEvent::CampaignEnded { .. } => "CampaignEnded",
            CampaignEvent::PersonalDataErased { .. } => "PersonalDataErased",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        match self {
            CampaignEvent::CampaignPublished { details, .. } if details.draw.rules().is_some() => {
                "2"
            }
            _ => "1",
        }
        .to_string()
    }
}
