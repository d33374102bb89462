//! The prize delivery commands of the draw aggregate. The caller loads the
//! campaign and stamps the time; the rules read no clock.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What the claim rules need to know about the campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFacts {
    pub owner_id: String,
    /// The published announcement; the claim deadline counts from it.
    pub announcement_at: DateTime<Utc>,
}

/// `ClaimPrize`: the owner records that a current winner received the prize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPrize {
    pub participant_id: Uuid,
    pub requested_by: String,
    pub campaign: ClaimFacts,
    pub claimed_at: DateTime<Utc>,
}

/// Who forfeits a winner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forfeiter {
    /// The campaign's owner (checked against the campaign), with a reason.
    Owner { owner_id: String, reason: String },
    /// The claim deadline job: allowed only once the winner's deadline passed.
    ClaimDeadline,
}

/// `ForfeitPrize`: a current winner loses the prize, and the next unused
/// alternate in the published order takes the freed rank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForfeitPrize {
    pub participant_id: Uuid,
    pub by: Forfeiter,
    pub campaign: ClaimFacts,
    pub forfeited_at: DateTime<Utc>,
}
