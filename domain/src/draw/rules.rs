//! The draw's business rules as pure decisions: state + command → event.

use crate::campaign::{CampaignStatus, MAX_WINNER_COUNT};
use crate::draw_protocol::{
    self, hex32, Algorithm, CanonicalList, DrawParams, DrawProtocolError, Entrant,
};
use chrono::{DateTime, Utc};

use super::commands::{CampaignFacts, FrozenEntrant, RunDraw};
use super::events::{DrawEvent, DrawRecord, DrawnEntrant};
use super::{Draw, DrawError};

/// Alternates recorded in the event are a prefix of the full ordering: at
/// least this many, and at least one per winner, so every winner can be
/// replaced once from the record alone. The full ordering stays reproducible
/// by anyone from the published inputs; the prefix keeps the event small
/// (at most 1000 winners + 1000 alternates, well under a JetStream message).
pub const MIN_ALTERNATES_KEPT: usize = 10;

/// How many alternates the record keeps: `max(winner_count, 10)` (fewer when
/// fewer entrants remain).
pub fn alternates_kept(winner_count: u32) -> usize {
    usize::try_from(winner_count)
        .unwrap_or(usize::MAX)
        .max(MIN_ALTERNATES_KEPT)
}

/// RANDOM without the store-visit bonus, WEIGHTED (by bonus entries) with it.
pub fn algorithm_for(visit_bonus: bool) -> Algorithm {
    if visit_bonus {
        Algorithm::Weighted
    } else {
        Algorithm::Random
    }
}

/// The canonical `draw/v1` list of the frozen entrants: weight 1 each for
/// RANDOM, the bonus entries for WEIGHTED. Callers use it to publish the list
/// text; [`decide`] builds the very same list.
pub fn canonical_list(
    entrants: &[FrozenEntrant],
    algorithm: Algorithm,
) -> Result<CanonicalList, DrawProtocolError> {
    CanonicalList::new(
        entrants
            .iter()
            .map(|e| Entrant {
                pid: e.pid,
                weight: match algorithm {
                    Algorithm::Random => 1,
                    Algorithm::Weighted => u32::from(e.bonus_entries),
                },
            })
            .collect(),
    )
}

/// Who may draw, and when: the owner, once, after the campaign ended (its
/// status is ENDED, or it is ACTIVE and `now` has reached its `ends_at`).
/// Checked first by [`decide`]; callers may check it early to skip work.
pub fn ensure_may_draw(
    state: &Draw,
    campaign: &CampaignFacts,
    requested_by: &str,
    now: DateTime<Utc>,
) -> Result<(), DrawError> {
    if campaign.owner_id != requested_by {
        return Err(DrawError::NotOwner);
    }
    if state.is_drawn() {
        return Err(DrawError::AlreadyDrawn);
    }
    let ended = match campaign.status {
        CampaignStatus::Ended => true,
        CampaignStatus::Active => campaign.ends_at.is_some_and(|ends_at| now >= ends_at),
        CampaignStatus::Draft => false,
    };
    if !ended {
        return Err(DrawError::CampaignNotEnded);
    }
    Ok(())
}

pub(super) fn decide(state: &Draw, run: RunDraw) -> Result<DrawEvent, DrawError> {
    let RunDraw {
        draw_id,
        requested_by,
        campaign,
        winner_count,
        visit_bonus,
        server_seed,
        mut entrants,
        drawn_at,
    } = run;
    ensure_may_draw(state, &campaign, &requested_by, drawn_at)?;
    let winner_count = winner_count
        .or(campaign.winner_count)
        .filter(|n| (1..=MAX_WINNER_COUNT).contains(n))
        .ok_or(DrawError::InvalidWinnerCount)?;
    let commitment = hex32(&draw_protocol::commitment(
        &campaign.campaign_id,
        &server_seed,
    ));
    if campaign.seed_commitment.as_deref() != Some(commitment.as_str()) {
        return Err(DrawError::SeedCommitmentMismatch);
    }
    if (entrants.len() as u64) < u64::from(winner_count) {
        return Err(DrawError::NotEnoughEntrants {
            entrants: entrants.len() as u64,
            winners: winner_count,
        });
    }

    let algorithm = algorithm_for(visit_bonus);
    let list = canonical_list(&entrants, algorithm).map_err(DrawError::InvalidEntrantList)?;
    let params = DrawParams {
        campaign_id: campaign.campaign_id,
        algorithm,
        winner_count,
    };
    let (outcome, published) =
        draw_protocol::publish(&server_seed, &list, &params).map_err(|e| match e {
            DrawProtocolError::NotEnoughEntrants { .. } => DrawError::NotEnoughEntrants {
                entrants: list.len() as u64,
                winners: winner_count,
            },
            other => DrawError::InvalidEntrantList(other),
        })?;

    // The canonical list is ordered by pid bytes and its pids are unique, so
    // the entrants sorted by pid line up with it index for index.
    entrants.sort_unstable_by_key(|e| e.pid);
    let ranked = |offset: usize, indices: &[u32]| -> Result<Vec<DrawnEntrant>, DrawError> {
        indices
            .iter()
            .enumerate()
            .map(|(position, &index)| {
                let index = usize::try_from(index).unwrap_or(usize::MAX);
                let (Some(entrant), Some(listed)) =
                    (entrants.get(index), list.entrants().get(index))
                else {
                    return Err(misaligned());
                };
                if entrant.pid != listed.pid {
                    return Err(misaligned());
                }
                Ok(DrawnEntrant {
                    rank: u32::try_from(offset + position + 1).map_err(|_| misaligned())?,
                    participant_id: entrant.participant_id,
                    pid: hex32(&entrant.pid),
                    entry_number: entrant.entry_number.clone(),
                })
            })
            .collect()
    };
    let winners = ranked(0, outcome.winners(winner_count))?;
    let alternates_all = outcome.alternates(winner_count);
    let kept = alternates_kept(winner_count).min(alternates_all.len());
    let alternates = ranked(winners.len(), &alternates_all[..kept])?;

    Ok(DrawEvent::WinnersDrawn(Box::new(DrawRecord {
        draw_id,
        campaign_id: campaign.campaign_id,
        protocol_version: published.protocol_version,
        algorithm,
        bonus_applied: visit_bonus,
        winner_count,
        entrant_count: published.entrant_count,
        commitment: published.commitment,
        server_seed: published.server_seed,
        list_hash: published.list_hash,
        seed: published.seed,
        params: published.params,
        winners,
        alternates,
        drawn_at,
        drawn_by: requested_by,
    })))
}

fn misaligned() -> DrawError {
    DrawError::OrderingMismatch
}
