//! The draw's one command. Everything arrives with it: the caller reads the
//! campaign, the secret server seed and the frozen entrant list, and stamps
//! the time; the aggregate reads no clock, store or random source.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::campaign::{Campaign, CampaignStatus};
use crate::draw_protocol::Pid;

/// What the draw rules need to know about the campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignFacts {
    pub campaign_id: Uuid,
    pub owner_id: String,
    /// As stored; `Active` past `ends_at` counts as ended.
    pub status: CampaignStatus,
    /// `None` while a draft.
    pub ends_at: Option<DateTime<Utc>>,
    /// The winner count published with the campaign, used when the request
    /// names none.
    pub winner_count: Option<u32>,
    /// Hex SHA-256 commitment to the server seed, published with the campaign.
    pub seed_commitment: Option<String>,
}

impl CampaignFacts {
    /// The facts of a campaign loaded from its events.
    pub fn of(campaign_id: Uuid, campaign: &Campaign) -> Self {
        Self {
            campaign_id,
            owner_id: campaign.owner_id.clone(),
            status: campaign.status,
            ends_at: campaign.details.as_ref().map(|d| d.ends_at),
            winner_count: campaign.details.as_ref().map(|d| d.winner_count),
            seed_commitment: campaign.seed_commitment.clone(),
        }
    }
}

/// One entrant of the frozen list, as registered: the pseudonymous id that
/// enters the canonical list, the entries held, and how to name a winner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrozenEntrant {
    pub pid: Pid,
    /// 1, or 3 after a store visit; the weight of a WEIGHTED draw.
    pub bonus_entries: u8,
    pub participant_id: Uuid,
    pub entry_number: String,
}

/// `RunDraw`: draw the campaign's winners now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDraw {
    /// Fresh id of the draw log record.
    pub draw_id: Uuid,
    /// The authenticated owner asking for the draw (recorded as `drawnBy`).
    pub requested_by: String,
    pub campaign: CampaignFacts,
    /// Requested number of winners; `None` takes the campaign's published one.
    pub winner_count: Option<u32>,
    /// Store-visit bonus: WEIGHTED by bonus entries when true, else RANDOM.
    pub visit_bonus: bool,
    /// The secret seed committed to at publication, revealed by this draw.
    pub server_seed: [u8; 32],
    /// Every registered entrant of the campaign, in any order.
    pub entrants: Vec<FrozenEntrant>,
    pub drawn_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrawCommand {
    RunDraw(Box<RunDraw>),
}
