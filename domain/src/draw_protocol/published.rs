//! The published draw record and its verifier.
//!
//! [`PublishedDraw`] is everything an auditor needs besides the entrant list (which it may
//! embed). [`verify`] recomputes every derived value from the raw inputs and reports the first
//! difference in words; it trusts nothing in the record but the raw inputs themselves.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    check_params, commitment, derive_seed, hex32, ordering, params_string, parse_hex32, run,
    Algorithm, CanonicalList, DrawOutcome, DrawParams, DrawProtocolError, PROTOCOL_VERSION,
};

/// Everything published for verification. JSON is camelCase; bytes are lowercase hex strings
/// (kept as strings so a malformed value is reported by [`verify`] rather than refused by the
/// parser).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedDraw {
    /// Always `draw/v1`.
    pub protocol_version: String,
    pub campaign_id: Uuid,
    pub algorithm: Algorithm,
    pub winner_count: u32,
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
    /// Alternate pids in substitution order; may be a prefix of all alternates.
    pub alternates: Vec<String>,
    /// The canonical entrant list text, when published alongside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_text: Option<String>,
}

impl PublishedDraw {
    /// The record of `outcome`, which must come from [`run`] with the same seed, list and
    /// params (see [`publish`] to do both at once). Lists every alternate and no list text.
    pub fn new(
        server_seed: &[u8; 32],
        list: &CanonicalList,
        params: &DrawParams,
        outcome: &DrawOutcome,
    ) -> Self {
        let pid_hex = |&index: &u32| {
            usize::try_from(index)
                .ok()
                .and_then(|i| list.entrants().get(i))
                .map(|e| hex32(&e.pid))
                .unwrap_or_default()
        };
        Self {
            protocol_version: PROTOCOL_VERSION.to_owned(),
            campaign_id: params.campaign_id,
            algorithm: params.algorithm,
            winner_count: params.winner_count,
            entrant_count: list.len() as u64,
            commitment: hex32(&commitment(&params.campaign_id, server_seed)),
            server_seed: hex32(server_seed),
            list_hash: hex32(&outcome.list_hash),
            seed: hex32(&outcome.seed),
            params: params_string(params, list.len()),
            winners: outcome
                .winners(params.winner_count)
                .iter()
                .map(pid_hex)
                .collect(),
            alternates: outcome
                .alternates(params.winner_count)
                .iter()
                .map(pid_hex)
                .collect(),
            list_text: None,
        }
    }

    /// Keeps only the first `keep` alternates; [`verify`] then checks that prefix.
    pub fn with_alternates_limit(mut self, keep: usize) -> Self {
        self.alternates.truncate(keep);
        self
    }

    /// Embeds the canonical list text so the record verifies on its own ([`verify_embedded`]).
    pub fn with_list_text(mut self, list: &CanonicalList) -> Self {
        self.list_text = Some(list.text());
        self
    }

    /// The draw parameters this record claims.
    pub fn draw_params(&self) -> DrawParams {
        DrawParams {
            campaign_id: self.campaign_id,
            algorithm: self.algorithm,
            winner_count: self.winner_count,
        }
    }
}

