//! The owner console: sign-in landing, campaign list, create and publish,
//! one campaign's overview, participants, store QR, end and draw, winners and
//! analytics. Owners sign in with the link `promo token --owner ID --login`
//! prints (it sets an HttpOnly cookie).
//!
//! URLs the templates link to (the handlers wiring these pages serve them):
//!
//! | URL | page / action |
//! |---|---|
//! | `GET /console` | [`CampaignsPage`]; signed out: 303 to `/console/login` |
//! | `GET /console/login?token=` | sets the session cookie, 303 to `/console`; without a token [`SignInPage`] |
//! | `POST /console/logout` | sign out |
//! | `GET /console/events/new`, `POST /console/events` | [`CreateDraftPage`] |
//! | `GET|POST /console/events/{id}/publish` | [`PublishPage`] |
//! | `GET /console/events/{id}` | [`CampaignPage`] |
//! | `GET /console/events/{id}/live.json` | `{"participants": n}` for the live count |
//! | `GET /console/events/{id}/participants` | [`ParticipantsPage`] (`channel`, `storeVisited`, `isWinner`, `q`, `page`) |
//! | `GET /console/events/{id}/participants/export` | CSV with the same filters; `?contacts=marketing` for leads |
//! | `GET /console/events/{id}/store-qr` | [`StoreQrPage`] |
//! | `GET|POST /console/events/{id}/end` | [`EndPage`] |
//! | `GET|POST /console/events/{id}/draw` | [`DrawPage`] |
//! | `GET /console/events/{id}/winners`, `POST .../winners/contacts` | [`WinnersPage`] (masked, or with contacts) |
//! | `POST /console/events/{id}/winners/{participantId}/claim`, `.../forfeit` (`reason`) | claim handling |
//! | `GET /console/events/{id}/analytics`, `POST .../costs` | [`AnalyticsPage`] |
//!
//! Every console form carries the `csrf` hidden field from its page's `csrf`.

use uuid::Uuid;

use super::view::CampaignState;

mod analytics;
mod campaign;
mod draw;
mod home;
mod participants;
mod setup;
mod winners;

pub use analytics::{
    fill_hours, AnalyticsPage, AnalyticsSummary, ChannelRow, CostsForm, HourRow, RoiBlock,
};
pub use campaign::{CampaignPage, PublishedInfo, StoreQrPage};
pub use draw::{DrawPage, DrawRecord, DrawRules, EndPage};
pub use home::{CampaignRow, CampaignsPage, SignInPage};
pub use participants::{ParticipantFilter, ParticipantRow, ParticipantsPage};
pub use setup::{CreateDraftPage, DraftForm, PublishForm, PublishPage};
pub use winners::{WinnerRow, WinnersPage};

/// The campaign a console sub-page is about: its heading and tab bar.
#[derive(Debug, Clone)]
pub struct CampaignHeader {
    pub event_id: Uuid,
    /// Empty for a draft that has no title yet.
    pub title: String,
    pub store_name: String,
    pub state: CampaignState,
}

/// One entry of the campaign tab bar.
#[derive(Debug, Clone)]
pub struct TabLink {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

impl CampaignHeader {
    /// `/console/events/{id}` plus `sub` (`""` for the overview).
    pub fn url(&self, sub: &str) -> String {
        if sub.is_empty() {
            format!("/console/events/{}", self.event_id)
        } else {
            format!("/console/events/{}/{sub}", self.event_id)
        }
    }

    pub fn display_title(&self) -> &str {
        if self.title.is_empty() {
            "제목 없는 초안"
        } else {
            &self.title
        }
    }

    /// The tab bar, `current` being the `sub` of the page showing it.
    pub fn tabs(&self, current: &str) -> Vec<TabLink> {
        let all: &[(&str, &'static str)] = if self.state == CampaignState::Draft {
            &[("", "개요"), ("publish", "게시하기")]
        } else {
            &[
                ("", "개요"),
                ("participants", "참여자"),
                ("store-qr", "QR"),
                ("draw", "추첨"),
                ("winners", "당첨자"),
                ("analytics", "분석"),
            ]
        };
        all.iter()
            .map(|&(sub, label)| TabLink {
                href: self.url(sub),
                label,
                current: sub == current,
            })
            .collect()
    }
}
