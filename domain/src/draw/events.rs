//! The draw's events: `WinnersDrawn` (the published record), then the prize
//! delivery events of [`super::claims`]. `event_type()` never changes; a
//! changed shape bumps `event_version()` and gets an upcaster.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::claims::events::{AlternatePromoted, PrizeClaimed, PrizeForfeited, PrizeUnawarded};
use crate::draw_protocol::{Algorithm, PublishedDraw};

/// A ranked entrant of the draw. Pseudonymous: no name, no phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawnEntrant {
    /// 1-based position in the draw's full ordering (alternates continue
    /// after the winners: with 3 winners the first alternate is rank 4).
    pub rank: u32,
    pub participant_id: Uuid,
    /// Pseudonymous id, lowercase hex, as in the canonical list.
    pub pid: String,
    pub entry_number: String,
}

/// The recorded draw: the published record of its protocol version (see
/// `docs/draw-protocol.md` §9) plus who drew, when, and whom the ranks name.
///
/// `draw/v2` records add `alternateCount`, `claimDays` and `rules`; records
/// written before draw/v2 have none of them and read back with `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawRecord {
    pub draw_id: Uuid,
    pub campaign_id: Uuid,
    /// `draw/v1` or `draw/v2`.
    pub protocol_version: String,
    pub algorithm: Algorithm,
    /// The store-visit bonus was applied (WEIGHTED).
    pub bonus_applied: bool,
    pub winner_count: u32,
    /// `draw/v2`: alternates ranked after the winners, fixed at publication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_count: Option<u32>,
    /// `draw/v2`: days after the announcement a winner has to claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_days: Option<u32>,
    /// `draw/v2`: the canonical rules text bound into the commitment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
    pub entrant_count: u64,
    /// Hex SHA-256 commitment to the server seed, as published with the campaign.
    pub commitment: String,
    /// The revealed server seed, hex.
    pub server_seed: String,
    /// Hex SHA-256 of the canonical entrant list text.
    pub list_hash: String,
    /// Hex ChaCha20 seed derived from server seed, list hash and params.
    pub seed: String,
    /// The canonical params string hashed into the seed.
    pub params: String,
    /// Ranks 1..=winner_count.
    pub winners: Vec<DrawnEntrant>,
    /// The alternates in substitution order: `draw/v2` exactly the ones its
    /// rules rank; `draw/v1` a prefix of the full ordering (see
    /// [`super::alternates_kept`]).
    pub alternates: Vec<DrawnEntrant>,
    pub drawn_at: DateTime<Utc>,
    /// Owner id of whoever ran the draw.
    pub drawn_by: String,
}

impl DrawRecord {
    /// The record in the published form that `verify` checks.
    pub fn published(&self) -> PublishedDraw {
        PublishedDraw {
            protocol_version: self.protocol_version.clone(),
            campaign_id: self.campaign_id,
            algorithm: self.algorithm,
            winner_count: self.winner_count,
            alternate_count: self.alternate_count,
            claim_days: self.claim_days,
            rules: self.rules.clone(),
            entrant_count: self.entrant_count,
            commitment: self.commitment.clone(),
            server_seed: self.server_seed.clone(),
            list_hash: self.list_hash.clone(),
            seed: self.seed.clone(),
            params: self.params.clone(),
            winners: self.winners.iter().map(|w| w.pid.clone()).collect(),
            alternates: self.alternates.iter().map(|a| a.pid.clone()).collect(),
            list_text: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DrawEvent {
    /// SPEC's draw log and winners (추첨 로그, 당첨자 정보): the draw happened, once.
    WinnersDrawn(Box<DrawRecord>),
    PrizeClaimed(PrizeClaimed),
    PrizeForfeited(PrizeForfeited),
    AlternatePromoted(AlternatePromoted),
    PrizeUnawarded(PrizeUnawarded),
}

impl DomainEvent for DrawEvent {
    fn event_type(&self) -> String {
        match self {
            DrawEvent::WinnersDrawn(_) => "WinnersDrawn",
            DrawEvent::PrizeClaimed(_) => "PrizeClaimed",
            DrawEvent::PrizeForfeited(_) => "PrizeForfeited",
            DrawEvent::AlternatePromoted(_) => "AlternatePromoted",
            DrawEvent::PrizeUnawarded(_) => "PrizeUnawarded",
        }
        .to_string()
    }

    /// "2" for a `draw/v2` record (it carries the rules), "1" for the shape
    /// written before; both decode into [`DrawRecord`], the v1 shape with the
    /// v2 fields absent, so no upcaster is needed. The prize delivery events
    /// are at version 1.
    fn event_version(&self) -> String {
        match self {
            DrawEvent::WinnersDrawn(record) if record.rules.is_some() => "2",
            _ => "1",
        }
        .to_string()
    }
}
