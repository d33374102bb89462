//! The draw rules a `draw/v2` campaign fixes when it is published, and their canonical bytes.
//!
//! They live in the protocol, not in the campaign, because the commitment binds them: a verifier
//! recomputes [`DrawRules::canonical`] from the published record, so its exact text and the
//! ranges below are part of the protocol (`docs/draw-protocol.md` §3.2).

use serde::{Deserialize, Serialize};

use super::Algorithm;

/// Upper bound on winners per campaign: a small shop's giveaway, and a bound that keeps a draw
/// response and its notifications reasonable.
pub const MAX_WINNER_COUNT: u32 = 1_000;

/// Upper bound on alternates (substitutes in order) kept by a `draw/v2` draw.
pub const MAX_ALTERNATE_COUNT: u32 = 100;

/// Upper bound on the days after the announcement a winner has to claim the prize.
pub const MAX_CLAIM_DAYS: u32 = 90;

/// Claim period when the owner names none: one week after the announcement.
pub const DEFAULT_CLAIM_DAYS: u32 = 7;

/// The rules of a campaign's draw, valid by construction.
///
/// `winner_count` 1–1000; `visit_bonus` chooses WEIGHTED (store-visit bonus entries count) or
/// RANDOM (everyone once); `alternate_count` 0–100 alternates are ranked after the winners;
/// `claim_days` 1–90 days after the announcement a winner has to claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "RawDrawRules")]
pub struct DrawRules {
    winner_count: u32,
    visit_bonus: bool,
    alternate_count: u32,
    claim_days: u32,
}

/// A broken draw rule, naming the request field (`winnerCount`, `alternateCount`, `claimDays`).
/// A `visitBonus` that is not a boolean never gets this far: the JSON parser refuses it,
/// naming the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DrawRulesError {
    /// Missing, or outside `1..=1000`.
    #[error("{}", self.reason())]
    WinnerCount,
    /// Outside `0..=100`.
    #[error("{}", self.reason())]
    AlternateCount,
    /// Outside `1..=90`.
    #[error("{}", self.reason())]
    ClaimDays,
}

impl DrawRulesError {
    /// The request field the rule is about, as the API spells it.
    pub fn field(self) -> &'static str {
        match self {
            DrawRulesError::WinnerCount => "winnerCount",
            DrawRulesError::AlternateCount => "alternateCount",
            DrawRulesError::ClaimDays => "claimDays",
        }
    }

    /// What is wrong, in Korean, for the owner reading it.
    pub fn reason(self) -> &'static str {
        match self {
            DrawRulesError::WinnerCount => "당첨 인원은 1명 이상 1000명 이하로 정해야 합니다",
            DrawRulesError::AlternateCount => {
                "예비 당첨 인원은 0명 이상 100명 이하로 정해야 합니다"
            }
            DrawRulesError::ClaimDays => {
                "경품 수령 기한은 발표 후 1일 이상 90일 이하로 정해야 합니다"
            }
        }
    }
}

/// The rules as a request states them: any field may be missing (defaults apply, except for
/// the winner count) and numbers may be out of range (refused by [`DrawRules::parse`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawRulesInput {
    pub winner_count: Option<i64>,
    pub visit_bonus: Option<bool>,
    pub alternate_count: Option<i64>,
    pub claim_days: Option<i64>,
}

impl DrawRules {
    /// Checks every range; the first broken rule is reported, in field order.
    pub fn new(
        winner_count: u32,
        visit_bonus: bool,
        alternate_count: u32,
        claim_days: u32,
    ) -> Result<Self, DrawRulesError> {
        if !(1..=MAX_WINNER_COUNT).contains(&winner_count) {
            return Err(DrawRulesError::WinnerCount);
        }
        if alternate_count > MAX_ALTERNATE_COUNT {
            return Err(DrawRulesError::AlternateCount);
        }
        if !(1..=MAX_CLAIM_DAYS).contains(&claim_days) {
            return Err(DrawRulesError::ClaimDays);
        }
        Ok(Self {
            winner_count,
            visit_bonus,
            alternate_count,
            claim_days,
        })
    }

    /// The rules a publish request states, with the defaults: `visitBonus` true (WEIGHTED),
    /// `alternateCount` = `winnerCount`, `claimDays` 7. The winner count has no default.
    pub fn parse(input: DrawRulesInput) -> Result<Self, DrawRulesError> {
        let in_u32 = |value: i64, error| u32::try_from(value).map_err(|_| error);
        let winner_count = in_u32(
            input.winner_count.ok_or(DrawRulesError::WinnerCount)?,
            DrawRulesError::WinnerCount,
        )?;
        let alternate_count = match input.alternate_count {
            Some(value) => in_u32(value, DrawRulesError::AlternateCount)?,
            // More than 100 winners default to the largest allowed number of alternates.
            None => winner_count.min(MAX_ALTERNATE_COUNT),
        };
        let claim_days = match input.claim_days {
            Some(value) => in_u32(value, DrawRulesError::ClaimDays)?,
            None => DEFAULT_CLAIM_DAYS,
        };
        Self::new(
            winner_count,
            input.visit_bonus.unwrap_or(true),
            alternate_count,
            claim_days,
        )
    }

    /// The rules a published record states (`algorithm` instead of `visitBonus`).
    pub fn from_record(
        winner_count: u32,
        algorithm: Algorithm,
        alternate_count: u32,
        claim_days: u32,
    ) -> Result<Self, DrawRulesError> {
        Self::new(
            winner_count,
            algorithm == Algorithm::Weighted,
            alternate_count,
            claim_days,
        )
    }

    pub fn winner_count(&self) -> u32 {
        self.winner_count
    }

    /// Store-visit bonus entries count: the draw is WEIGHTED.
    pub fn visit_bonus(&self) -> bool {
        self.visit_bonus
    }

    /// WEIGHTED with the store-visit bonus, RANDOM without.
    pub fn algorithm(&self) -> Algorithm {
        if self.visit_bonus {
            Algorithm::Weighted
        } else {
            Algorithm::Random
        }
    }

    pub fn alternate_count(&self) -> u32 {
        self.alternate_count
    }

    pub fn claim_days(&self) -> u32 {
        self.claim_days
    }

    /// The canonical rules text bound into the `draw/v2` commitment and params string, ASCII:
    /// `winners=<w>;alternates=<a>;algorithm=<RANDOM|WEIGHTED>;claim_days=<d>`, numbers in
    /// decimal without leading zeros.
    pub fn canonical(&self) -> String {
        format!(
            "winners={};alternates={};algorithm={};claim_days={}",
            self.winner_count,
            self.alternate_count,
            self.algorithm().as_str(),
            self.claim_days
        )
    }
}

/// Stored or published rules are checked again when read: a value that breaks a range never
/// becomes a [`DrawRules`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDrawRules {
    winner_count: u32,
    visit_bonus: bool,
    alternate_count: u32,
    claim_days: u32,
}

impl TryFrom<RawDrawRules> for DrawRules {
    type Error = DrawRulesError;

    fn try_from(raw: RawDrawRules) -> Result<Self, Self::Error> {
        DrawRules::new(
            raw.winner_count,
            raw.visit_bonus,
            raw.alternate_count,
            raw.claim_days,
        )
    }
}
