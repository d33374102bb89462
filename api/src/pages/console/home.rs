//! The console's front door: the signed-out landing and the owner's campaign list.

use askama::Template;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::pages::format;
use crate::pages::view::CampaignState;

/// `GET /console` without a valid session: how to sign in.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "console/sign_in.html")]
pub struct SignInPage {
    /// Just signed out: say so.
    pub signed_out: bool,
    /// The login link was refused (expired or invalid): say why, in Korean.
    pub error: Option<String>,
}

/// One campaign in the list (`GET /api/v1/events`).
#[derive(Debug, Clone)]
pub struct CampaignRow {
    pub event_id: Uuid,
    /// Empty for a draft.
    pub title: String,
    pub store_name: String,
    pub state: CampaignState,
    /// `None` for a draft.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub participants: u64,
}

impl CampaignRow {
    pub fn url(&self) -> String {
        format!("/console/events/{}", self.event_id)
    }

    pub fn display_title(&self) -> &str {
        if self.title.is_empty() {
            "제목 없는 초안"
        } else {
            &self.title
        }
    }

    pub fn period(&self) -> String {
        match (self.starts_at, self.ends_at) {
            (Some(s), Some(e)) => format!(
                "{} ~ {}",
                format::short_datetime(s),
                format::short_datetime(e)
            ),
            _ => "게시 전".to_string(),
        }
    }

    pub fn participants(&self) -> String {
        format::people(self.participants)
    }
}

/// `GET /console`: the owner's campaigns, newest first.
#[derive(Debug, Clone, Template)]
#[template(path = "console/campaigns.html")]
pub struct CampaignsPage {
    pub csrf: String,
    pub campaigns: Vec<CampaignRow>,
    pub total_count: u64,
    /// 1-based.
    pub page: u32,
    pub size: u32,
}

impl CampaignsPage {
    pub fn has_next(&self) -> bool {
        u64::from(self.page) * u64::from(self.size) < self.total_count
    }

    pub fn next_url(&self) -> String {
        format!("/console?page={}", self.page + 1)
    }

    pub fn prev_url(&self) -> String {
        format!("/console?page={}", self.page.saturating_sub(1).max(1))
    }

    pub fn total(&self) -> String {
        format::count(self.total_count, "개")
    }
}
