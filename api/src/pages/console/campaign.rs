//! One campaign's overview (status, period, live entry count, next step,
//! share links per channel) and its printable store QR page.

use askama::Template;
use chrono::{DateTime, Utc};
use promo_domain::channel::Channel;

use super::CampaignHeader;
use crate::pages::format;
use crate::pages::view::{channel_label, CampaignState};

/// What a published campaign adds to its draft.
#[derive(Debug, Clone)]
pub struct PublishedInfo {
    pub prize: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub announcement_at: DateTime<Utc>,
    pub winner_count: u32,
    pub visit_bonus: bool,
    pub alternate_count: u32,
    pub claim_days: u32,
    pub channels: Vec<Channel>,
    pub target_participants: Option<u64>,
    pub seed_commitment: String,
}

/// A share link for one channel.
#[derive(Debug, Clone)]
pub struct ShareLink {
    pub label: &'static str,
    pub url: String,
}

/// `GET /console/events/{id}`.
#[derive(Debug, Clone, Template)]
#[template(path = "console/campaign.html")]
pub struct CampaignPage {
    pub csrf: String,
    pub campaign: CampaignHeader,
    pub objective: String,
    pub industry: String,
    pub address: String,
    /// `None` while a draft.
    pub published: Option<PublishedInfo>,
    /// Shown as a static number, refreshed by app.js from `live.json` when scripts run.
    pub participants: u64,
    /// Scheme and host customers reach, e.g. `https://promo.example.kr`, for share links.
    pub public_base_url: String,
}

impl CampaignPage {
    pub fn is_draft(&self) -> bool {
        self.campaign.state == CampaignState::Draft
    }

    pub fn participants(&self) -> String {
        format::people(self.participants)
    }

    pub fn live_url(&self) -> String {
        self.campaign.url("live.json")
    }

    /// Progress towards the target, 0–100 for the progress bar.
    pub fn achievement(&self) -> Option<(String, u32)> {
        let target = self
            .published
            .as_ref()?
            .target_participants
            .filter(|&t| t > 0)?;
        let rate = self.participants as f64 * 100.0 / target as f64;
        Some((
            format!(
                "목표 {} 중 {}",
                format::people(target),
                format::percent(rate)
            ),
            rate.clamp(0.0, 100.0).round() as u32,
        ))
    }

    /// One link per published channel; the store QR link carries a token and
    /// lives on the store QR page instead.
    pub fn share_links(&self) -> Vec<ShareLink> {
        let Some(published) = &self.published else {
            return Vec::new();
        };
        published
            .channels
            .iter()
            .filter(|&&c| c != Channel::StoreQr)
            .map(|&c| ShareLink {
                label: channel_label(c),
                url: format!(
                    "{}/e/{}?ch={}",
                    self.public_base_url.trim_end_matches('/'),
                    self.campaign.event_id,
                    c.as_str()
                ),
            })
            .collect()
    }

    pub fn has_store_qr(&self) -> bool {
        self.published
            .as_ref()
            .is_some_and(|p| p.channels.contains(&Channel::StoreQr))
    }

    pub fn channel_names(&self) -> String {
        self.published
            .as_ref()
            .map(|p| {
                p.channels
                    .iter()
                    .map(|&c| channel_label(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }
}

impl PublishedInfo {
    pub fn starts(&self) -> String {
        format::datetime(self.starts_at)
    }

    pub fn ends(&self) -> String {
        format::datetime(self.ends_at)
    }

    pub fn winners(&self) -> String {
        format::people(self.winner_count.into())
    }

    pub fn alternates(&self) -> String {
        format::people(self.alternate_count.into())
    }

    pub fn period(&self) -> String {
        format::period(self.starts_at, self.ends_at)
    }

    pub fn announcement(&self) -> String {
        format::datetime(self.announcement_at)
    }

    pub fn rules(&self) -> String {
        format!(
            "당첨 {} · 대체 당첨자 {} · {} · 수령 기한 발표 후 {}일",
            format::people(self.winner_count.into()),
            format::people(self.alternate_count.into()),
            if self.visit_bonus {
                "매장 방문 시 응모권 3장"
            } else {
                "1인 1장 균등 추첨"
            },
            self.claim_days
        )
    }
}

/// `GET /console/events/{id}/store-qr`: a page to print and put on the counter.
#[derive(Debug, Clone, Template)]
#[template(path = "console/store_qr.html")]
pub struct StoreQrPage {
    pub csrf: String,
    pub campaign: CampaignHeader,
    pub prize: String,
    /// The entry link with `ch=STORE_QR` and the store visit token.
    pub entry_url: String,
    /// The QR image as SVG markup (from `GET /api/v1/events/{id}/store-qr`),
    /// inserted as is: it must come from our own QR encoder, never from input.
    pub qr_svg: String,
    pub visit_bonus: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    #[test]
    fn share_links_per_channel_without_the_store_qr() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let page = CampaignPage {
            csrf: "c".into(),
            campaign: CampaignHeader {
                event_id: Uuid::nil(),
                title: "t".into(),
                store_name: "s".into(),
                state: CampaignState::Active,
            },
            objective: "매출 증대".into(),
            industry: "베이커리".into(),
            address: "서울".into(),
            published: Some(PublishedInfo {
                prize: "p".into(),
                starts_at: at,
                ends_at: at,
                announcement_at: at,
                winner_count: 3,
                visit_bonus: true,
                alternate_count: 3,
                claim_days: 7,
                channels: vec![Channel::Instagram, Channel::StoreQr, Channel::Kakao],
                target_participants: Some(200),
                seed_commitment: "ab".into(),
            }),
            participants: 50,
            public_base_url: "https://promo.example.kr/".into(),
        };
        let links = page.share_links();
        assert_eq!(links.len(), 2);
        assert_eq!(
            links[0].url,
            "https://promo.example.kr/e/00000000-0000-0000-0000-000000000000?ch=INSTAGRAM"
        );
        assert_eq!(links[1].label, "카카오톡");
        assert_eq!(page.achievement(), Some(("목표 200명 중 25%".into(), 25)));
        let html = page.render().unwrap();
        assert!(html.contains("data-live-count"));
        assert!(html.contains(">50명<"));
    }
}
