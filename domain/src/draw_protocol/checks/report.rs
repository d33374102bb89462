//! The result of [`super::check`]: named checks, each passed, failed or not checked.

use crate::draw_protocol::{ProtocolVersion, Verification};

/// What a check compares. The order of the variants is the order of [`super::check`]'s list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckName {
    /// `protocolVersion` is `draw/v1` or `draw/v2`.
    ProtocolVersion,
    /// The record's `commitment` is the `seedCommitment` published with the campaign.
    PublishedCommitment,
    /// `serverSeed` is 64 lowercase hex digits.
    ServerSeed,
    /// `draw/v2`: the stated rules are in range and `rules` is their canonical text.
    DrawRules,
    /// `commitment` is the hash of the tag, campaign id, server seed (and v2 rules).
    Commitment,
    /// The list text is the canonical one ([`super::check_text`] only).
    ListFormat,
    /// `entrantCount` is the length of the list.
    EntrantCount,
    /// An embedded `listText` is the list verified against.
    ListText,
    /// `listHash` is SHA-256 of the canonical list text.
    ListHash,
    /// The parameters are valid for the list and `params` is their canonical string.
    Params,
    /// `seed` is the hash of the tag, server seed, list hash and params string.
    SeedDerivation,
    /// `winners` and `alternates` are the recomputed ordering's.
    Order,
}

impl CheckName {
    /// The line `promo verify` prints for this check.
    pub fn label(self, version: Option<ProtocolVersion>) -> &'static str {
        match self {
            CheckName::ProtocolVersion => "protocol version",
            CheckName::PublishedCommitment => "commitment = campaign's published seedCommitment",
            CheckName::ServerSeed => "server seed is 64 lowercase hex digits",
            CheckName::DrawRules => "draw rules: in range, canonical text",
            CheckName::Commitment => match version {
                Some(ProtocolVersion::V2) => {
                    "commitment = SHA-256(promo/draw/v2/commit, campaign id, server seed, rules)"
                }
                _ => "commitment = SHA-256(promo/draw/v1/commit, campaign id, server seed)",
            },
            CheckName::ListFormat => "entrant list is canonical text",
            CheckName::EntrantCount => "entrant count = length of the list",
            CheckName::ListText => "embedded listText = the list verified against",
            CheckName::ListHash => "list hash = SHA-256(canonical list text)",
            CheckName::Params => "draw parameters valid, params string",
            CheckName::SeedDerivation => "seed derivation",
            CheckName::Order => "winners and alternates order",
        }
    }
}

/// How a check came out. `detail` says what was compared or what differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckStatus {
    Passed,
    Failed,
    /// Not evaluated: its inputs are missing or broken (an earlier check says why).
    NotChecked,
}

/// One named check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: CheckName,
    pub label: &'static str,
    pub status: CheckStatus,
    /// On failure the difference in words (published and recomputed values); otherwise a
    /// short note.
    pub detail: String,
}

/// The checks of one record, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawChecks {
    /// The version the record claims, when known.
    pub protocol: Option<ProtocolVersion>,
    pub checks: Vec<Check>,
}

impl DrawChecks {
    /// No check failed. (A comparison that was not made, such as the published commitment
    /// when none was given, does not fail the draw; callers that require it look at it.)
    pub fn passed(&self) -> bool {
        !self.checks.iter().any(|c| c.status == CheckStatus::Failed)
    }

    /// The first failed check, if any.
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.status == CheckStatus::Failed)
    }

    /// The status of one check, if it was listed.
    pub fn status(&self, name: CheckName) -> Option<&CheckStatus> {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.status)
    }

    /// `Match`, or `Mismatch` with the first failed check's detail.
    pub fn verification(&self) -> Verification {
        match self.first_failure() {
            None => Verification::Match,
            Some(failed) => Verification::Mismatch {
                first_difference: failed.detail.clone(),
            },
        }
    }

    pub(super) fn push(&mut self, name: CheckName, outcome: Outcome) {
        self.insert(self.checks.len(), name, outcome);
    }

    pub(super) fn insert(&mut self, at: usize, name: CheckName, outcome: Outcome) {
        let (status, detail) = match outcome {
            Ok(note) => (CheckStatus::Passed, note),
            Err(Skip::Failed(detail)) => (CheckStatus::Failed, detail),
            Err(Skip::NotChecked(detail)) => (CheckStatus::NotChecked, detail),
        };
        let check = Check {
            name,
            label: name.label(self.protocol),
            status,
            detail,
        };
        self.checks.insert(at, check);
    }
}

/// Why a check did not pass.
pub(super) enum Skip {
    Failed(String),
    NotChecked(String),
}

/// A passed check's note, or why it did not pass.
pub(super) type Outcome = Result<String, Skip>;

pub(super) fn failed<T>(detail: String) -> Result<T, Skip> {
    Err(Skip::Failed(detail))
}

pub(super) fn not_checked<T>(why: &str) -> Result<T, Skip> {
    Err(Skip::NotChecked(why.to_owned()))
}
