//! The last check: the published winners and alternates are the recomputed ordering's.

use super::report::{failed, Outcome};
use crate::draw_protocol::stream::ordering;
use crate::draw_protocol::{hex32, parse_hex32, v2, CanonicalList, DrawRules, PublishedDraw};

/// Winners rank by rank, then alternates: `draw/v1` may publish a prefix of all alternates;
/// `draw/v2` publishes exactly the ones its rules rank.
pub(super) fn order_check(
    published: &PublishedDraw,
    list: &CanonicalList,
    rules: Option<&DrawRules>,
    seed: [u8; 32],
) -> Outcome {
    let algorithm = rules.map_or(published.algorithm, DrawRules::algorithm);
    let order = ordering(list, algorithm, seed);
    let pid_at = |index: u32| {
        usize::try_from(index)
            .ok()
            .and_then(|i| list.entrants().get(i))
            .map(|e| e.pid)
    };
    // Compares without allocating (alternates may list a million pids); formats on mismatch.
    let same = |claimed: &str, index: u32| match (parse_hex32(claimed), pid_at(index)) {
        (Some(claimed), Some(pid)) => claimed == pid,
        _ => false,
    };
    let pid_hex = |index: u32| pid_at(index).map(|pid| hex32(&pid)).unwrap_or_default();
    let split = usize::try_from(published.winner_count)
        .unwrap_or(usize::MAX)
        .min(order.len());
    let (winners, alternates) = order.split_at(split);
    if published.winners.len() != winners.len() {
        return failed(format!(
            "winners lists {} entrants but winnerCount is {}",
            published.winners.len(),
            published.winner_count
        ));
    }
    for (rank, (claimed, &index)) in published.winners.iter().zip(winners).enumerate() {
        if !same(claimed, index) {
            return failed(format!(
                "winner rank {} differs: published {claimed}, recomputed {}",
                rank + 1,
                pid_hex(index)
            ));
        }
    }
    match rules {
        None if published.alternates.len() > alternates.len() => {
            return failed(format!(
                "alternates lists {} entrants but only {} remain after the winners",
                published.alternates.len(),
                alternates.len()
            ));
        }
        Some(rules) if published.alternates.len() != v2::alternates_drawn(rules, list.len()) => {
            return failed(format!(
                "alternates lists {} entrants but draw/v2 ranks exactly {} \
                 (alternateCount {}, {} entrants after the winners)",
                published.alternates.len(),
                v2::alternates_drawn(rules, list.len()),
                rules.alternate_count(),
                alternates.len()
            ));
        }
        _ => {}
    }
    for (position, (claimed, &index)) in published.alternates.iter().zip(alternates).enumerate() {
        if !same(claimed, index) {
            return failed(format!(
                "alternate {} (rank {}) differs: published {claimed}, recomputed {}",
                position + 1,
                winners.len() + position + 1,
                pid_hex(index)
            ));
        }
    }
    Ok(format!(
        "{} winners, {} alternates",
        published.winners.len(),
        published.alternates.len()
    ))
}
