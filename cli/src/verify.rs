//! `promo verify <file-or-URL>`: re-runs a published draw from its inputs and
//! says whether every published value is reproduced.
//!
//! The record is the published record of `draw/v1` or `draw/v2`
//! (docs/draw-protocol.md §9), for example the JSON of
//! `GET /api/v1/events/{id}/draw`, read from a file, from standard input
//! (`-`) or over HTTP. The entrant list comes from, in order of preference:
//! `--entrants <file>`; the record's embedded `listText`; or, when the record
//! was fetched over HTTP, its `entrantListUrl` (resolved against the record's
//! URL; `<url>/entrants` if absent). The record's commitment must equal the
//! one the campaign published before entries opened: `--commitment <hex>`,
//! or, when the record was fetched over HTTP, the `seedCommitment` of
//! `GET /api/v1/events/{campaignId}` on the same server.
//!
//! Prints one line per check (`ok`, `FAILED`, or `skipped` when its input is
//! missing), then `MATCH` (exit 0) or `MISMATCH: <first difference>` (exit
//! 1); a record, list or campaign that cannot be read at all is an error
//! (exit 2).

use std::path::{Path, PathBuf};
use std::time::Duration;

use promo_domain::draw_protocol::{
    check_text, CheckStatus, DrawChecks, PublishedDraw, Verification,
};

/// The command line arguments of `promo verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyArgs {
    /// Path, `-` for standard input, or an `http://` URL of the draw record.
    pub source: String,
    /// Canonical entrant list text to verify against.
    pub entrants: Option<PathBuf>,
    /// The seed commitment published before the draw, hex.
    pub commitment: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("fetching {url}: {reason}")]
    Fetch { url: String, reason: String },
    #[error("the draw record is not a draw/v1 or draw/v2 record: {0}")]
    Record(serde_json::Error),
    #[error(
        "the draw record embeds no listText: pass --entrants <file>, or verify from the draw's URL"
    )]
    NoEntrantList,
}

/// Runs the command and prints each check and the verdict; returns the exit code.
pub async fn main(args: VerifyArgs) -> u8 {
    match run_checks(&args).await {
        Ok(checks) => {
            for line in check_lines(&checks) {
                println!("{line}");
            }
            let verdict = checks.verification();
            println!("{}", verdict_line(&verdict));
            if verdict.is_match() {
                0
            } else {
                1
            }
        }
        Err(error) => {
            eprintln!("promo verify: {error}");
            2
        }
    }
}

/// `MATCH` or `MISMATCH: <first difference>`.
pub fn verdict_line(verdict: &Verification) -> String {
    match verdict {
        Verification::Match => "MATCH".to_string(),
        Verification::Mismatch { first_difference } => format!("MISMATCH: {first_difference}"),
    }
}

/// One line per check: `ok`, `FAILED` or `skipped`, its name, and what was
/// compared or what differs.
pub fn check_lines(checks: &DrawChecks) -> Vec<String> {
    checks
        .checks
        .iter()
        .map(|c| {
            let mark = match c.status {
                CheckStatus::Passed => "ok     ",
                CheckStatus::Failed => "FAILED ",
                CheckStatus::NotChecked => "skipped",
            };
            if c.detail.is_empty() {
                format!("{mark} {}", c.label)
            } else {
                format!("{mark} {}: {}", c.label, c.detail)
            }
        })
        .collect()
}

/// Reads the record and the entrant list as [`VerifyArgs`] says and verifies.
pub async fn run(args: &VerifyArgs) -> Result<Verification, VerifyError> {
    run_checks(args).await.map(|checks| checks.verification())
}

