//! The prize delivery rules as pure decisions: state + command → events.

use chrono::{DateTime, Duration, Utc};

use super::commands::{ClaimFacts, ClaimPrize, ForfeitPrize, Forfeiter};
use super::events::{
    AlternatePromoted, ForfeitCause, PrizeClaimed, PrizeForfeited, PrizeUnawarded,
};
use super::{ClaimStatus, Standing};
use crate::draw::events::{DrawEvent, DrawRecord};
use crate::draw::{Draw, DrawError};
use crate::draw_protocol::DEFAULT_CLAIM_DAYS;

/// `forfeitedBy` of forfeits recorded by the claim deadline job.
pub const CLAIM_DEADLINE_FORFEITER: &str = "system:claim-deadline";

/// The reason recorded when the claim deadline passed.
pub const DEADLINE_REASON: &str = "경품 수령 기한이 지났습니다";

/// Longest reason an owner may give.
pub const MAX_REASON_CHARS: usize = 200;

/// The claim period of a draw: its published `claimDays`, or for a
/// `draw/v1` record (published before claim periods existed) the default.
pub fn claim_days(record: &DrawRecord) -> u32 {
    record.claim_days.unwrap_or(DEFAULT_CLAIM_DAYS)
}

/// `announcementAt + claimDays` days: the drawn winners' claim deadline.
pub fn campaign_claim_deadline(announcement_at: DateTime<Utc>, claim_days: u32) -> DateTime<Utc> {
    announcement_at + Duration::days(i64::from(claim_days))
}

fn recorded(state: &Draw) -> Result<&DrawRecord, DrawError> {
    state.record.as_ref().ok_or(DrawError::NotDrawn)
}

/// Claiming: only the owner; only a current winner; once (a repeat is a
/// no-op); never after the winner's claim deadline.
pub(in crate::draw) fn decide_claim(
    state: &Draw,
    command: ClaimPrize,
) -> Result<Vec<DrawEvent>, DrawError> {
    if command.requested_by != command.campaign.owner_id {
        return Err(DrawError::NotOwner);
    }
    let record = recorded(state)?;
    let deadline = campaign_claim_deadline(command.campaign.announcement_at, claim_days(record));
    match state.claims.standing(command.participant_id) {
        Standing::NotAWinner => Err(DrawError::NotAWinner),
        Standing::Forfeited(_) => Err(DrawError::PrizeForfeited),
        Standing::Holding(_, holder) if holder.status == ClaimStatus::Claimed => Ok(vec![]),
        Standing::Holding(_, holder) if command.claimed_at >= holder.deadline(deadline) => {
            Err(DrawError::ClaimDeadlinePassed)
        }
        Standing::Holding(prize, _) => Ok(vec![DrawEvent::PrizeClaimed(PrizeClaimed {
            campaign_id: record.campaign_id,
            participant_id: command.participant_id,
            rank: prize.rank,
            claimed_by: command.requested_by,
            claimed_at: command.claimed_at,
        })]),
    }
}

/// Forfeiting: only a `PENDING` current winner; by the owner with a reason,
/// or by the deadline job once the winner's deadline passed. A repeat is a
/// no-op. The freed rank goes to the first unused alternate of the
/// published order, or is unawarded when none is left.
pub(in crate::draw) fn decide_forfeit(
    state: &Draw,
    command: ForfeitPrize,
) -> Result<Vec<DrawEvent>, DrawError> {
    let (cause, reason, forfeited_by) = match command.by {
        Forfeiter::Owner { owner_id, reason } => {
            if owner_id != command.campaign.owner_id {
                return Err(DrawError::NotOwner);
            }
            let reason = reason.trim().to_string();
            if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
                return Err(DrawError::InvalidForfeitReason);
            }
            (ForfeitCause::OwnerDecision, reason, owner_id)
        }
        Forfeiter::ClaimDeadline => (
            ForfeitCause::ClaimDeadlinePassed,
            DEADLINE_REASON.to_string(),
            CLAIM_DEADLINE_FORFEITER.to_string(),
        ),
    };
    let record = recorded(state)?;
    let days = claim_days(record);
    let deadline = campaign_claim_deadline(command.campaign.announcement_at, days);
    let (prize, holder) = match state.claims.standing(command.participant_id) {
        Standing::NotAWinner => return Err(DrawError::NotAWinner),
        // Forfeited before: retries and racing sweeps are harmless.
        Standing::Forfeited(_) => return Ok(vec![]),
        Standing::Holding(prize, holder) => (prize, holder),
    };
    if holder.status == ClaimStatus::Claimed {
        return match cause {
            ForfeitCause::OwnerDecision => Err(DrawError::PrizeAlreadyClaimed),
            // Claimed in time: nothing for the deadline job to do.
            ForfeitCause::ClaimDeadlinePassed => Ok(vec![]),
        };
    }
    let at = command.forfeited_at;
    if cause == ForfeitCause::ClaimDeadlinePassed && at < holder.deadline(deadline) {
        return Err(DrawError::ClaimPeriodOpen);
    }
    let forfeited = DrawEvent::PrizeForfeited(PrizeForfeited {
        campaign_id: record.campaign_id,
        participant_id: command.participant_id,
        rank: prize.rank,
        cause,
        reason,
        forfeited_by,
        forfeited_at: at,
    });
    let successor = match record.alternates.get(state.claims.alternates_used) {
        Some(alternate) => {
            // The published order has no entrant twice; a record that did
            // would break the rule, so it is refused rather than followed.
            if state.claims.standing(alternate.participant_id) != Standing::NotAWinner {
                return Err(DrawError::OrderingMismatch);
            }
            DrawEvent::AlternatePromoted(AlternatePromoted {
                campaign_id: record.campaign_id,
                rank: prize.rank,
                participant_id: alternate.participant_id,
                pid: alternate.pid.clone(),
                entry_number: alternate.entry_number.clone(),
                alternate_rank: alternate.rank,
                claim_deadline: promoted_deadline(&command.campaign, days, at),
                promoted_at: at,
            })
        }
        None => DrawEvent::PrizeUnawarded(PrizeUnawarded {
            campaign_id: record.campaign_id,
            rank: prize.rank,
            unawarded_at: at,
        }),
    };
    Ok(vec![forfeited, successor])
}

/// A promoted alternate gets a claim period of its own: `claimDays` from
/// the promotion, or from the announcement if that is later (so promoting
/// after the deadline never hands over an already expired prize).
fn promoted_deadline(campaign: &ClaimFacts, days: u32, at: DateTime<Utc>) -> DateTime<Utc> {
    campaign_claim_deadline(campaign.announcement_at.max(at), days)
}

/// Erasing a campaign's personal data would leave a winner who may still
/// claim unreachable: refused while a current winner is `PENDING` and their
/// claim deadline has not passed (the owner may force it).
pub fn ensure_erasable(
    state: &Draw,
    announcement_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DrawError> {
    let Some(record) = &state.record else {
        return Ok(());
    };
    let deadline = campaign_claim_deadline(announcement_at, claim_days(record));
    let waiting = state
        .claims
        .holders()
        .any(|(_, h)| h.status == ClaimStatus::Pending && now < h.deadline(deadline));
    if waiting {
        return Err(DrawError::PrizesPending);
    }
    Ok(())
}
