//! The winners: masked by default, full contacts on an audited POST, prize
//! claims (claim / forfeit with a reason), notification state per winner, and
//! ranks left without a winner once alternates ran out.

use askama::Template;
use chrono::{DateTime, Utc};

use super::CampaignHeader;
use crate::pages::format;
use crate::pages::view::{Banner, ClaimStatus, NotificationStatus};

/// One current winner (promoted alternates included).
#[derive(Debug, Clone)]
pub struct WinnerRow {
    pub rank: u32,
    pub participant_id: String,
    pub entry_number: String,
    /// Masked (`김**`), or the full name when the page shows contacts.
    pub name: String,
    /// Masked (`010-****-1234`), or the full number when the page shows contacts.
    pub phone_number: String,
    pub claim_status: ClaimStatus,
    pub notification: NotificationStatus,
    /// An alternate who took a forfeited rank.
    pub promoted: bool,
}

/// `GET /console/events/{id}/winners`, and the answer to `POST .../winners/contacts`.
#[derive(Debug, Clone, Template)]
#[template(path = "console/winners.html")]
pub struct WinnersPage {
    pub csrf: String,
    pub campaign: CampaignHeader,
    /// `false` before the draw: the page says so and links to the draw.
    pub drawn: bool,
    /// `announcementAt` + `claimDays`: pending winners after this are forfeited.
    pub claim_deadline: Option<DateTime<Utc>>,
    pub winners: Vec<WinnerRow>,
    /// Ranks whose prize goes unawarded: forfeited with no alternate left.
    pub unawarded_ranks: Vec<u32>,
    /// Rows carry full names and numbers (the access was recorded).
    pub contacts_shown: bool,
    /// Personal data was erased (`PII_ERASED`): contacts can no longer be shown.
    pub pii_erased: bool,
    /// After an action, e.g. "2등이 대체 당첨자로 바뀌었어요".
    pub notice: Option<Banner>,
}

impl WinnersPage {
    pub fn deadline(&self) -> String {
        self.claim_deadline
            .map(format::datetime)
            .unwrap_or_default()
    }

    pub fn action_url(&self, row: &WinnerRow, action: &str) -> String {
        self.campaign
            .url(&format!("winners/{}/{action}", row.participant_id))
    }

    pub fn claimed_count(&self) -> usize {
        self.winners
            .iter()
            .filter(|w| w.claim_status == ClaimStatus::Claimed)
            .count()
    }
}
