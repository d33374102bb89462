//! Verification as a list of named checks: what `promo verify` prints, one line per check.
//!
//! [`check`] takes the published draw record, the entrant list and the campaign's separately
//! published `seedCommitment`, recomputes every derived value from the raw inputs, and says
//! for each comparison whether it held. It picks the protocol version from the record, so
//! `draw/v1` and `draw/v2` records go through the same path. A check whose inputs are broken
//! by an earlier failure is reported as not checked rather than guessed at.

use sha2::{Digest, Sha256};

use super::{
    hex32, parse_hex32, v1, v2, CanonicalList, DrawRules, ProtocolVersion, PublishedDraw,
    Verification,
};

mod order;

use order::order_check;

/// What a check compares. The order of the variants is the order of [`check`]'s list.
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

    fn push(&mut self, name: CheckName, outcome: Outcome) {
        let (status, detail) = match outcome {
            Ok(note) => (CheckStatus::Passed, note),
            Err(Skip::Failed(detail)) => (CheckStatus::Failed, detail),
            Err(Skip::NotChecked(detail)) => (CheckStatus::NotChecked, detail),
        };
        self.checks.push(Check {
            name,
            label: name.label(self.protocol),
            status,
            detail,
        });
    }
}

enum Skip {
    Failed(String),
    NotChecked(String),
}

type Outcome = Result<String, Skip>;

fn failed<T>(detail: String) -> Result<T, Skip> {
    Err(Skip::Failed(detail))
}

fn not_checked<T>(why: &str) -> Result<T, Skip> {
    Err(Skip::NotChecked(why.to_owned()))
}

