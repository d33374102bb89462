//! The published draw record and its verdict.
//!
//! [`PublishedDraw`] is everything an auditor needs besides the entrant list (which it may
//! embed), for either protocol version. [`verify`] recomputes every derived value from the raw
//! inputs and reports the first difference in words; [`super::check`] gives the same
//! comparisons as a list of named checks and adds the one against the campaign's published
//! `seedCommitment`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::checks::check;
use super::{
    hex32, v1, v2, Algorithm, CanonicalList, DrawOutcome, DrawParams, DrawProtocolError, DrawRules,
    ProtocolVersion,
};

/// Everything published for verification. JSON is camelCase; bytes are lowercase hex strings
/// (kept as strings so a malformed value is reported by [`verify`] rather than refused by the
/// parser).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedDraw {
    /// `draw/v1` or `draw/v2`.
    pub protocol_version: String,
    /// Only the canonical text (lowercase, hyphenated) is read: the params string and every
    /// verifier use that form.
    #[serde(deserialize_with = "canonical_uuid")]
    pub campaign_id: Uuid,
    pub algorithm: Algorithm,
    pub winner_count: u32,
    /// `draw/v2` only: alternates ranked after the winners, as fixed at publication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_count: Option<u32>,
    /// `draw/v2` only: days after the announcement a winner has to claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_days: Option<u32>,
    /// `draw/v2` only: the canonical rules text bound into the commitment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
    pub entrant_count: u64,
    /// Published with the campaign, before entries closed.
    pub commitment: String,
    /// Revealed at the draw.
    pub server_seed: String,
    pub list_hash: String,
    pub seed: String,
    /// The canonical params string hashed into the seed.
    pub params: String,
    /// Winner pids (lowercase hex), rank 1 first.
    pub winners: Vec<String>,
    /// Alternate pids in substitution order. `draw/v1`: may be a prefix of all alternates;
    /// `draw/v2`: exactly the alternates the rules rank.
    pub alternates: Vec<String>,
    /// The canonical entrant list text, when published alongside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_text: Option<String>,
}

/// A UUID written exactly as the protocol writes it (36 characters, lowercase, hyphenated).
fn canonical_uuid<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Uuid, D::Error> {
    let text = String::deserialize(deserializer)?;
    match Uuid::try_parse(&text) {
        Ok(id) if id.hyphenated().to_string() == text => Ok(id),
        _ => Err(serde::de::Error::custom(
            "campaignId is not a lowercase hyphenated UUID",
        )),
    }
}

/// Lowercase hex pids of `indices` (positions in `list`).
fn pids(list: &CanonicalList, indices: &[u32]) -> Vec<String> {
    indices
        .iter()
        .map(|&index| {
            usize::try_from(index)
                .ok()
                .and_then(|i| list.entrants().get(i))
                .map(|e| hex32(&e.pid))
                .unwrap_or_default()
        })
        .collect()
}

impl PublishedDraw {
    /// The `draw/v1` record of `outcome`, which must come from [`v1::run`] with the same seed,
    /// list and params (see [`publish`] to do both at once). Lists every alternate and no list
    /// text.
    pub fn new(
        server_seed: &[u8; 32],
        list: &CanonicalList,
        params: &DrawParams,
        outcome: &DrawOutcome,
    ) -> Self {
        Self {
            protocol_version: v1::PROTOCOL_VERSION.to_owned(),
            campaign_id: params.campaign_id,
            algorithm: params.algorithm,
            winner_count: params.winner_count,
            alternate_count: None,
            claim_days: None,
            rules: None,
            entrant_count: list.len() as u64,
            commitment: hex32(&v1::commitment(&params.campaign_id, server_seed)),
            server_seed: hex32(server_seed),
            list_hash: hex32(&outcome.list_hash),
            seed: hex32(&outcome.seed),
            params: v1::params_string(params, list.len()),
            winners: pids(list, outcome.winners(params.winner_count)),
            alternates: pids(list, outcome.alternates(params.winner_count)),
            list_text: None,
        }
    }

