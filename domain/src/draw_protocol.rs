//! `draw/v1`: the pure, verifiable prize-draw protocol.
//!
//! This module owns every byte that makes a draw reproducible: the seed commitment published
//! with the campaign, the canonical entrant list and its hash, the canonical parameter string,
//! the derivation of the ChaCha20 seed, the two orderings (RANDOM: Fisher–Yates with unbiased
//! rejection sampling; WEIGHTED: integer A-Res) and the published record with its `verify`.
//! `docs/draw-protocol.md` is the normative description; the test vectors in this module's tests
//! are the worked example there, so a change in output anywhere breaks the build.
//!
//! No IO, no clock, no OS randomness: the server seed, the entrants and the parameters are
//! arguments. The only source of randomness is `ChaCha20Rng` seeded from [`derive_seed`], read
//! exclusively through [`RngCore::next_u64`]; there is no floating point and no `rand` helper
//! whose output could change between versions.

use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

mod published;
#[cfg(test)]
mod tests;

pub use published::{publish, verify, verify_embedded, PublishedDraw, Verification};

/// Version tag of this protocol; appears in the params string and in [`PublishedDraw`].
pub const PROTOCOL_VERSION: &str = "draw/v1";

/// Domain-separation tag of the seed commitment (followed by one `0x00` byte).
pub const COMMIT_TAG: &[u8] = b"promo/draw/v1/commit";

/// Domain-separation tag of the ChaCha20 seed derivation (followed by one `0x00` byte).
pub const SEED_TAG: &[u8] = b"promo/draw/v1/seed";

/// Largest number of entrants a `draw/v1` list may hold: orderings are `u32` indices.
pub const MAX_ENTRANTS: usize = u32::MAX as usize;

/// Pseudonymous entrant id: a keyed hash of the normalised phone number, computed elsewhere.
pub type Pid = [u8; 32];

/// Longest canonical list line: 64 hex digits, `,`, up to 10 decimal digits, `\n`.
const MAX_LINE: usize = 64 + 1 + 10 + 1;

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// How the ordering is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Algorithm {
    /// Every entrant once, uniformly (all weights must be 1).
    Random,
    /// Entrants count `weight` times (bonus entries), sampled without replacement.
    Weighted,
}

impl Algorithm {
    /// The exact token used in the params string and in JSON: `RANDOM` or `WEIGHTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Random => "RANDOM",
            Algorithm::Weighted => "WEIGHTED",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = DrawProtocolError;

    /// Accepts exactly `RANDOM` or `WEIGHTED` (case-sensitive, as in the params string).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "RANDOM" => Ok(Algorithm::Random),
            "WEIGHTED" => Ok(Algorithm::Weighted),
            other => Err(DrawProtocolError::UnknownAlgorithm(other.to_owned())),
        }
    }
}

/// One line of the entrant list: who, and how many entries they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entrant {
    pub pid: Pid,
    /// `1..=u32::MAX`. Always 1 for RANDOM; 1 or 3 (bonus entries) for WEIGHTED.
    pub weight: u32,
}

/// The draw parameters that, with the list and the server seed, fix the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawParams {
    pub campaign_id: Uuid,
    pub algorithm: Algorithm,
    pub winner_count: u32,
}

/// Broken rules of the protocol. Each variant names the rule, not the symptom.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DrawProtocolError {
    #[error("entrant {pid} appears more than once in the list")]
    DuplicatePid { pid: String },
    #[error("entrant {pid} has weight 0; weights start at 1")]
    ZeroWeight { pid: String },
    #[error("a draw/v1 list holds at most 4294967295 entrants")]
    TooManyEntrants,
    #[error("a RANDOM draw requires every entrant to have weight 1")]
    RandomRequiresUnitWeights,
    #[error("a draw picks at least one winner")]
    NoWinnersRequested,
    #[error("{winner_count} winners requested but the list has only {entrant_count} entrants")]
    NotEnoughEntrants {
        winner_count: u32,
        entrant_count: usize,
    },
    #[error("unknown draw algorithm {0:?}; expected RANDOM or WEIGHTED")]
    UnknownAlgorithm(String),
    #[error("entrant list line {line} is not `<64 lowercase hex digits>,<decimal weight>`")]
    MalformedListLine { line: usize },
    #[error("entrant list line {line} is not in ascending pid order")]
    ListNotAscending { line: usize },
    #[error("entrant list text must end with a line feed")]
    MissingFinalNewline,
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

