//! The draw's one command. Everything arrives with it: the caller reads the
//! campaign, the secret server seed and the frozen entrant list, and stamps
//! the time; the aggregate reads no clock, store or random source.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::campaign::{Campaign, CampaignStatus, DrawTerms};
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
    /// The draw terms published with the campaign (`None` while a draft):
    /// the fixed `draw/v2` rules, or for a legacy campaign only its default
    /// winner count. Says which protocol the draw follows.
    pub draw_terms: Option<DrawTerms>,
    /// Hex SHA-256 commitment to the server seed (and, `draw/v2`, the rules),
    /// published with the campaign.
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
            draw_terms: campaign.details.as_ref().map(|d| d.draw),
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
    /// The winner count the request names, if any. `draw/v2`: only checked
    /// against the published rules (a different one is refused); legacy
    /// campaigns: the count to draw, `None` taking the published default.
    pub winner_count: Option<u32>,
    /// The store-visit bonus the request names, if any. `draw/v2`: only
    /// checked against the published rules; legacy campaigns: WEIGHTED by
    /// bonus entries when true, RANDOM when false or `None`.
    pub visit_bonus: Option<bool>,
    /// The secret seed committed to at publication, revealed by this draw.
    pub server_seed: [u8; 32],
    /// Every registered entrant of the campaign, in any order.
    pub entrants: Vec<FrozenEntrant>,
    pub drawn_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrawCommand {
    RunDraw(Box<RunDraw>),
    /// A current winner received the prize (see [`super::claims`]).
    ClaimPrize(super::claims::ClaimPrize),
    /// A current winner loses the prize; the next alternate takes it.
    ForfeitPrize(Box<super::claims::ForfeitPrize>),
}
