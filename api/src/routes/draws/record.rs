//! The public draw log record: the published draw record that `promo
//! verify` reads (docs/draw-protocol.md §9) plus the log fields. One shape,
//! built from the domain's `DrawRecord`.

use chrono::{DateTime, Utc};
use promo_domain::draw::DrawRecord;
use promo_domain::draw_protocol::PublishedDraw;
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

/// The public draw log record: exactly the published draw record of its
/// protocol version (every field `promo verify` reads, docs/draw-protocol.md
/// §9, in one shape: the domain's `PublishedDraw`), plus the log fields.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrawLogResponse {
    pub draw_id: Uuid,
    pub event_id: Uuid,
    /// protocolVersion, campaignId, algorithm, winnerCount, (v2: alternateCount,
    /// claimDays, rules), entrantCount, commitment (compare with the campaign's
    /// `seedCommitment`), serverSeed, listHash, seed, params, winners and
    /// alternates (pids, rank order).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub published: PublishedDraw,
    /// Same as `entrantCount` (SPEC's totalParticipants).
    pub total_participants: u64,
    pub bonus_applied: bool,
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
            total_participants: published.entrant_count,
            published,
            bonus_applied: record.bonus_applied,
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
            alternate_count: None,
            claim_days: None,
            rules: None,
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
