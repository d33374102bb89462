//! The pure, verifiable prize-draw protocol: `draw/v1` and `draw/v2`.
//!
//! This module owns every byte that makes a draw reproducible: the seed commitment published
//! with the campaign, the canonical entrant list and its hash, the canonical parameter string,
//! the derivation of the ChaCha20 seed, the two orderings (RANDOM: Fisher–Yates with unbiased
//! rejection sampling; WEIGHTED: integer A-Res) and the published record with its `verify`.
//! `docs/draw-protocol.md` is the normative description; the test vectors in this module's tests
//! are the worked examples there, so a change in output anywhere breaks the build.
//!
//! The two versions share the list, the random stream and the orderings. They differ in what
//! the commitment binds: `draw/v1` ([`v1`]) commits to the campaign and the server seed only, and
//! the winner count and algorithm are chosen at the draw; `draw/v2` ([`v2`]) also commits to the
//! [`DrawRules`] fixed when the campaign is published, so nobody can pick them once the seed is
//! known. v1 stays verifiable forever by the same code paths ([`verify`], [`check`]).
//!
//! No IO, no clock, no OS randomness: the server seed, the entrants and the parameters are
//! arguments. The only source of randomness is `ChaCha20Rng` seeded from the derived seed, read
//! exclusively through `RngCore::next_u64`; there is no floating point and no `rand` helper
//! whose output could change between versions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

mod checks;
mod draw_rules;
mod list;
mod published;
mod stream;
pub mod v1;
pub mod v2;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod v2_tests;

pub use checks::{check, check_text, Check, CheckName, CheckStatus, DrawChecks};
pub use draw_rules::{
    DrawRules, DrawRulesError, DrawRulesInput, DEFAULT_CLAIM_DAYS, MAX_ALTERNATE_COUNT,
    MAX_CLAIM_DAYS, MAX_WINNER_COUNT,
};
pub use list::{hex32, parse_hex32, CanonicalList, MAX_TOTAL_WEIGHT};
pub use published::{publish, publish_v2, verify, verify_embedded, PublishedDraw, Verification};
pub use stream::{ordering, uniform_below, DrawOutcome};
// `draw/v1` keeps its original paths (`draw_protocol::commitment`, …): records, tools and
// independent verifiers written against them keep working.
pub use v1::{
    check_params, commitment, derive_seed, params_string, run, DrawParams, COMMIT_TAG,
    PROTOCOL_VERSION, SEED_TAG,
};

/// Largest number of entrants a list may hold: orderings are `u32` indices.
pub const MAX_ENTRANTS: usize = u32::MAX as usize;

/// Pseudonymous entrant id: a keyed hash of the normalised phone number, computed elsewhere.
pub type Pid = [u8; 32];

/// Which version of the protocol a campaign was published under and its draw follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProtocolVersion {
    /// The commitment binds campaign and server seed; rules are chosen at the draw.
    #[serde(rename = "draw/v1")]
    V1,
    /// The commitment also binds the draw rules fixed at publication.
    #[serde(rename = "draw/v2")]
    V2,
}

impl ProtocolVersion {
    /// `draw/v1` or `draw/v2`, as in published records and params strings.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V1 => v1::PROTOCOL_VERSION,
            ProtocolVersion::V2 => v2::PROTOCOL_VERSION,
        }
    }

    /// Exactly `draw/v1` or `draw/v2`; anything else is unknown to this implementation.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            v1::PROTOCOL_VERSION => Some(ProtocolVersion::V1),
            v2::PROTOCOL_VERSION => Some(ProtocolVersion::V2),
            _ => None,
        }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

/// Broken rules of the protocol. Each variant names the rule, not the symptom.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DrawProtocolError {
    #[error("entrant {pid} appears more than once in the list")]
    DuplicatePid { pid: String },
    #[error("entrant {pid} has weight 0; weights start at 1")]
    ZeroWeight { pid: String },
    #[error("a list holds at most 4294967295 entrants")]
    TooManyEntrants,
    /// The weights add up to more than [`MAX_TOTAL_WEIGHT`]: a WEIGHTED draw reads one value
    /// per unit of weight, and the cap keeps that work bounded (see `docs/draw-protocol.md` §4).
    #[error("the weights of a list add up to at most 4294967295")]
    TotalWeightTooLarge,
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