/// Verifies `published` against `list` and, when given, against the campaign's published
/// `seed_commitment` (compared as exact lowercase hex strings).
pub fn check(
    published: &PublishedDraw,
    list: &CanonicalList,
    seed_commitment: Option<&str>,
) -> DrawChecks {
    let version = published.protocol();
    let mut out = DrawChecks {
        protocol: version,
        checks: Vec::new(),
    };
    out.push(
        CheckName::ProtocolVersion,
        match version {
            Some(v) => Ok(v.to_string()),
            None => failed(format!(
                "protocolVersion is {:?}; this verifier implements draw/v1 and draw/v2",
                published.protocol_version
            )),
        },
    );
    out.push(
        CheckName::PublishedCommitment,
        match seed_commitment.map(str::trim) {
            None => not_checked("no seedCommitment given (promo verify <URL> fetches it)"),
            Some(expected) if expected == published.commitment => Ok(expected.to_owned()),
            Some(expected) => failed(format!(
                "commitment differs from the campaign's published seedCommitment: record {}, \
                 published {expected}",
                published.commitment
            )),
        },
    );
    let Some(version) = version else {
        return out;
    };

    let server_seed = parse_hex32(&published.server_seed);
    out.push(
        CheckName::ServerSeed,
        match server_seed {
            Some(_) => Ok(String::new()),
            None => failed("serverSeed is not 64 lowercase hex digits".to_owned()),
        },
    );
    let rules = match version {
        ProtocolVersion::V1 => None,
        ProtocolVersion::V2 => {
            out.push(
                CheckName::DrawRules,
                rules_of(published).map(|r| r.canonical()),
            );
            // The stated numbers drive the rest even when the `rules` text is off: that
            // mismatch is reported once, above.
            published.draw_rules().ok()
        }
    };

    out.push(
        CheckName::Commitment,
        commitment_check(published, version, server_seed, rules.as_ref()),
    );
    out.push(
        CheckName::EntrantCount,
        if published.entrant_count == list.len() as u64 {
            Ok(format!("{} entrants", list.len()))
        } else {
            failed(format!(
                "entrantCount differs: published {}, the list has {}",
                published.entrant_count,
                list.len()
            ))
        },
    );
    let list_hash = list.hash();
    if let Some(text) = &published.list_text {
        let text_hash: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        out.push(
            CheckName::ListText,
            if text_hash == list_hash {
                Ok(String::new())
            } else {
                failed("listText differs from the entrant list verified against".to_owned())
            },
        );
    }
    let recomputed = hex32(&list_hash);
    out.push(
        CheckName::ListHash,
        if published.list_hash == recomputed {
            Ok(recomputed)
        } else {
            failed(format!(
                "listHash differs: published {}, recomputed {recomputed}",
                published.list_hash
            ))
        },
    );

    // The parameters must be valid for the list before an ordering can be drawn at all.
    let (params_valid, params) = match (version, &rules) {
        (ProtocolVersion::V1, _) => {
            let params = published.draw_params();
            (
                v1::check_params(list, &params),
                Some(v1::params_string(&params, list.len())),
            )
        }
        (ProtocolVersion::V2, Some(rules)) => (
            v2::check_params(list, rules),
            Some(v2::params_string(&published.campaign_id, rules, list.len())),
        ),
        (ProtocolVersion::V2, None) => (Ok(()), None),
    };
    out.push(
        CheckName::Params,
        match (&params_valid, params) {
            (_, None) => not_checked("the draw rules are invalid"),
            (Err(e), _) => failed(format!("draw parameters are invalid for this list: {e}")),
            (Ok(()), Some(params)) if params == published.params => Ok(params),
            (Ok(()), Some(params)) => failed(format!(
                "params differs: published {:?}, recomputed {params:?}",
                published.params
            )),
        },
    );
    let params_valid = params_valid.is_ok();
    let seed = match (server_seed, version, &rules) {
        (None, _, _) => None,
        (Some(server_seed), ProtocolVersion::V1, _) => Some(v1::derive_seed(
            &server_seed,
            &list_hash,
            &published.draw_params(),
            list.len(),
        )),
        (Some(_), ProtocolVersion::V2, None) => None,
        (Some(server_seed), ProtocolVersion::V2, Some(rules)) => Some(v2::derive_seed(
            &server_seed,
            &list_hash,
            &published.campaign_id,
            rules,
            list.len(),
        )),
    };
    out.push(
        CheckName::SeedDerivation,
        match seed.map(|s| hex32(&s)) {
            None => not_checked("the server seed or the draw rules are unreadable"),
            Some(recomputed) if recomputed == published.seed => Ok(recomputed),
            Some(recomputed) => failed(format!(
                "seed differs: published {}, recomputed {recomputed}",
                published.seed
            )),
        },
    );
    out.push(
        CheckName::Order,
        match seed {
            Some(seed) if params_valid => order_check(published, list, rules.as_ref(), seed),
            _ => not_checked("no valid parameters and seed to draw with"),
        },
    );
    out
}

/// The v2 rules check: stated, in range, and `rules` is their canonical text.
fn rules_of(published: &PublishedDraw) -> Result<DrawRules, Skip> {
    let rules = published.draw_rules().map_err(Skip::Failed)?;
    let canonical = rules.canonical();
    match &published.rules {
        Some(stated) if *stated == canonical => Ok(rules),
        Some(stated) => failed(format!(
            "rules differs: published {stated:?}, recomputed {canonical:?}"
        )),
        None => failed("rules is missing: a draw/v2 record states its canonical rules".to_owned()),
    }
}

fn commitment_check(
    published: &PublishedDraw,
    version: ProtocolVersion,
    server_seed: Option<[u8; 32]>,
    rules: Option<&DrawRules>,
) -> Outcome {
    let Some(server_seed) = server_seed else {
        return not_checked("the server seed is unreadable");
    };
    let (recomputed, opened_by) = match (version, rules) {
        (ProtocolVersion::V1, _) => (
            v1::commitment(&published.campaign_id, &server_seed),
            "serverSeed",
        ),
        (ProtocolVersion::V2, Some(rules)) => (
            v2::commitment(&published.campaign_id, rules, &server_seed),
            "serverSeed and rules",
        ),
        (ProtocolVersion::V2, None) => return not_checked("the draw rules are invalid"),
    };
    let recomputed = hex32(&recomputed);
    if published.commitment == recomputed {
        Ok(recomputed)
    } else {
        failed(format!(
            "commitment does not match {opened_by}: published {}, recomputed {recomputed}",
            published.commitment
        ))
    }
}
