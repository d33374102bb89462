//! The random stream and the orderings drawn from it (`docs/draw-protocol.md` §6–§7), shared by
//! every protocol version: only the derivation of the seed differs between versions.
//!
//! The stream is `ChaCha20Rng::from_seed(seed)` read exclusively through `next_u64`: the
//! RFC 8439 ChaCha20 keystream with a zero nonce and a 64-bit block counter (low word in state
//! word 12, high word in state word 13), read as little-endian u64s.

use std::num::NonZeroU64;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use super::{CanonicalList, Entrant};
use crate::draw_protocol::Algorithm;

/// A uniform integer in `0..bound` without modulo bias.
///
/// `zone = u64::MAX - (u64::MAX % bound)` is the largest multiple of `bound` that is at most
/// `u64::MAX`. Draw `x = next_u64()`; while `x >= zone`, draw again; return `x % bound`.
/// Exactly `zone` values are accepted, an exact multiple of `bound`, so every residue is equally
/// likely.
pub fn uniform_below<R: RngCore + ?Sized>(rng: &mut R, bound: NonZeroU64) -> u64 {
    let m = bound.get();
    let zone = u64::MAX - (u64::MAX % m);
    loop {
        let x = rng.next_u64();
        if x < zone {
            return x % m;
        }
    }
}

/// The full ordering of `list` (indices into [`CanonicalList::entrants`]) drawn from `seed`.
///
/// RANDOM ignores the weights (the versions' `run` insist they are all 1); WEIGHTED uses them.
pub fn ordering(list: &CanonicalList, algorithm: Algorithm, seed: [u8; 32]) -> Vec<u32> {
    let mut rng = ChaCha20Rng::from_seed(seed);
    match algorithm {
        Algorithm::Random => random_ordering(list.len(), &mut rng),
        Algorithm::Weighted => weighted_ordering(list.entrants(), &mut rng),
    }
}

/// Fisher–Yates over `0..n`: for i in 0..n-1, `j = i + uniform_below(n - i)`, swap(i, j).
fn random_ordering<R: RngCore>(n: usize, rng: &mut R) -> Vec<u32> {
    // n <= MAX_ENTRANTS, so every index fits in u32.
    let mut order: Vec<u32> = (0..n).map(|i| i as u32).collect();
    for i in 0..n.saturating_sub(1) {
        // n - i >= 2 here; the fallback is never taken.
        let remaining = NonZeroU64::new((n - i) as u64).unwrap_or(NonZeroU64::MIN);
        let j = i + uniform_below(rng, remaining) as usize;
        order.swap(i, j);
    }
    order
}

/// Integer A-Res: entrant k (canonical order) takes `weight` successive `next_u64` values and
/// keeps their maximum as its key; order by key descending, ties by index ascending.
fn weighted_ordering<R: RngCore>(entrants: &[Entrant], rng: &mut R) -> Vec<u32> {
    // Packed sort key: high 64 bits = !key (so ascending = key descending), low 64 = index.
    let mut keyed: Vec<u128> = Vec::with_capacity(entrants.len());
    for (index, e) in entrants.iter().enumerate() {
        let mut key = 0u64;
        for _ in 0..e.weight {
            key = key.max(rng.next_u64());
        }
        keyed.push((u128::from(!key) << 64) | index as u128);
    }
    keyed.sort_unstable();
    keyed.into_iter().map(|k| k as u32).collect()
}

/// What a draw produced: the list hash and seed it used and the full ordering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawOutcome {
    pub list_hash: [u8; 32],
    pub seed: [u8; 32],
    /// Indices into the canonical list; position 0 is rank 1.
    pub ordering: Vec<u32>,
}

impl DrawOutcome {
    /// The first `winner_count` indices, in rank order.
    pub fn winners(&self, winner_count: u32) -> &[u32] {
        &self.ordering[..self.split(winner_count)]
    }

    /// Everyone after the winners, in order: substitution takes the next alternate.
    pub fn alternates(&self, winner_count: u32) -> &[u32] {
        &self.ordering[self.split(winner_count)..]
    }

    fn split(&self, winner_count: u32) -> usize {
        usize::try_from(winner_count)
            .unwrap_or(usize::MAX)
            .min(self.ordering.len())
    }
}
