//! The dashboard's prize figures (SPEC v2: winners drawn, claimed,
//! forfeited, unawarded), from the prizes read model.

use promo_projections::prizes::queries::PrizeCounts;
use serde::Serialize;
use utoipa::ToSchema;

/// Winners drawn and what became of their prizes.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrizeSummary {
    /// Current winners (promoted alternates included): `claimed` + `pending`.
    pub winners: i64,
    pub claimed: i64,
    pub pending: i64,
    /// Winners who lost their prize (by the owner or the claim deadline).
    pub forfeited: i64,
    /// Ranks left without a winner: forfeited with no alternate left.
    pub unawarded: i64,
}

impl From<PrizeCounts> for PrizeSummary {
    fn from(c: PrizeCounts) -> Self {
        Self {
            winners: c.winners,
            claimed: c.claimed,
            pending: c.pending,
            forfeited: c.forfeited,
            unawarded: c.unawarded,
        }
    }
}
