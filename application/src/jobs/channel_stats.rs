//! The channel statistics collector (SPEC "Analytics"): every `interval` it asks
//! each external channel of every running campaign for its statistics,
//! `GET {CHANNEL_STATS_BASE_URL}/{channel}/stats/{eventId}` answering
//! `{impressions, views, clicks, likes, comments, shares}`, and records what
//! it gets as `ChannelStatsObserved` events of the `CampaignPerformance`
//! aggregate, so a replay rebuilds the same dashboard.
//!
//! Resilience, per call and per channel:
//! - **timeout** on every request (`CHANNEL_STATS_TIMEOUT_MS`, default 10 s);
//! - **retries** with exponential backoff (`CHANNEL_STATS_RETRIES`, default 3
//!   retries after the first attempt, waiting 200 ms, 400 ms, 800 ms); a 4xx
//!   answer other than 429 is not retried;
//! - a **circuit breaker per channel**: when more than 50 % of the last 10
//!   fetches failed (once at least 4 were made) the channel is not called
//!   for 30 s ([`BreakerPolicy`]); then one trial call (half-open) closes it
//!   again or re-opens it;
//! - **fallback to the last value**: a failed or skipped fetch records
//!   nothing, so the dashboard keeps the channel's last observation (the
//!   read model's latest `ChannelStatsObserved`). Unchanged counters are not
//!   recorded again (the aggregate's rule).
//!
//! Running campaigns are read from the campaign read model: published, and
//! not ended more than [`GRACE`] ago (channels keep counting after the end).
//! The in-store QR channel has no external statistics and is not called.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use futures::future::join_all;
use promo_domain::channel::Channel;
use promo_domain::performance::ChannelCounts;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use std::sync::Arc;

use crate::context::App;
use crate::performance::record_channel_stats;

mod breaker;
pub use breaker::{BreakerPolicy, CircuitBreaker};

/// How long after a campaign ends its channels are still polled.
pub const GRACE: TimeDelta = TimeDelta::days(7);

/// Collector settings (`CHANNEL_STATS_*`); the collector runs only when
/// `CHANNEL_STATS_BASE_URL` is set.
#[derive(Debug, Clone)]
pub struct ChannelStatsSettings {
    pub base_url: String,
    pub interval: Duration,
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Wait before the first retry; doubles for each further one.
    pub backoff: Duration,
    pub breaker: BreakerPolicy,
}

impl ChannelStatsSettings {
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            interval: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
            retries: 3,
            backoff: Duration::from_millis(200),
            breaker: BreakerPolicy::default(),
        }
    }

    fn backoff_before_retry(&self, retry: u32) -> Duration {
        self.backoff.saturating_mul(1 << retry.min(16))
    }
}

/// The body a channel's statistics API answers.
#[derive(Debug, Deserialize)]
struct StatsBody {
    #[serde(default)]
    impressions: i64,
    #[serde(default)]
    views: i64,
    #[serde(default)]
    clicks: i64,
    #[serde(default)]
    likes: i64,
    #[serde(default)]
    comments: i64,
    #[serde(default)]
    shares: i64,
}

#[derive(Debug, thiserror::Error)]
enum FetchError {
    /// Worth another attempt: timeout, connection trouble, 5xx, 429.
    #[error("{0}")]
    Transient(String),
    /// Retrying will not help: other 4xx, an unreadable body.
    #[error("{0}")]
    Permanent(String),
}

pub struct Collector {
    app: Arc<App>,
    settings: ChannelStatsSettings,
    http: reqwest::Client,
    breakers: Mutex<HashMap<Channel, CircuitBreaker>>,
}

impl Collector {
    pub fn new(app: Arc<App>, settings: ChannelStatsSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent("promo-channel-stats/1")
            .build()?;
        Ok(Self {
            app,
            settings,
            http,
            breakers: Mutex::new(HashMap::new()),
        })
    }

