//! Prize delivery on the draw aggregate: who holds each prize now, whether
//! they claimed it, and substitution from the published alternates.
//!
//! Why on the draw aggregate (id = campaign id) and not a new one: the
//! substitution rule is "the first unused alternate of the published
//! order", and the draw aggregate holds exactly that order, as recorded.
//! Deciding there reads no copy and trusts no input, and optimistic
//! concurrency on one stream serialises every claim and forfeit of a
//! campaign, so two racing forfeits can never promote the same alternate.
//! The recorded draw itself never changes; these events follow it.
//!
//! A prize (one per rank 1..=winnerCount) is held by a winner whose claim
//! is `PENDING` or `CLAIMED`. Forfeiting a `PENDING` winner (the owner with a
//! reason, or the claim deadline job once the deadline passed) records
//! `PrizeForfeited` and, in the same commit, `AlternatePromoted` (the next
//! unused alternate takes the rank, with a claim period of its own) or
//! `PrizeUnawarded` (none left). The claim deadline is `announcementAt +
//! claimDays` days (`draw/v1` records, which have no `claimDays`, use the
//! default 7).

mod commands;
pub(super) mod events;
mod rules;

pub use commands::{ClaimFacts, ClaimPrize, ForfeitPrize, Forfeiter};
pub use events::{AlternatePromoted, ForfeitCause, PrizeClaimed, PrizeForfeited, PrizeUnawarded};
pub use rules::{
    campaign_claim_deadline, claim_days, ensure_erasable, CLAIM_DEADLINE_FORFEITER,
    DEADLINE_REASON, MAX_REASON_CHARS,
};
pub(super) use rules::{decide_claim, decide_forfeit};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::events::{DrawEvent, DrawRecord};

/// A winner's claim: `PENDING` until the prize is received (`CLAIMED`) or
/// lost (`FORFEITED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClaimStatus {
    Pending,
    Claimed,
    Forfeited,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Pending => "PENDING",
            ClaimStatus::Claimed => "CLAIMED",
            ClaimStatus::Forfeited => "FORFEITED",
        }
    }
}

/// The winner holding a prize (or who held it, inside a [`Forfeiture`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    pub participant_id: Uuid,
    pub pid: String,
    pub entry_number: String,
    /// Rank in the published record: the prize rank for a drawn winner, the
    /// alternate's own rank (after the winners) for a promoted one.
    pub drawn_rank: u32,
    /// `Pending` or `Claimed` while holding; `Forfeited` once lost.
    pub status: ClaimStatus,
    /// Since when they are the prize's winner (the draw, or the promotion).
    pub since: DateTime<Utc>,
    /// A promoted alternate's own claim deadline; `None`: the campaign's.
    pub own_deadline: Option<DateTime<Utc>>,
    pub claimed_at: Option<DateTime<Utc>>,
}

impl Holder {
    /// The claim deadline of this winner, given the campaign's.
    pub fn deadline(&self, campaign_deadline: DateTime<Utc>) -> DateTime<Utc> {
        self.own_deadline.unwrap_or(campaign_deadline)
    }

    /// Promoted from the alternates (not drawn as a winner).
    pub fn promoted(&self) -> bool {
        self.own_deadline.is_some()
    }
}

/// One prize, by rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prize {
    pub rank: u32,
    /// Who holds it now; `None` once it is unawarded.
    pub holder: Option<Holder>,
    /// Set when the alternates ran out for this rank.
    pub unawarded_at: Option<DateTime<Utc>>,
}

/// Who took a freed rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Successor {
    pub participant_id: Uuid,
    pub entry_number: String,
    pub rank: u32,
}

/// A lost prize: who lost which rank, why, and who took it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Forfeiture {
    pub rank: u32,
    pub holder: Holder,
    pub cause: ForfeitCause,
    pub reason: String,
    pub forfeited_by: String,
    pub forfeited_at: DateTime<Utc>,
    /// `None` while not yet known, and for good once the rank is unawarded.
    pub successor: Option<Successor>,
}

/// The prize delivery state of a drawn campaign.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    /// One per prize rank, rank 1 first (empty before the draw).
    pub prizes: Vec<Prize>,
    /// How many alternates of the published order were promoted: the next
    /// one to promote is `alternates[alternates_used]`.
    pub alternates_used: usize,
    /// Every forfeit, in order.
    pub forfeited: Vec<Forfeiture>,
}