/// Reads the record, the entrant list and the published commitment as
/// [`VerifyArgs`] says and runs every check.
pub async fn run_checks(args: &VerifyArgs) -> Result<DrawChecks, VerifyError> {
    let url = is_url(&args.source);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("promo-verify/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| VerifyError::Fetch {
            url: args.source.clone(),
            reason: e.to_string(),
        })?;
    let document = if url {
        fetch_text(&client, &args.source).await?
    } else {
        read_text(Path::new(&args.source))?
    };
    let record = parse_record(&document)?;
    let list_text = match (&args.entrants, &record.list_text) {
        (Some(path), _) => read_text(path)?,
        (None, Some(text)) => text.clone(),
        (None, None) if url => {
            let list_url = entrant_list_url(&args.source, &document)?;
            fetch_text(&client, &list_url).await?
        }
        (None, None) => return Err(VerifyError::NoEntrantList),
    };
    let commitment = match (&args.commitment, url) {
        (Some(given), _) => Some(given.clone()),
        (None, true) => Some(fetch_seed_commitment(&client, &args.source, &record).await?),
        (None, false) => None,
    };
    Ok(check_text(&record, &list_text, commitment.as_deref()))
}

/// The `seedCommitment` the campaign published, from
/// `GET /api/v1/events/{campaignId}` on the server the record came from.
async fn fetch_seed_commitment(
    client: &reqwest::Client,
    record_url: &str,
    record: &PublishedDraw,
) -> Result<String, VerifyError> {
    let campaign_url = reqwest::Url::parse(record_url)
        .and_then(|base| base.join(&format!("/api/v1/events/{}", record.campaign_id)))
        .map_err(|e| VerifyError::Fetch {
            url: record_url.to_string(),
            reason: e.to_string(),
        })?;
    let body = fetch_text(client, campaign_url.as_str()).await?;
    serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|campaign| campaign.get("seedCommitment")?.as_str().map(str::to_string))
        .ok_or_else(|| VerifyError::Fetch {
            url: campaign_url.to_string(),
            reason: "the campaign names no seedCommitment".to_string(),
        })
}

/// Verifies a record (JSON text) against `list_text`, or against its embedded
/// `listText` when `list_text` is `None`.
pub fn verify_document(
    document: &str,
    list_text: Option<&str>,
    expected_commitment: Option<&str>,
) -> Result<Verification, VerifyError> {
    let record = parse_record(document)?;
    let Some(text) = list_text.or(record.list_text.as_deref()) else {
        return Err(VerifyError::NoEntrantList);
    };
    Ok(check_text(&record, text, expected_commitment).verification())
}

fn parse_record(document: &str) -> Result<PublishedDraw, VerifyError> {
    serde_json::from_str(document).map_err(VerifyError::Record)
}

fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// The record's `entrantListUrl` resolved against `record_url`, or
/// `<record_url>/entrants` when the record names none.
pub fn entrant_list_url(record_url: &str, document: &str) -> Result<String, VerifyError> {
    let invalid = |reason: String| VerifyError::Fetch {
        url: record_url.to_string(),
        reason,
    };
    let base = reqwest::Url::parse(record_url).map_err(|e| invalid(e.to_string()))?;
    let named = serde_json::from_str::<serde_json::Value>(document)
        .ok()
        .and_then(|v| v.get("entrantListUrl")?.as_str().map(str::to_string));
    let resolved = match named {
        Some(link) => base.join(&link),
        None => {
            let mut path = base.clone();
            path.set_path(&format!("{}/entrants", base.path().trim_end_matches('/')));
            Ok(path)
        }
    };
    resolved
        .map(String::from)
        .map_err(|e| invalid(e.to_string()))
}

fn read_text(path: &Path) -> Result<String, VerifyError> {
    let read = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    };
    read.map_err(|source| VerifyError::Read {
        path: path.display().to_string(),
        source,
    })
}

