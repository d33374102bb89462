//! Commands accepted by the campaign aggregate. Times, ids and the seed
//! commitment are supplied by the caller; the aggregate reads no clock.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::channel::Channel;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreInfo {
    pub store_name: String,
    pub industry: String,
    pub address: String,
}

/// Everything the owner decides when publishing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishDetails {
    pub title: String,
    pub prize: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub announcement_at: DateTime<Utc>,
    pub winner_count: u32,
    pub channels: Vec<Channel>,
    pub target_participants: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CampaignCommand {
    CreateDraft {
        campaign_id: Uuid,
        owner_id: String,
        /// Raw objective text as entered; validated against the four objectives.
        objective: String,
        store: StoreInfo,
        created_at: DateTime<Utc>,
    },
    Publish {
        owner_id: String,
        details: PublishDetails,
        /// Hex SHA-256 commitment to the server-side draw seed (draw/v1).
        seed_commitment: String,
        published_at: DateTime<Utc>,
    },
    End {
        owner_id: String,
        ended_at: DateTime<Utc>,
    },
    /// Records that the campaign's personal data is erased (its key is
    /// destroyed by the caller). Allowed once the campaign has ended; a
    /// repeat is a no-op.
    ErasePersonalData {
        requested_by: Eraser,
        erased_at: DateTime<Utc>,
    },
}

/// Who asks for an erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eraser {
    /// The campaign's owner (checked against the campaign).
    Owner(String),
    /// The retention task: the caller has checked that the retention period
    /// after the announcement has passed.
    RetentionPolicy,
}
