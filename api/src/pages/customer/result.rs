//! The published result: masked winners (the usual 당첨자 발표) and how
//! anyone can re-run the draw from its published inputs.

use askama::Template;
use chrono::{DateTime, Utc};

use super::EventInfo;
use crate::pages::format;
use crate::pages::view::ClaimStatus;

/// One row of `GET /api/v1/events/{id}/winners/public`, already masked.
#[derive(Debug, Clone)]
pub struct PublicWinner {
    pub rank: u32,
    /// Masked, e.g. `김**`.
    pub name: String,
    /// Masked, e.g. `010-****-1234`.
    pub phone_number: String,
    pub entry_number: String,
    pub claim_status: ClaimStatus,
}

/// What the page shows of a finished draw.
#[derive(Debug, Clone)]
pub struct PublicDraw {
    pub drawn_at: DateTime<Utc>,
    pub total_entrants: u64,
    /// WEIGHTED (store visits count 3) or RANDOM.
    pub weighted: bool,
    /// Published before entries opened; binds the rules and the server seed.
    pub seed_commitment: String,
    pub winners: Vec<PublicWinner>,
    /// Absolute URL of the draw record (`/api/v1/events/{id}/draw`): what
    /// `promo verify` takes.
    pub draw_url: String,
    /// Absolute URL of the frozen entrant list, when published separately.
    pub entrants_url: Option<String>,
}

/// `GET /e/{eventId}/result`. `draw` is `None` before the draw.
#[derive(Debug, Clone, Template)]
#[template(path = "customer/result.html")]
pub struct ResultPage {
    pub event: EventInfo,
    pub draw: Option<PublicDraw>,
}

impl PublicDraw {
    pub fn drawn(&self) -> String {
        format::datetime(self.drawn_at)
    }

    pub fn entrants(&self) -> String {
        format::people(self.total_entrants)
    }

    pub fn algorithm(&self) -> &'static str {
        if self.weighted {
            "가중 추첨 (매장 방문 응모권 3장)"
        } else {
            "균등 추첨 (1인 1장)"
        }
    }

    pub fn verify_command(&self) -> String {
        format!("promo verify {}", self.draw_url)
    }
}