/// The frozen entrant list, sorted ascending by pid bytes, pids unique, weights ≥ 1.
///
/// Whether the weights suit the algorithm (RANDOM needs all 1) and whether there are enough
/// entrants for the winners are checked by [`check_params`] / [`run`], which see the parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CanonicalList {
    entrants: Vec<Entrant>,
}

impl CanonicalList {
    /// Sorts by pid and rejects duplicate pids, zero weights and more than [`MAX_ENTRANTS`].
    /// The result does not depend on the order of `entrants`.
    pub fn new(mut entrants: Vec<Entrant>) -> Result<Self, DrawProtocolError> {
        if entrants.len() > MAX_ENTRANTS {
            return Err(DrawProtocolError::TooManyEntrants);
        }
        // Byte order of the pids; the big-endian u64 prefix settles almost every comparison.
        let prefix = |e: &Entrant| {
            let mut head = [0u8; 8];
            head.copy_from_slice(&e.pid[..8]);
            u64::from_be_bytes(head)
        };
        entrants.sort_unstable_by(|a, b| prefix(a).cmp(&prefix(b)).then_with(|| a.pid.cmp(&b.pid)));
        if let Some(pair) = entrants.windows(2).find(|w| w[0].pid == w[1].pid) {
            return Err(DrawProtocolError::DuplicatePid {
                pid: hex32(&pair[0].pid),
            });
        }
        if let Some(e) = entrants.iter().find(|e| e.weight == 0) {
            return Err(DrawProtocolError::ZeroWeight { pid: hex32(&e.pid) });
        }
        Ok(Self { entrants })
    }

    /// Entrants in canonical order; ordering indices point into this slice.
    pub fn entrants(&self) -> &[Entrant] {
        &self.entrants
    }

    pub fn len(&self) -> usize {
        self.entrants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entrants.is_empty()
    }

    /// The canonical list text: `<pid lowercase hex>,<weight decimal>\n` per entrant.
    pub fn text(&self) -> String {
        let mut out = Vec::with_capacity(self.entrants.len() * (MAX_LINE - 8));
        let mut line = [0u8; MAX_LINE];
        for e in &self.entrants {
            let len = write_line(e, &mut line);
            out.extend_from_slice(&line[..len]);
        }
        // Only ASCII hex digits, ',', decimal digits and '\n' were written.
        String::from_utf8(out).unwrap_or_default()
    }

    /// `SHA-256(text())`, streamed line by line without building the text.
    pub fn hash(&self) -> [u8; 32] {
        const CHUNK: usize = 64 * MAX_LINE;
        let mut hasher = Sha256::new();
        let mut chunk = [0u8; CHUNK];
        let mut filled = 0;
        let mut line = [0u8; MAX_LINE];
        for e in &self.entrants {
            let len = write_line(e, &mut line);
            if filled + len > CHUNK {
                hasher.update(&chunk[..filled]);
                filled = 0;
            }
            chunk[filled..filled + len].copy_from_slice(&line[..len]);
            filled += len;
        }
        hasher.update(&chunk[..filled]);
        hasher.finalize().into()
    }

    /// Parses a canonical list text, accepting only exactly what [`CanonicalList::text`]
    /// produces: lowercase hex, no leading zeros, ascending unique pids, LF after every line.
    /// The empty text is the empty list.
    pub fn parse_text(text: &str) -> Result<Self, DrawProtocolError> {
        if text.is_empty() {
            return Ok(Self::default());
        }
        let Some(body) = text.strip_suffix('\n') else {
            return Err(DrawProtocolError::MissingFinalNewline);
        };
        let mut entrants: Vec<Entrant> = Vec::with_capacity(text.len() / (MAX_LINE - 8));
        for (i, raw) in body.split('\n').enumerate() {
            let line = i + 1;
            let e =
                parse_line(raw.as_bytes()).ok_or(DrawProtocolError::MalformedListLine { line })?;
            if let Some(prev) = entrants.last() {
                if e.pid == prev.pid {
                    return Err(DrawProtocolError::DuplicatePid { pid: hex32(&e.pid) });
                }
                if e.pid < prev.pid {
                    return Err(DrawProtocolError::ListNotAscending { line });
                }
            }
            if e.weight == 0 {
                return Err(DrawProtocolError::ZeroWeight { pid: hex32(&e.pid) });
            }
            if entrants.len() == MAX_ENTRANTS {
                return Err(DrawProtocolError::TooManyEntrants);
            }
            entrants.push(e);
        }
        Ok(Self { entrants })
    }
}

