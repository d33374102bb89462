//! The campaign owner the bench acts as: a token signed with the secret the bench's service
//! processes are given, and the calls that set up a published campaign to register for.

use std::time::Duration;

use anyhow::Context;
use promo_api::auth::Auth;
use serde_json::json;
use uuid::Uuid;

/// The JWT secret of every service process the bench starts.
pub(super) const SECRET: &str = "bench-secret-0123456789abcdef-0123456789";
const OWNER: &str = "bench-owner";

pub(super) struct Owner {
    pub(super) token: String,
    pub(super) client: reqwest::Client,
}

impl Owner {
    pub(super) fn new() -> Self {
        Self {
            token: Auth::new(SECRET).issue(OWNER, Duration::from_secs(3600)),
            client: reqwest::Client::new(),
        }
    }

    /// Drafts and publishes a campaign open for entries now.
    pub(super) async fn create_campaign(&self, base_url: &str) -> anyhow::Result<Uuid> {
        let (client, token) = (&self.client, &self.token);
        let draft: serde_json::Value = client
            .post(format!("{base_url}/api/v1/events/purposes"))
            .bearer_auth(token)
            .json(&json!({"objective": "신규 고객 유치", "storeName": "벤치마크", "industry": "음식점", "address": "서울"}))
            .send()
            .await?
            .json()
            .await?;
        let id: Uuid = draft["eventDraftId"]
            .as_str()
            .context("draft id")?
            .parse()?;
        let now = chrono::Utc::now();
        let published = client
            .post(format!("{base_url}/api/v1/events/{id}/publish"))
            .bearer_auth(token)
            .json(&json!({
                "title": "벤치마크 이벤트", "prize": "쿠폰",
                "startsAt": now - chrono::Duration::hours(1), "endsAt": now + chrono::Duration::days(1),
                "announcementAt": now + chrono::Duration::days(2), "winnerCount": 3,
                "channels": ["URIDONGNETV", "INSTAGRAM"], "targetParticipants": 1000
            }))
            .send()
            .await?;
        anyhow::ensure!(
            published.status().is_success(),
            "publish: {}",
            published.status()
        );
        Ok(id)
    }
}
