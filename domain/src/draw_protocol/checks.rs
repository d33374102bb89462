//! Verification as a list of named checks: what `promo verify` prints, one line per check.
//!
//! [`check`] takes the published draw record, the entrant list and the campaign's separately
//! published `seedCommitment`, recomputes every derived value from the raw inputs, and says
//! for each comparison whether it held. It picks the protocol version from the record, so
//! `draw/v1` and `draw/v2` records go through the same path. A check whose inputs are broken
//! by an earlier failure is reported as not checked rather than guessed at.

use sha2::{Digest, Sha256};

use super::{hex32, parse_hex32, v1, v2, CanonicalList, DrawRules, ProtocolVersion, PublishedDraw};

mod order;
mod report;

use order::order_check;
use report::{failed, not_checked, Outcome, Skip};
pub use report::{Check, CheckName, CheckStatus, DrawChecks};

/// [`check`] against an entrant list given as text (a file, a download, the record's
/// `listText`), adding whether that text is the canonical list: a text that is not (unsorted,
/// uppercase, a missing final LF, …) is refused, not normalised, and nothing that depends on
/// the list is checked.
pub fn check_text(
    published: &PublishedDraw,
    list_text: &str,
    seed_commitment: Option<&str>,
) -> DrawChecks {
    match CanonicalList::parse_text(list_text) {
        Ok(list) => {
            let mut out = check(published, &list, seed_commitment);
            let at = out
                .checks
                .iter()
                .position(|c| c.name == CheckName::EntrantCount)
                .unwrap_or(out.checks.len());
            let note = format!("{} lines", list.len());
            out.insert(at, CheckName::ListFormat, Ok(note));
            out
        }
        Err(e) => {
            let mut out = head(published, seed_commitment);
            out.push(
                CheckName::ListFormat,
                failed(format!(
                    "the entrant list is not a canonical draw/v1 list (the list format of both \
                     versions): {e}"
                )),
            );
            out
        }
    }
}

/// The checks every record starts with: its version, and its commitment against the one the
/// campaign published.
fn head(published: &PublishedDraw, seed_commitment: Option<&str>) -> DrawChecks {
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
                "commitment differs from the one published before the draw (the campaign's \
                 seedCommitment): record {}, published {expected}",
                published.commitment
            )),
        },
    );
    out
}

/// Verifies `published` against `list` and, when given, against the campaign's published
/// `seed_commitment` (compared as exact lowercase hex strings).
pub fn check(
    published: &PublishedDraw,
    list: &CanonicalList,
    seed_commitment: Option<&str>,
) -> DrawChecks {
    let mut out = head(published, seed_commitment);
    let Some(version) = out.protocol else {
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
