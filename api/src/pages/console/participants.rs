//! The participant list: filters, paging, masked rows, and the CSV and
//! marketing-leads downloads (which keep the filters).

use askama::Template;
use chrono::{DateTime, Utc};
use promo_domain::channel::Channel;
use serde::Deserialize;

use super::CampaignHeader;
use crate::pages::format;
use crate::pages::view::channel_label;

/// The list's query string, as typed: selects send `""` for "전체".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ParticipantFilter {
    pub channel: String,
    /// `""`, `"true"` or `"false"`.
    pub store_visited: String,
    /// `""`, `"true"` or `"false"`.
    pub is_winner: String,
    pub q: String,
}

impl ParticipantFilter {
    pub fn channel(&self) -> Option<Channel> {
        Channel::parse(&self.channel)
    }

    pub fn store_visited(&self) -> Option<bool> {
        parse_bool(&self.store_visited)
    }

    pub fn is_winner(&self) -> Option<bool> {
        parse_bool(&self.is_winner)
    }

    pub fn is_empty(&self) -> bool {
        self.channel().is_none()
            && self.store_visited().is_none()
            && self.is_winner().is_none()
            && self.q.trim().is_empty()
    }

    /// The filters as a query string (`channel=…&q=…`), only those set,
    /// percent-encoded, so downloads and page links keep them.
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = self.channel() {
            parts.push(format!("channel={}", c.as_str()));
        }
        if let Some(v) = self.store_visited() {
            parts.push(format!("storeVisited={v}"));
        }
        if let Some(v) = self.is_winner() {
            parts.push(format!("isWinner={v}"));
        }
        if !self.q.trim().is_empty() {
            parts.push(format!("q={}", encode(self.q.trim())));
        }
        parts.join("&")
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One masked participant row.
#[derive(Debug, Clone)]
pub struct ParticipantRow {
    pub entry_number: String,
    /// Masked, e.g. `김**`.
    pub name: String,
    /// Masked, e.g. `010-****-1234`.
    pub phone_number: String,
    pub channel: Channel,
    pub store_visited: bool,
    pub bonus_entries: u32,
    pub participated_at: DateTime<Utc>,
    pub winner_rank: Option<u32>,
}

impl ParticipantRow {
    pub fn channel_label(&self) -> &'static str {
        channel_label(self.channel)
    }

    pub fn at(&self) -> String {
        format::short_datetime(self.participated_at)
    }
}

/// One choice of a filter select.
#[derive(Debug, Clone)]
pub struct SelectOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// `GET /console/events/{id}/participants`.
#[derive(Debug, Clone, Template)]
#[template(path = "console/participants.html")]
pub struct ParticipantsPage {
    pub csrf: String,
    pub campaign: CampaignHeader,
    pub filter: ParticipantFilter,
    pub rows: Vec<ParticipantRow>,
    pub total_count: u64,
    /// 1-based.
    pub page: u32,
    pub size: u32,
}

impl ParticipantsPage {
    pub fn total(&self) -> String {
        format::people(self.total_count)
    }

    pub fn last_page(&self) -> u32 {
        let pages = self.total_count.div_ceil(u64::from(self.size.max(1)));
        u32::try_from(pages).unwrap_or(u32::MAX).max(1)
    }

    fn with_query(&self, base: String, extra: &str) -> String {
        let q = [self.filter.query(), extra.to_string()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        if q.is_empty() {
            base
        } else {
            format!("{base}?{q}")
        }
    }

    pub fn page_url(&self, page: u32) -> String {
        self.with_query(self.campaign.url("participants"), &format!("page={page}"))
    }

    pub fn csv_url(&self) -> String {
        self.with_query(self.campaign.url("participants/export"), "")
    }

    pub fn marketing_url(&self) -> String {
        format!(
            "{}?contacts=marketing",
            self.campaign.url("participants/export")
        )
    }

    pub fn channel_options(&self) -> Vec<SelectOption> {
        let current = self.filter.channel();
        Channel::ALL
            .iter()
            .map(|&c| SelectOption {
                value: c.as_str(),
                label: channel_label(c),
                selected: current == Some(c),
            })
            .collect()
    }

    pub fn yes_no(
        &self,
        current: Option<bool>,
        yes: &'static str,
        no: &'static str,
    ) -> Vec<SelectOption> {
        vec![
            SelectOption {
                value: "true",
                label: yes,
                selected: current == Some(true),
            },
            SelectOption {
                value: "false",
                label: no,
                selected: current == Some(false),
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_survive_into_links() {
        let filter = ParticipantFilter {
            channel: "KAKAO".into(),
            store_visited: "true".into(),
            is_winner: "".into(),
            q: "김 1234&x".into(),
        };
        assert_eq!(
            filter.query(),
            "channel=KAKAO&storeVisited=true&q=%EA%B9%80%201234%26x"
        );
        assert!(!filter.is_empty());
        assert!(ParticipantFilter::default().is_empty());
        let junk = ParticipantFilter {
            channel: "<x>".into(),
            is_winner: "maybe".into(),
            ..Default::default()
        };
        assert_eq!(junk.query(), "");
    }
}
