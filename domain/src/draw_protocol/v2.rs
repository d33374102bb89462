//! `draw/v2`: the rules are fixed when the campaign is published and bound into the commitment.
//!
//! What differs from [`super::v1`]: the commitment also hashes the canonical [`DrawRules`]
//! text, so an operator who knows the server seed can no longer choose the winner count or the
//! algorithm after seeing which choice favours whom; the params string carries every rule; and
//! the draw records exactly `min(alternate_count, n − winner_count)` alternates after the
//! winners. The list, the random stream and the orderings are those of v1.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::stream::{ordering, DrawOutcome};
use super::v1::check_winners;
use super::{CanonicalList, DrawProtocolError, DrawRules};

/// Version tag of this protocol; appears in the params string and in published records.
pub const PROTOCOL_VERSION: &str = "draw/v2";

/// Domain-separation tag of the seed commitment (followed by one `0x00` byte).
pub const COMMIT_TAG: &[u8] = b"promo/draw/v2/commit";

/// Domain-separation tag of the ChaCha20 seed derivation (followed by one `0x00` byte).
pub const SEED_TAG: &[u8] = b"promo/draw/v2/seed";

/// `SHA-256("promo/draw/v2/commit" ‖ 0x00 ‖ campaign_id (16 bytes) ‖ server_seed (32 bytes) ‖
/// rules.canonical() bytes)`.
///
/// The fixed-length fields come first, so the variable-length rules text at the end needs no
/// length prefix to be unambiguous. Computed and published when the campaign is published.
pub fn commitment(campaign_id: &Uuid, rules: &DrawRules, server_seed: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(COMMIT_TAG);
    hasher.update([0u8]);
    hasher.update(campaign_id.as_bytes());
    hasher.update(server_seed);
    hasher.update(rules.canonical().as_bytes());
    hasher.finalize().into()
}

/// The canonical params string, ASCII, no trailing newline:
/// `draw/v2;campaign=<uuid>;<rules.canonical()>;entrants=<n>`, e.g.
/// `draw/v2;campaign=…;winners=3;alternates=3;algorithm=WEIGHTED;claim_days=7;entrants=10`.
pub fn params_string(campaign_id: &Uuid, rules: &DrawRules, entrant_count: usize) -> String {
    format!(
        "{PROTOCOL_VERSION};campaign={};{};entrants={entrant_count}",
        campaign_id.hyphenated(),
        rules.canonical(),
    )
}

/// `SHA-256("promo/draw/v2/seed" ‖ 0x00 ‖ server_seed ‖ list_hash ‖ params_string bytes)`:
/// the 32-byte key of the draw's `ChaCha20Rng`.
pub fn derive_seed(
    server_seed: &[u8; 32],
    list_hash: &[u8; 32],
    campaign_id: &Uuid,
    rules: &DrawRules,
    entrant_count: usize,
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(SEED_TAG);
    hasher.update([0u8]);
    hasher.update(server_seed);
    hasher.update(list_hash);
    hasher.update(params_string(campaign_id, rules, entrant_count).as_bytes());
    hasher.finalize().into()
}

/// Checks the rules against `list`: no more winners than entrants, and for RANDOM every
/// weight equal to 1. (The rules' own ranges hold by construction of [`DrawRules`].)
pub fn check_params(list: &CanonicalList, rules: &DrawRules) -> Result<(), DrawProtocolError> {
    check_winners(list, rules.algorithm(), rules.winner_count())
}

/// How many alternates a `draw/v2` draw ranks after the winners: the rules' count, or fewer
/// when fewer entrants remain.
pub fn alternates_drawn(rules: &DrawRules, entrant_count: usize) -> usize {
    let winners = usize::try_from(rules.winner_count()).unwrap_or(usize::MAX);
    let alternates = usize::try_from(rules.alternate_count()).unwrap_or(usize::MAX);
    entrant_count.saturating_sub(winners).min(alternates)
}

/// Runs the draw: checks the rules against the list, hashes the list, derives the seed, draws
/// the ordering. The ordering is the full permutation; the draw's result is its first
/// `winner_count` (winners) and the next [`alternates_drawn`] (alternates).
pub fn run(
    server_seed: &[u8; 32],
    list: &CanonicalList,
    campaign_id: &Uuid,
    rules: &DrawRules,
) -> Result<DrawOutcome, DrawProtocolError> {
    check_params(list, rules)?;
    let list_hash = list.hash();
    let seed = derive_seed(server_seed, &list_hash, campaign_id, rules, list.len());
    let ordering = ordering(list, rules.algorithm(), seed);
    Ok(DrawOutcome {
        list_hash,
        seed,
        ordering,
    })
}
