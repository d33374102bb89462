//! The draw's business rules as pure decisions: state + command → event.
//!
//! A `draw/v2` campaign's rules were fixed and committed to when it was
//! published: the draw takes them from the campaign, and a request that names
//! other terms is refused ([`DrawError::RulesFixed`]) rather than obeyed. A
//! legacy (`draw/v1`) campaign is drawn as it always was, with the winner
//! count and method of the request.

use crate::campaign::{CampaignStatus, DrawTerms, MAX_WINNER_COUNT};
use crate::draw_protocol::{
    self, hex32, v1, v2, Algorithm, CanonicalList, DrawParams, DrawProtocolError, DrawRules,
    Entrant,
};
use chrono::{DateTime, Utc};

use super::commands::{CampaignFacts, FrozenEntrant, RunDraw};
use super::events::{DrawEvent, DrawRecord, DrawnEntrant};
use super::{Draw, DrawError};

/// Alternates a legacy (`draw/v1`) event records are a prefix of the full
/// ordering: at least this many, and at least one per winner, so every winner can be
/// replaced once from the record alone. The full ordering stays reproducible
/// by anyone from the published inputs; the prefix keeps the event small
/// (at most 1000 winners + 1000 alternates, well under a JetStream message).
pub const MIN_ALTERNATES_KEPT: usize = 10;

/// How many alternates a legacy (`draw/v1`) record keeps: `max(winner_count,
/// 10)` (fewer when fewer entrants remain). `draw/v2` keeps exactly the
/// published `alternate_count` (see `draw_protocol::v2::alternates_drawn`).
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

/// The algorithm the campaign's draw will use: the published rules' for
/// `draw/v2`; for a legacy campaign the requested one (RANDOM by default).
/// Callers use it to store the entrant list before the draw is recorded.
pub fn draw_algorithm(campaign: &CampaignFacts, visit_bonus: Option<bool>) -> Algorithm {
    match campaign.draw_terms {
        Some(DrawTerms::Fixed(rules)) => rules.algorithm(),
        Some(DrawTerms::Legacy { .. }) | None => algorithm_for(visit_bonus.unwrap_or(false)),
    }
}

/// A request against fixed rules may repeat them, never change them: a
/// winner count outside 1–1000 is invalid input; one that differs from the
/// published count, or a store-visit bonus that differs from the published
/// method, is refused with [`DrawError::RulesFixed`].
pub fn ensure_terms_match(
    rules: &DrawRules,
    winner_count: Option<u32>,
    visit_bonus: Option<bool>,
) -> Result<(), DrawError> {
    if let Some(requested) = winner_count {
        if !(1..=MAX_WINNER_COUNT).contains(&requested) {
            return Err(DrawError::InvalidWinnerCount);
        }
        if requested != rules.winner_count() {
            return Err(DrawError::RulesFixed);
        }
    }
    if visit_bonus.is_some_and(|requested| requested != rules.visit_bonus()) {
        return Err(DrawError::RulesFixed);
    }
    Ok(())
}

/// The canonical entrant list (the same for both protocol versions): weight 1 each for
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

/// What the draw runs: the legacy parameters chosen now, or the fixed rules.
enum Plan {
    V1(DrawParams),
    V2(DrawRules),
}

impl Plan {
    fn algorithm(&self) -> Algorithm {
        match self {
            Plan::V1(params) => params.algorithm,
            Plan::V2(rules) => rules.algorithm(),
        }
    }

    fn winner_count(&self) -> u32 {
        match self {
            Plan::V1(params) => params.winner_count,
            Plan::V2(rules) => rules.winner_count(),
        }
    }
}

/// The plan for this campaign and request (after [`ensure_may_draw`]).
fn plan(campaign: &CampaignFacts, run: &RunDraw) -> Result<Plan, DrawError> {
    match campaign.draw_terms {
        // A draft: ensure_may_draw has refused it already.
        None => Err(DrawError::CampaignNotEnded),
        Some(DrawTerms::Legacy { winner_count }) => {
            let winner_count = run.winner_count.unwrap_or(winner_count);
            if !(1..=MAX_WINNER_COUNT).contains(&winner_count) {
                return Err(DrawError::InvalidWinnerCount);
            }
            Ok(Plan::V1(DrawParams {
                campaign_id: campaign.campaign_id,
                algorithm: algorithm_for(run.visit_bonus.unwrap_or(false)),
                winner_count,
            }))
        }
        Some(DrawTerms::Fixed(rules)) => {
            ensure_terms_match(&rules, run.winner_count, run.visit_bonus)?;
            Ok(Plan::V2(rules))
        }
    }
}

pub(super) fn decide(state: &Draw, run: RunDraw) -> Result<DrawEvent, DrawError> {
    ensure_may_draw(state, &run.campaign, &run.requested_by, run.drawn_at)?;
    let plan = plan(&run.campaign, &run)?;
    let RunDraw {
        draw_id,
        requested_by,
        campaign,
        server_seed,
        mut entrants,
        drawn_at,
        ..
    } = run;
    let campaign_id = campaign.campaign_id;
    let winner_count = plan.winner_count();
    let commitment = match &plan {
        Plan::V1(_) => v1::commitment(&campaign_id, &server_seed),
        Plan::V2(rules) => v2::commitment(&campaign_id, rules, &server_seed),
    };
    if campaign.seed_commitment.as_deref() != Some(hex32(&commitment).as_str()) {
        return Err(DrawError::SeedCommitmentMismatch);
    }
    if (entrants.len() as u64) < u64::from(winner_count) {
        return Err(DrawError::NotEnoughEntrants {
            entrants: entrants.len() as u64,
            winners: winner_count,
        });
    }

    let algorithm = plan.algorithm();
    let list = canonical_list(&entrants, algorithm).map_err(DrawError::InvalidEntrantList)?;
    let published = match &plan {
        Plan::V1(params) => draw_protocol::publish(&server_seed, &list, params),
        Plan::V2(rules) => draw_protocol::publish_v2(&server_seed, &list, &campaign_id, rules),
    };
    let (outcome, published) = published.map_err(|e| match e {
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
    let kept = match &plan {
        Plan::V1(_) => alternates_kept(winner_count),
        // Exactly the alternates the published record lists.
        Plan::V2(_) => published.alternates.len(),
    }
    .min(alternates_all.len());
    let alternates = ranked(winners.len(), &alternates_all[..kept])?;

    Ok(DrawEvent::WinnersDrawn(Box::new(DrawRecord {
        draw_id,
        campaign_id,
        protocol_version: published.protocol_version,
        algorithm,
        bonus_applied: algorithm == Algorithm::Weighted,
        winner_count,
        alternate_count: published.alternate_count,
        claim_days: published.claim_days,
        rules: published.rules,
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