/// Runs the draw and builds its published record in one go.
pub fn publish(
    server_seed: &[u8; 32],
    list: &CanonicalList,
    params: &DrawParams,
) -> Result<(DrawOutcome, PublishedDraw), DrawProtocolError> {
    let outcome = run(server_seed, list, params)?;
    let published = PublishedDraw::new(server_seed, list, params, &outcome);
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

fn mismatch(first_difference: impl Into<String>) -> Verification {
    Verification::Mismatch {
        first_difference: first_difference.into(),
    }
}

/// Re-runs the draw from `published`'s raw inputs (campaign id, algorithm, winner count,
/// server seed) and `list`, and compares every published value in this order: protocol
/// version, commitment, entrant count, embedded list text, list hash, parameter validity,
/// params string, seed, winners (count, then rank by rank), alternates (a prefix).
pub fn verify(published: &PublishedDraw, list: &CanonicalList) -> Verification {
    match first_difference(published, list) {
        None => Verification::Match,
        Some(difference) => mismatch(difference),
    }
}

/// Verifies a record that embeds its entrant list (`listText`).
pub fn verify_embedded(published: &PublishedDraw) -> Verification {
    let Some(text) = &published.list_text else {
        return mismatch("listText is missing: supply the entrant list to verify against");
    };
    match CanonicalList::parse_text(text) {
        Ok(list) => verify(published, &list),
        Err(e) => mismatch(format!("listText is not a canonical entrant list: {e}")),
    }
}

fn first_difference(published: &PublishedDraw, list: &CanonicalList) -> Option<String> {
    if published.protocol_version != PROTOCOL_VERSION {
        return Some(format!(
            "protocolVersion is {:?}; this verifier implements {PROTOCOL_VERSION}",
            published.protocol_version
        ));
    }
    let Some(server_seed) = parse_hex32(&published.server_seed) else {
        return Some("serverSeed is not 64 lowercase hex digits".to_owned());
    };
    let recomputed = hex32(&commitment(&published.campaign_id, &server_seed));
    if published.commitment != recomputed {
        return Some(format!(
            "commitment does not match serverSeed: published {}, recomputed {recomputed}",
            published.commitment
        ));
    }
    if published.entrant_count != list.len() as u64 {
        return Some(format!(
            "entrantCount differs: published {}, the list has {}",
            published.entrant_count,
            list.len()
        ));
    }
    let list_hash = list.hash();
    if let Some(text) = &published.list_text {
        let text_hash: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        if text_hash != list_hash {
            return Some("listText differs from the entrant list verified against".to_owned());
        }
    }
    let recomputed = hex32(&list_hash);
    if published.list_hash != recomputed {
        return Some(format!(
            "listHash differs: published {}, recomputed {recomputed}",
            published.list_hash
        ));
    }
    let params = published.draw_params();
    if let Err(e) = check_params(list, &params) {
        return Some(format!("draw parameters are invalid for this list: {e}"));
    }
    let recomputed = params_string(&params, list.len());
    if published.params != recomputed {
        return Some(format!(
            "params differs: published {:?}, recomputed {recomputed:?}",
            published.params
        ));
    }
    let seed = derive_seed(&server_seed, &list_hash, &params, list.len());
    let recomputed = hex32(&seed);
    if published.seed != recomputed {
        return Some(format!(
            "seed differs: published {}, recomputed {recomputed}",
            published.seed
        ));
    }

    let outcome = DrawOutcome {
        list_hash,
        seed,
        ordering: ordering(list, params.algorithm, seed),
    };
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
    let winners = outcome.winners(params.winner_count);
    if published.winners.len() != winners.len() {
        return Some(format!(
            "winners lists {} entrants but winnerCount is {}",
            published.winners.len(),
            params.winner_count
        ));
    }
    for (rank, (claimed, &index)) in published.winners.iter().zip(winners).enumerate() {
        if !same(claimed, index) {
            let recomputed = pid_hex(index);
            return Some(format!(
                "winner rank {} differs: published {claimed}, recomputed {recomputed}",
                rank + 1
            ));
        }
    }
    let alternates = outcome.alternates(params.winner_count);
    if published.alternates.len() > alternates.len() {
        return Some(format!(
            "alternates lists {} entrants but only {} remain after the winners",
            published.alternates.len(),
            alternates.len()
        ));
    }
    for (position, (claimed, &index)) in published.alternates.iter().zip(alternates).enumerate() {
        if !same(claimed, index) {
            let recomputed = pid_hex(index);
            return Some(format!(
                "alternate {} (rank {}) differs: published {claimed}, recomputed {recomputed}",
                position + 1,
                winners.len() + position + 1
            ));
        }
    }
    None
}
