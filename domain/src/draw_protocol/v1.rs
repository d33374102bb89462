//! `draw/v1`: the commitment binds the campaign and the server seed only; the algorithm and the
//! winner count are chosen when the draw is run and hashed into the seed then.
//!
//! Kept unchanged, byte for byte, so every `draw/v1` record ever published stays verifiable.
//! New campaigns are published under [`super::v2`].

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::stream::{ordering, DrawOutcome};
use super::{Algorithm, CanonicalList, DrawProtocolError};

/// Version tag of this protocol; appears in the params string and in published records.
pub const PROTOCOL_VERSION: &str = "draw/v1";

/// Domain-separation tag of the seed commitment (followed by one `0x00` byte).
pub const COMMIT_TAG: &[u8] = b"promo/draw/v1/commit";

/// Domain-separation tag of the ChaCha20 seed derivation (followed by one `0x00` byte).
pub const SEED_TAG: &[u8] = b"promo/draw/v1/seed";

/// The draw parameters that, with the list and the server seed, fix the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawParams {
    pub campaign_id: Uuid,
    pub algorithm: Algorithm,
    pub winner_count: u32,
}

/// `SHA-256("promo/draw/v1/commit" ‖ 0x00 ‖ campaign_id (16 bytes) ‖ server_seed (32 bytes))`.
///
/// Published when the campaign is published; the draw later reveals `server_seed`.
pub fn commitment(campaign_id: &Uuid, server_seed: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(COMMIT_TAG);
    hasher.update([0u8]);
    hasher.update(campaign_id.as_bytes());
    hasher.update(server_seed);
    hasher.finalize().into()
}

/// The canonical params string, ASCII, no trailing newline:
/// `draw/v1;campaign=<uuid>;algorithm=<RANDOM|WEIGHTED>;winners=<n>;entrants=<n>`
/// with the UUID lowercase and hyphenated and the numbers in decimal without leading zeros.
pub fn params_string(params: &DrawParams, entrant_count: usize) -> String {
    format!(
        "{PROTOCOL_VERSION};campaign={};algorithm={};winners={};entrants={}",
        params.campaign_id.hyphenated(),
        params.algorithm.as_str(),
        params.winner_count,
        entrant_count
    )
}

/// `SHA-256("promo/draw/v1/seed" ‖ 0x00 ‖ server_seed ‖ list_hash ‖ params_string bytes)`:
/// the 32-byte key of the draw's `ChaCha20Rng`.
pub fn derive_seed(
    server_seed: &[u8; 32],
    list_hash: &[u8; 32],
    params: &DrawParams,
    entrant_count: usize,
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(SEED_TAG);
    hasher.update([0u8]);
    hasher.update(server_seed);
    hasher.update(list_hash);
    hasher.update(params_string(params, entrant_count).as_bytes());
    hasher.finalize().into()
}

/// Checks `params` against `list`: at least one winner, no more winners than entrants, and for
/// RANDOM every weight equal to 1.
pub fn check_params(list: &CanonicalList, params: &DrawParams) -> Result<(), DrawProtocolError> {
    check_winners(list, params.algorithm, params.winner_count)
}

/// The validity rules both versions share: 1 ≤ winners ≤ n, RANDOM needs all weights 1.
pub(super) fn check_winners(
    list: &CanonicalList,
    algorithm: Algorithm,
    winner_count: u32,
) -> Result<(), DrawProtocolError> {
    if winner_count == 0 {
        return Err(DrawProtocolError::NoWinnersRequested);
    }
    if usize::try_from(winner_count).map_or(true, |w| w > list.len()) {
        return Err(DrawProtocolError::NotEnoughEntrants {
            winner_count,
            entrant_count: list.len(),
        });
    }
    if algorithm == Algorithm::Random && list.entrants().iter().any(|e| e.weight != 1) {
        return Err(DrawProtocolError::RandomRequiresUnitWeights);
    }
    Ok(())
}

/// Runs the draw: checks the parameters, hashes the list, derives the seed, draws the ordering.
pub fn run(
    server_seed: &[u8; 32],
    list: &CanonicalList,
    params: &DrawParams,
) -> Result<DrawOutcome, DrawProtocolError> {
    check_params(list, params)?;
    let list_hash = list.hash();
    let seed = derive_seed(server_seed, &list_hash, params, list.len());
    let ordering = ordering(list, params.algorithm, seed);
    Ok(DrawOutcome {
        list_hash,
        seed,
        ordering,
    })
}