async fn fetch_text(client: &reqwest::Client, url: &str) -> Result<String, VerifyError> {
    let failed = |reason: String| VerifyError::Fetch {
        url: url.to_string(),
        reason,
    };
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| failed(e.to_string()))?;
    if !status.is_success() {
        let detail: String = body.chars().take(200).collect();
        return Err(failed(format!("HTTP {status}: {detail}")));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use promo_domain::draw_protocol::{publish, Algorithm, CanonicalList, DrawParams, Entrant};
    use uuid::Uuid;

    fn draw() -> (CanonicalList, PublishedDraw) {
        let list = CanonicalList::new(
            (1..=12u8)
                .map(|b| Entrant {
                    pid: [b; 32],
                    weight: u32::from(b % 3 + 1),
                })
                .collect(),
        )
        .unwrap();
        let params = DrawParams {
            campaign_id: Uuid::from_u128(42),
            algorithm: Algorithm::Weighted,
            winner_count: 3,
        };
        let (_, published) = publish(&[9; 32], &list, &params).unwrap();
        (list, published.with_alternates_limit(4))
    }

    #[test]
    fn an_honest_record_matches_with_a_separate_or_embedded_list() {
        let (list, record) = draw();
        let json = serde_json::to_string(&record).unwrap();
        let verdict = verify_document(&json, Some(&list.text()), None).unwrap();
        assert_eq!(verdict_line(&verdict), "MATCH");
        let embedded = serde_json::to_string(&record.clone().with_list_text(&list)).unwrap();
        assert!(verify_document(&embedded, None, None).unwrap().is_match());
        let commitment = record.commitment.clone();
        assert!(
            verify_document(&json, Some(&list.text()), Some(&commitment))
                .unwrap()
                .is_match()
        );
    }

    #[test]
    fn tampering_is_reported_as_the_first_difference() {
        let (list, record) = draw();
        let json = serde_json::to_string(&record).unwrap();

        let text = list.text();
        let shorter: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
        let verdict = verify_document(&json, Some(&shorter), None).unwrap();
        assert!(
            verdict_line(&verdict).starts_with("MISMATCH: entrantCount differs"),
            "{verdict:?}"
        );

        let reweighted = text.replacen(",1\n", ",2\n", 1);
        let verdict = verify_document(&json, Some(&reweighted), None).unwrap();
        assert!(
            verdict_line(&verdict).starts_with("MISMATCH: listHash differs"),
            "{verdict:?}"
        );

        let verdict = verify_document(&json, Some("not a list\n"), None).unwrap();
        assert!(verdict_line(&verdict)
            .starts_with("MISMATCH: the entrant list is not a canonical draw/v1 list"));

        let mut other_seed = record.clone();
        other_seed.server_seed = "00".repeat(32);
        let json2 = serde_json::to_string(&other_seed).unwrap();
        let verdict = verify_document(&json2, Some(&text), None).unwrap();
        assert!(
            verdict_line(&verdict).starts_with("MISMATCH: commitment does not match serverSeed")
        );

        let verdict = verify_document(&json, Some(&text), Some(&"ab".repeat(32))).unwrap();
        assert!(verdict_line(&verdict)
            .starts_with("MISMATCH: commitment differs from the one published"));
    }

    #[test]
    fn unreadable_inputs_are_errors_not_verdicts() {
        assert!(matches!(
            verify_document("{", Some(""), None),
            Err(VerifyError::Record(_))
        ));
        let (_, record) = draw();
        let json = serde_json::to_string(&record).unwrap();
        assert!(matches!(
            verify_document(&json, None, None),
            Err(VerifyError::NoEntrantList)
        ));
    }

    #[test]
    fn the_entrant_list_url_is_resolved_against_the_record_url() {
        let record_url = "http://127.0.0.1:8080/api/v1/events/abc/draw";
        assert_eq!(
            entrant_list_url(
                record_url,
                r#"{"entrantListUrl": "/api/v1/events/abc/draw/entrants"}"#
            )
            .unwrap(),
            "http://127.0.0.1:8080/api/v1/events/abc/draw/entrants"
        );
        assert_eq!(
            entrant_list_url(&format!("{record_url}/"), "{}").unwrap(),
            "http://127.0.0.1:8080/api/v1/events/abc/draw/entrants"
        );
        assert_eq!(
            entrant_list_url(
                record_url,
                r#"{"entrantListUrl": "https://mirror.example/list.txt"}"#
            )
            .unwrap(),
            "https://mirror.example/list.txt"
        );
    }
}
