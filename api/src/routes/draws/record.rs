//! The public draw log record: the published draw record that `promo
//! verify` reads (docs/draw-protocol.md §9) plus the log fields. One shape,
//! built from the domain's `DrawRecord`.

use chrono::{DateTime, Utc};
use promo_domain::draw::DrawRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::entrant_list_path;

/// A winner as published: rank, entry number (the entrant's own receipt)
/// and pseudonymous id. No name, phone or internal id.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublishedWinner {
    pub rank: u32,
    pub entry_number: String,
    pub pid: String,
}

/// The public draw log record: the `draw/v1` published record (every field
/// `promo verify` reads, see docs/draw-protocol.md §9) plus the log fields.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrawLogResponse {
    pub draw_id: Uuid,
    pub event_id: Uuid,
    /// `draw/v1`.
    pub protocol_version: String,
    pub campaign_id: Uuid,
    /// RANDOM or WEIGHTED.
    pub algorithm: String,
    pub winner_count: u32,
    /// Entrants in the frozen list (`n`).
    pub entrant_count: u64,
    /// Same as `entrantCount` (SPEC's totalParticipants).
    pub total_participants: u64,
    pub bonus_applied: bool,
    /// SHA-256 commitment to the server seed; compare with the campaign's `seedCommitment`.
    pub commitment: String,
    pub server_seed: String,
    pub list_hash: String,
    pub seed: String,
    pub params: String,
    /// Winner pids, rank 1 first.
    pub winners: Vec<String>,
    /// The first alternates' pids, in substitution order.
    pub alternates: Vec<String>,
    /// The winners with their entry numbers, rank 1 first.
    pub winner_entries: Vec<PublishedWinner>,
    pub drawn_at: DateTime<Utc>,
    /// Owner id of whoever ran the draw.
    pub drawn_by: String,
    /// The canonical entrant list text whose SHA-256 is `listHash`.
    pub entrant_list_url: String,
}

impl From<&DrawRecord> for DrawLogResponse {
    fn from(record: &DrawRecord) -> Self {
        let published = record.published();
        Self {
            draw_id: record.draw_id,
            event_id: record.campaign_id,
            protocol_version: published.protocol_version,
            campaign_id: published.campaign_id,
            algorithm: published.algorithm.as_str().to_string(),
            winner_count: published.winner_count,
            entrant_count: published.entrant_count,
            total_participants: published.entrant_count,
            bonus_applied: record.bonus_applied,
            commitment: published.commitment,
            server_seed: published.server_seed,
            list_hash: published.list_hash,
            seed: published.seed,
            params: published.params,
            winners: published.winners,
            alternates: published.alternates,
            winner_entries: record
                .winners
                .iter()
                .map(|w| PublishedWinner {
                    rank: w.rank,
                    entry_number: w.entry_number.clone(),
                    pid: w.pid.clone(),
                })
                .collect(),
            drawn_at: record.drawn_at,
            drawn_by: record.drawn_by.clone(),
            entrant_list_url: entrant_list_path(record.campaign_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promo_domain::draw::DrawnEntrant;
    use promo_domain::draw_protocol::{hex32, Algorithm, PublishedDraw};

    fn record() -> DrawRecord {
        let pid = |b: u8| hex32(&[b; 32]);
        let entrant = |rank: u32, b: u8| DrawnEntrant {
            rank,
            participant_id: Uuid::from_u128(u128::from(b)),
            pid: pid(b),
            entry_number: format!("EVT-20251020-00{b}"),
        };
        DrawRecord {
            draw_id: Uuid::from_u128(1),
            campaign_id: Uuid::from_u128(42),
            protocol_version: "draw/v1".into(),
            algorithm: Algorithm::Weighted,
            bonus_applied: true,
            winner_count: 2,
            entrant_count: 4,
            commitment: "c".repeat(64),
            server_seed: "s".repeat(64),
            list_hash: "h".repeat(64),
            seed: "d".repeat(64),
            params: "draw/v1;campaign=...".into(),
            winners: vec![entrant(1, 3), entrant(2, 1)],
            alternates: vec![entrant(3, 4)],
            drawn_at: Utc::now(),
            drawn_by: "owner".into(),
        }
    }

    #[test]
    fn the_openapi_document_lists_the_draw_endpoints() {
        use utoipa::OpenApi;
        let doc = crate::openapi::ApiDoc::openapi();
        for path in [
            "/api/v1/events/{eventId}/draw-winners",
            "/api/v1/events/{eventId}/winners",
            "/api/v1/events/{eventId}/draw",
            "/api/v1/events/{eventId}/draw/entrants",
        ] {
            assert!(doc.paths.paths.contains_key(path), "{path} missing");
        }
    }

    #[test]
    fn the_public_draw_log_reads_as_the_published_draw_v1_record() {
        let record = record();
        let json = serde_json::to_value(DrawLogResponse::from(&record)).unwrap();
        let published: PublishedDraw = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(published, record.published());
        assert_eq!(json["totalParticipants"], 4);
        assert_eq!(json["winnerEntries"][0]["entryNumber"], "EVT-20251020-003");
        assert_eq!(
            json["entrantListUrl"],
            "/api/v1/events/00000000-0000-0000-0000-00000000002a/draw/entrants"
        );
        assert!(json.get("listText").is_none());
        assert!(
            !json.to_string().contains("participantId"),
            "no internal ids in public: {json}"
        );
    }
}