    /// Sweeps every `interval` until cancelled.
    pub async fn run(self, cancel: CancellationToken) {
        let mut ticks = tokio::time::interval(self.settings.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = ticks.tick() => {}
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                result = self.sweep() => if let Err(error) = result {
                    tracing::warn!(%error, "channel statistics sweep failed");
                },
            }
        }
    }

    /// One pass over the running campaigns; returns the observations recorded.
    pub async fn sweep(&self) -> Result<usize, sqlx::Error> {
        let running = promo_projections::campaigns::queries::running_since(
            &self.app.pool,
            self.app.now() - GRACE,
        )
        .await?;
        let calls = running.into_iter().flat_map(|(campaign_id, channels)| {
            channels
                .into_iter()
                .filter(|c| *c != Channel::StoreQr)
                .map(move |channel| self.collect(campaign_id, channel))
        });
        Ok(join_all(calls).await.into_iter().filter(|r| *r).count())
    }

    /// Fetches and records one channel's statistics; true when recorded.
    async fn collect(&self, campaign_id: Uuid, channel: Channel) -> bool {
        let allowed = self
            .breakers
            .lock()
            .expect("breaker lock")
            .entry(channel)
            .or_default()
            .allow(Instant::now());
        if !allowed {
            tracing::debug!(%channel, "circuit open; keeping the last value");
            return false;
        }
        let fetched = self.fetch_with_retries(campaign_id, channel).await;
        {
            let mut breakers = self.breakers.lock().expect("breaker lock");
            let breaker = breakers.entry(channel).or_default();
            match &fetched {
                Ok(_) => breaker.on_success(&self.settings.breaker),
                Err(_) => breaker.on_failure(Instant::now(), &self.settings.breaker),
            }
        }
        let counts = match fetched {
            Ok(counts) => counts,
            Err(error) => {
                tracing::warn!(%channel, %campaign_id, %error, "channel statistics unavailable; keeping the last value");
                return false;
            }
        };
        match record_channel_stats(&self.app, campaign_id, channel, counts).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%channel, %campaign_id, %error, "recording channel statistics failed");
                false
            }
        }
    }

    async fn fetch_with_retries(
        &self,
        campaign_id: Uuid,
        channel: Channel,
    ) -> Result<ChannelCounts, FetchError> {
        let mut retry = 0;
        loop {
            match self.fetch(campaign_id, channel).await {
                Err(FetchError::Transient(reason)) if retry < self.settings.retries => {
                    tracing::debug!(%channel, %reason, retry, "retrying channel statistics");
                    tokio::time::sleep(self.settings.backoff_before_retry(retry)).await;
                    retry += 1;
                }
                other => return other,
            }
        }
    }

    async fn fetch(
        &self,
        campaign_id: Uuid,
        channel: Channel,
    ) -> Result<ChannelCounts, FetchError> {
        let url = format!(
            "{}/{}/stats/{}",
            self.settings.base_url,
            channel.as_str(),
            campaign_id
        );
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| FetchError::Transient(e.to_string()))?;
        let status = response.status();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(FetchError::Transient(format!("HTTP {status}")));
        }
        if !status.is_success() {
            return Err(FetchError::Permanent(format!("HTTP {status}")));
        }
        let body: StatsBody = response
            .json()
            .await
            .map_err(|e| FetchError::Permanent(format!("unreadable body: {e}")))?;
        let counts = ChannelCounts {
            impressions: body.impressions,
            views: body.views,
            clicks: body.clicks,
            likes: body.likes,
            comments: body.comments,
            shares: body.shares,
        };
        if [
            counts.impressions,
            counts.views,
            counts.clicks,
            counts.likes,
            counts.comments,
            counts.shares,
        ]
        .iter()
        .any(|n| *n < 0)
        {
            return Err(FetchError::Permanent("negative counter".into()));
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles() {
        let settings = ChannelStatsSettings::new("http://stats.example/");
        assert_eq!(settings.base_url, "http://stats.example");
        assert_eq!(settings.backoff_before_retry(0), Duration::from_millis(200));
        assert_eq!(settings.backoff_before_retry(1), Duration::from_millis(400));
        assert_eq!(settings.backoff_before_retry(2), Duration::from_millis(800));
    }
}
