//! The events of prize delivery on the draw aggregate. They follow the
//! `WinnersDrawn` event of the same campaign and never change it: the
//! published record stays what was drawn, and these say what became of
//! each prize. `event_type()` names never change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a winner lost the prize.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ForfeitCause {
    /// The owner forfeited the winner (`POST .../forfeit`), with a reason.
    OwnerDecision,
    /// The winner did not claim before the claim deadline; recorded by the
    /// claim deadline job.
    ClaimDeadlinePassed,
}

impl ForfeitCause {
    pub fn as_str(self) -> &'static str {
        match self {
            ForfeitCause::OwnerDecision => "OWNER_DECISION",
            ForfeitCause::ClaimDeadlinePassed => "CLAIM_DEADLINE_PASSED",
        }
    }
}

/// `PrizeClaimed`: the winner holding `rank` received the prize.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrizeClaimed {
    pub campaign_id: Uuid,
    pub participant_id: Uuid,
    pub rank: u32,
    /// The owner who recorded the claim.
    pub claimed_by: String,
    pub claimed_at: DateTime<Utc>,
}

/// `PrizeForfeited`: the winner holding `rank` lost it. Always followed, in
/// the same commit, by [`AlternatePromoted`] or [`PrizeUnawarded`] for the
/// same rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrizeForfeited {
    pub campaign_id: Uuid,
    pub participant_id: Uuid,
    pub rank: u32,
    pub cause: ForfeitCause,
    /// The owner's reason, or the deadline's standard wording.
    pub reason: String,
    /// The owner's id, or [`super::CLAIM_DEADLINE_FORFEITER`].
    pub forfeited_by: String,
    pub forfeited_at: DateTime<Utc>,
}

/// `AlternatePromoted`: the first unused alternate of the published order
/// (`alternates[n]` of the draw record, `n` = alternates promoted before)
/// now holds the freed `rank`. Anyone can check it against the published
/// record: `alternateRank` is that alternate's rank there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlternatePromoted {
    pub campaign_id: Uuid,
    /// The prize rank taken over (1..=winnerCount).
    pub rank: u32,
    pub participant_id: Uuid,
    /// Pseudonymous id, as in the published record.
    pub pid: String,
    pub entry_number: String,
    /// The alternate's own rank in the published record (after the winners).
    pub alternate_rank: u32,
    /// The promoted winner's own claim deadline: `claimDays` after the
    /// promotion (or after the announcement, if that is later).
    pub claim_deadline: DateTime<Utc>,
    pub promoted_at: DateTime<Utc>,
}

/// `PrizeUnawarded`: the freed `rank` has no alternate left to take it; the
/// prize is not awarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrizeUnawarded {
    pub campaign_id: Uuid,
    pub rank: u32,
    pub unawarded_at: DateTime<Utc>,
}