/// Writes `<pid hex>,<weight>\n` into `buf`, returning the length.
fn write_line(e: &Entrant, buf: &mut [u8; MAX_LINE]) -> usize {
    for (i, byte) in e.pid.iter().enumerate() {
        buf[2 * i] = HEX_DIGITS[usize::from(byte >> 4)];
        buf[2 * i + 1] = HEX_DIGITS[usize::from(byte & 0x0f)];
    }
    buf[64] = b',';
    let mut digits = [0u8; 10];
    let mut n = e.weight;
    let mut count = 0;
    loop {
        digits[count] = b'0' + (n % 10) as u8;
        count += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for k in 0..count {
        buf[65 + k] = digits[count - 1 - k];
    }
    buf[65 + count] = b'\n';
    66 + count
}

/// Parses one line without its LF. `None` if it is not in canonical form (weight 0 is
/// returned as such so the caller can name the rule).
fn parse_line(line: &[u8]) -> Option<Entrant> {
    if line.len() < 66 || line.len() > MAX_LINE - 1 || line[64] != b',' {
        return None;
    }
    let pid = parse_hex32_bytes(&line[..64])?;
    let digits = &line[65..];
    if digits.len() > 1 && digits[0] == b'0' {
        return None;
    }
    let mut weight: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        weight = weight * 10 + u64::from(d - b'0');
    }
    let weight = u32::try_from(weight).ok()?;
    Some(Entrant { pid, weight })
}

/// Nibble value of each lowercase hex digit; 0xff for every other byte.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 16 {
        table[HEX_DIGITS[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Strict lowercase hex of exactly 32 bytes.
fn parse_hex32_bytes(hex_digits: &[u8]) -> Option<[u8; 32]> {
    if hex_digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex_digits.chunks_exact(2)) {
        let hi = HEX_VALUES[usize::from(pair[0])];
        let lo = HEX_VALUES[usize::from(pair[1])];
        if (hi | lo) & 0xf0 != 0 {
            return None;
        }
        *byte = (hi << 4) | lo;
    }
    Some(out)
}

/// Lowercase hex of 32 bytes (pids, hashes, seeds), as published.
pub fn hex32(bytes: &[u8; 32]) -> String {
    let mut digits = [0u8; 64];
    for (pair, byte) in digits.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX_DIGITS[usize::from(byte >> 4)];
        pair[1] = HEX_DIGITS[usize::from(byte & 0x0f)];
    }
    // Only ASCII hex digits were written, so this never falls back.
    std::str::from_utf8(&digits)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// Strict lowercase hex of exactly 32 bytes (the form every hash and pid is published in).
pub fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    parse_hex32_bytes(s.as_bytes())
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
/// RANDOM ignores the weights (use [`run`], which insists they are all 1); WEIGHTED uses them.
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

/// Checks `params` against `list`: at least one winner, no more winners than entrants, and for
/// RANDOM every weight equal to 1.
pub fn check_params(list: &CanonicalList, params: &DrawParams) -> Result<(), DrawProtocolError> {
    if params.winner_count == 0 {
        return Err(DrawProtocolError::NoWinnersRequested);
    }
    if usize::try_from(params.winner_count).map_or(true, |w| w > list.len()) {
        return Err(DrawProtocolError::NotEnoughEntrants {
            winner_count: params.winner_count,
            entrant_count: list.len(),
        });
    }
    if params.algorithm == Algorithm::Random && list.entrants().iter().any(|e| e.weight != 1) {
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