    /// The `draw/v2` record of `outcome`, which must come from [`v2::run`] with the same seed,
    /// list, campaign and rules (see [`publish_v2`]). Lists exactly the alternates the rules
    /// rank, and no list text.
    pub fn new_v2(
        server_seed: &[u8; 32],
        list: &CanonicalList,
        campaign_id: &Uuid,
        rules: &DrawRules,
        outcome: &DrawOutcome,
    ) -> Self {
        let alternates = outcome.alternates(rules.winner_count());
        let kept = v2::alternates_drawn(rules, list.len()).min(alternates.len());
        Self {
            protocol_version: v2::PROTOCOL_VERSION.to_owned(),
            campaign_id: *campaign_id,
            algorithm: rules.algorithm(),
            winner_count: rules.winner_count(),
            alternate_count: Some(rules.alternate_count()),
            claim_days: Some(rules.claim_days()),
            rules: Some(rules.canonical()),
            entrant_count: list.len() as u64,
            commitment: hex32(&v2::commitment(campaign_id, rules, server_seed)),
            server_seed: hex32(server_seed),
            list_hash: hex32(&outcome.list_hash),
            seed: hex32(&outcome.seed),
            params: v2::params_string(campaign_id, rules, list.len()),
            winners: pids(list, outcome.winners(rules.winner_count())),
            alternates: pids(list, &alternates[..kept]),
            list_text: None,
        }
    }

    /// Keeps only the first `keep` alternates. A `draw/v1` record may publish such a prefix;
    /// a `draw/v2` record must list exactly the ranked alternates.
    pub fn with_alternates_limit(mut self, keep: usize) -> Self {
        self.alternates.truncate(keep);
        self
    }

    /// Embeds the canonical list text so the record verifies on its own ([`verify_embedded`]).
    pub fn with_list_text(mut self, list: &CanonicalList) -> Self {
        self.list_text = Some(list.text());
        self
    }

    /// The protocol version this record claims, if it is one this implementation knows.
    pub fn protocol(&self) -> Option<ProtocolVersion> {
        ProtocolVersion::parse(&self.protocol_version)
    }

    /// The `draw/v1` draw parameters this record claims.
    pub fn draw_params(&self) -> DrawParams {
        DrawParams {
            campaign_id: self.campaign_id,
            algorithm: self.algorithm,
            winner_count: self.winner_count,
        }
    }

    /// The `draw/v2` rules this record claims, or why it states none.
    pub fn draw_rules(&self) -> Result<DrawRules, String> {
        let (Some(alternate_count), Some(claim_days)) = (self.alternate_count, self.claim_days)
        else {
            return Err("a draw/v2 record states alternateCount and claimDays".to_owned());
        };
        DrawRules::from_record(
            self.winner_count,
            self.algorithm,
            alternate_count,
            claim_days,
        )
        .map_err(|e| format!("the draw rules are out of range: {}: {e}", e.field()))
    }
}

/// Runs a `draw/v1` draw and builds its published record in one go.
pub fn publish(
    server_seed: &[u8; 32],
    list: &CanonicalList,
    params: &DrawParams,
) -> Result<(DrawOutcome, PublishedDraw), DrawProtocolError> {
    let outcome = v1::run(server_seed, list, params)?;
    let published = PublishedDraw::new(server_seed, list, params, &outcome);
    Ok((outcome, published))
}

/// Runs a `draw/v2` draw and builds its published record in one go.
pub fn publish_v2(
    server_seed: &[u8; 32],
    list: &CanonicalList,
    campaign_id: &Uuid,
    rules: &DrawRules,
) -> Result<(DrawOutcome, PublishedDraw), DrawProtocolError> {
    let outcome = v2::run(server_seed, list, campaign_id, rules)?;
    let published = PublishedDraw::new_v2(server_seed, list, campaign_id, rules, &outcome);
    Ok((outcome, published))
}

/// The verdict of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every published value is reproduced from the inputs.
    Match,
    /// The first value that is not, in words.
    Mismatch { first_difference: String },
}

impl Verification {
    pub fn is_match(&self) -> bool {
        matches!(self, Verification::Match)
    }
}

/// Re-runs the draw from `published`'s raw inputs (campaign id, rules, server seed) and `list`,
/// and compares every published value in this order: protocol version, server seed, (v2) the
/// rules, commitment, entrant count, embedded list text, list hash, parameters, seed, winners
/// (count, then rank by rank), alternates. The comparison with the campaign's published
/// `seedCommitment` needs that value: see [`super::check`].
pub fn verify(published: &PublishedDraw, list: &CanonicalList) -> Verification {
    check(published, list, None).verification()
}

/// Verifies a record that embeds its entrant list (`listText`).
pub fn verify_embedded(published: &PublishedDraw) -> Verification {
    let Some(text) = &published.list_text else {
        return Verification::Mismatch {
            first_difference: "listText is missing: supply the entrant list to verify against"
                .to_owned(),
        };
    };
    match CanonicalList::parse_text(text) {
        Ok(list) => verify(published, &list),
        Err(e) => Verification::Mismatch {
            first_difference: format!("listText is not a canonical entrant list: {e}"),
        },
    }
}