/// Where a participant stands in the prize delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing<'a> {
    /// Holds the prize of this rank now.
    Holding(&'a Prize, &'a Holder),
    /// Held a prize and lost it.
    Forfeited(&'a Forfeiture),
    /// Not a winner (never drawn as one, or an alternate never promoted).
    NotAWinner,
}

impl Claims {
    /// The prizes of a fresh draw: every winner holds their rank, pending.
    pub fn drawn(record: &DrawRecord) -> Self {
        Self {
            prizes: record
                .winners
                .iter()
                .map(|w| Prize {
                    rank: w.rank,
                    holder: Some(Holder {
                        participant_id: w.participant_id,
                        pid: w.pid.clone(),
                        entry_number: w.entry_number.clone(),
                        drawn_rank: w.rank,
                        status: ClaimStatus::Pending,
                        since: record.drawn_at,
                        own_deadline: None,
                        claimed_at: None,
                    }),
                    unawarded_at: None,
                })
                .collect(),
            alternates_used: 0,
            forfeited: Vec::new(),
        }
    }

    pub fn standing(&self, participant_id: Uuid) -> Standing<'_> {
        for prize in &self.prizes {
            if let Some(holder) = &prize.holder {
                if holder.participant_id == participant_id {
                    return Standing::Holding(prize, holder);
                }
            }
        }
        match self
            .forfeited
            .iter()
            .find(|f| f.holder.participant_id == participant_id)
        {
            Some(forfeiture) => Standing::Forfeited(forfeiture),
            None => Standing::NotAWinner,
        }
    }

    /// The current winners, rank 1 first.
    pub fn holders(&self) -> impl Iterator<Item = (&Prize, &Holder)> {
        self.prizes
            .iter()
            .filter_map(|p| p.holder.as_ref().map(|h| (p, h)))
    }

    fn prize_mut(&mut self, rank: u32) -> Option<&mut Prize> {
        self.prizes.iter_mut().find(|p| p.rank == rank)
    }

    /// Folds one prize delivery event in. Events come from [`rules`] and so
    /// always fit the state; one that does not is ignored rather than
    /// trusted (the state is rebuilt from the store every time).
    pub(super) fn apply(&mut self, event: &DrawEvent) {
        match event {
            DrawEvent::WinnersDrawn(record) => *self = Self::drawn(record),
            DrawEvent::PrizeClaimed(e) => {
                if let Some(holder) = self.prize_mut(e.rank).and_then(|p| p.holder.as_mut()) {
                    holder.status = ClaimStatus::Claimed;
                    holder.claimed_at = Some(e.claimed_at);
                }
            }
            DrawEvent::PrizeForfeited(e) => {
                let Some(mut holder) = self.prize_mut(e.rank).and_then(|p| p.holder.take()) else {
                    return;
                };
                holder.status = ClaimStatus::Forfeited;
                self.forfeited.push(Forfeiture {
                    rank: e.rank,
                    holder,
                    cause: e.cause,
                    reason: e.reason.clone(),
                    forfeited_by: e.forfeited_by.clone(),
                    forfeited_at: e.forfeited_at,
                    successor: None,
                });
            }
            DrawEvent::AlternatePromoted(e) => {
                self.alternates_used += 1;
                if let Some(last) = self.forfeited.iter_mut().rev().find(|f| f.rank == e.rank) {
                    last.successor = Some(Successor {
                        participant_id: e.participant_id,
                        entry_number: e.entry_number.clone(),
                        rank: e.rank,
                    });
                }
                if let Some(prize) = self.prize_mut(e.rank) {
                    prize.holder = Some(Holder {
                        participant_id: e.participant_id,
                        pid: e.pid.clone(),
                        entry_number: e.entry_number.clone(),
                        drawn_rank: e.alternate_rank,
                        status: ClaimStatus::Pending,
                        since: e.promoted_at,
                        own_deadline: Some(e.claim_deadline),
                        claimed_at: None,
                    });
                }
            }
            DrawEvent::PrizeUnawarded(e) => {
                if let Some(prize) = self.prize_mut(e.rank) {
                    prize.unawarded_at = Some(e.unawarded_at);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
