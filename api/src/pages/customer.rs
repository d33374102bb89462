//! The public pages a customer sees, phone first: the event page with its
//! entry form, the completion screen, "당첨 확인" and the published result.
//!
//! URLs (the handlers wiring these pages serve them):
//! - `GET /e/{eventId}` → [`EventPage`]; `POST /e/{eventId}` (form fields named as the
//!   API's: `name`, `phoneNumber`, `agreePrivacy`, `agreeMarketing`, `storeVisited`,
//!   `channel`, `storeVisitToken`) → 303 to `GET /e/{eventId}/done?…` (a signed receipt) →
//!   [`EntryCompletePage`], or [`EventPage`] again with the form kept and
//!   [`entry::entry_errors`] of the refusal.
//! - `GET /e/{eventId}/check`, `POST /e/{eventId}/check` (`phoneNumber`, `entryNumber`)
//!   → [`CheckPage`].
//! - `GET /e/{eventId}/result` → [`ResultPage`].
//!
//! Every form works without JavaScript: plain `method="post"` forms.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::format;

mod check;
mod entry;
mod result;

pub use check::{check_errors, CheckForm, CheckOutcome, CheckPage};
pub use entry::{entry_errors, EntryCompletePage, EntryForm, EventPage, EventPhase};
pub use result::{PublicDraw, PublicWinner, ResultPage};

/// What every customer page shows of the campaign.
#[derive(Debug, Clone)]
pub struct EventInfo {
    pub event_id: Uuid,
    pub store_name: String,
    pub title: String,
    pub prize: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub announcement_at: DateTime<Utc>,
    pub winner_count: u32,
    /// Published draw rule: store visitors get 3 entries instead of 1.
    pub visit_bonus: bool,
}

impl EventInfo {
    pub fn page_url(&self) -> String {
        format!("/e/{}", self.event_id)
    }

    pub fn check_url(&self) -> String {
        format!("/e/{}/check", self.event_id)
    }

    pub fn result_url(&self) -> String {
        format!("/e/{}/result", self.event_id)
    }

    pub fn period(&self) -> String {
        format::period(self.starts_at, self.ends_at)
    }

    pub fn starts(&self) -> String {
        format::datetime(self.starts_at)
    }

    pub fn ends(&self) -> String {
        format::datetime(self.ends_at)
    }

    pub fn announcement(&self) -> String {
        format::datetime(self.announcement_at)
    }

    pub fn winners(&self) -> String {
        format::people(self.winner_count.into())
    }
}
