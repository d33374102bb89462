//! Ending a campaign and drawing its winners: confirmation forms, and after
//! the draw its verification record (what anyone needs to re-run it).

use askama::Template;
use chrono::{DateTime, Utc};

use super::CampaignHeader;
use crate::pages::format;
use crate::pages::view::{CampaignState, FormErrors};

/// `GET /console/events/{id}/end`: confirm ending entries now.
#[derive(Debug, Clone, Template)]
#[template(path = "console/end.html")]
pub struct EndPage {
    pub csrf: String,
    pub campaign: CampaignHeader,
    pub ends_at: DateTime<Utc>,
    pub participants: u64,
    pub errors: FormErrors,
}

impl EndPage {
    pub fn ends(&self) -> String {
        format::datetime(self.ends_at)
    }

    pub fn participants(&self) -> String {
        format::people(self.participants)
    }
}

/// The draw rules fixed at publish.
#[derive(Debug, Clone)]
pub struct DrawRules {
    pub winner_count: u32,
    pub visit_bonus: bool,
    pub alternate_count: u32,
    pub claim_days: u32,
}

impl DrawRules {
    pub fn algorithm(&self) -> &'static str {
        if self.visit_bonus {
            "가중 추첨: 매장 방문자는 응모권 3장"
        } else {
            "균등 추첨: 모두 응모권 1장"
        }
    }
}

/// The draw log record (`GET /api/v1/events/{id}/draw`).
#[derive(Debug, Clone)]
pub struct DrawRecord {
    pub drawn_at: DateTime<Utc>,
    /// `RANDOM` or `WEIGHTED`.
    pub algorithm: String,
    /// e.g. `draw/v2`.
    pub protocol_version: String,
    pub total_entrants: u64,
    pub seed_commitment: String,
    pub server_seed: String,
    pub entrant_list_hash: String,
    pub seed: String,
    /// Absolute URL of the record, for `promo verify`.
    pub draw_url: String,
    pub entrants_url: Option<String>,
    pub result_url: String,
}

impl DrawRecord {
    pub fn drawn(&self) -> String {
        format::datetime(self.drawn_at)
    }

    pub fn entrants(&self) -> String {
        format::people(self.total_entrants)
    }

    pub fn verify_command(&self) -> String {
        format!("promo verify {}", self.draw_url)
    }
}

/// `GET /console/events/{id}/draw`: before the end a pointer to ending, then the
/// confirmation form, after the draw the record.
#[derive(Debug, Clone, Template)]
#[template(path = "console/draw.html")]
pub struct DrawPage {
    pub csrf: String,
    pub campaign: CampaignHeader,
    pub participants: u64,
    pub rules: DrawRules,
    pub record: Option<DrawRecord>,
    pub errors: FormErrors,
}

impl DrawPage {
    pub fn participants(&self) -> String {
        format::people(self.participants)
    }

    /// Entries still open: the draw waits (`DRAW_NOT_ALLOWED` otherwise).
    pub fn still_open(&self) -> bool {
        matches!(
            self.campaign.state,
            CampaignState::Active | CampaignState::Scheduled
        )
    }

    /// Fewer entrants than winners: the draw would be refused (`PART_007`).
    pub fn too_few(&self) -> bool {
        self.participants < u64::from(self.rules.winner_count)
    }

    pub fn winners(&self) -> String {
        format::people(self.rules.winner_count.into())
    }

    pub fn alternates(&self) -> String {
        format::people(self.rules.alternate_count.into())
    }
}
