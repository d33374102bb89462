//! Commands accepted by the campaign aggregate. Times, ids and the seed
//! commitment are supplied by the caller; the aggregate reads no clock.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::details::{PublishDetails, StoreInfo};

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
    /// Opens the campaign with its draw rules fixed (`details.draw` must be
    /// [`super::DrawTerms::Fixed`]).
    Publish {
        owner_id: String,
        details: PublishDetails,
        /// Hex SHA-256 `draw/v2` commitment to the server-side draw seed and
        /// the draw rules in `details` (`draw_protocol::v2::commitment`).
        seed_commitment: String,
        published_at: DateTime<Utc>,
    },
    /// Changes a draft's objective or store information; `None` keeps a
    /// field as it is. Only a draft can be edited.
    EditDraft {
        owner_id: String,
        objective: Option<String>,
        store_name: Option<String>,
        industry: Option<String>,
        address: Option<String>,
        edited_at: DateTime<Utc>,
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
