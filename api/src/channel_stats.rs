//! The channel statistics collector (seed 003 §2.2): every `interval` it asks
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

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::TimeDelta;
use futures::future::join_all;
use promo_domain::channel::Channel;
use promo_domain::performance::{CampaignPerformance, ChannelCounts, PerformanceCommand};
use serde::Deserialize;
use sqlx::Row;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::state::AppState;

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

    /// `CHANNEL_STATS_BASE_URL` (unset: no collector),
    /// `CHANNEL_STATS_INTERVAL_SECS` (300), `CHANNEL_STATS_TIMEOUT_MS` (10000),
    /// `CHANNEL_STATS_RETRIES` (3).
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        let Ok(base_url) = std::env::var("CHANNEL_STATS_BASE_URL") else {
            return Ok(None);
        };
        let number = |name: &str, default: u64| -> anyhow::Result<u64> {
            match std::env::var(name) {
                Ok(v) => v.trim().parse().with_context(|| name.to_string()),
                Err(_) => Ok(default),
            }
        };
        let mut settings = Self::new(base_url);
        settings.interval = Duration::from_secs(number("CHANNEL_STATS_INTERVAL_SECS", 300)?.max(1));
        settings.timeout =
            Duration::from_millis(number("CHANNEL_STATS_TIMEOUT_MS", 10_000)?.max(1));
        settings.retries = number("CHANNEL_STATS_RETRIES", 3)?.min(10) as u32;
        Ok(Some(settings))
    }

    fn backoff_before_retry(&self, retry: u32) -> Duration {
        self.backoff.saturating_mul(1 << retry.min(16))
    }
}

/// When a channel's breaker opens: more than `max_failure_percent` of the
/// last `window` fetches failed (counted once at least `min_calls` fetches
/// are in the window), as seed 003 says ("실패율 50% 초과 시 Open").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    pub window: usize,
    pub min_calls: usize,
    pub max_failure_percent: usize,
    /// Open for this long, then one trial call (half-open).
    pub cooldown: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            window: 10,
            min_calls: 4,
            max_failure_percent: 50,
            cooldown: Duration::from_secs(30),
        }
    }
}

/// A per-channel circuit breaker over the failure rate of recent fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CircuitBreaker {
    /// Recent outcomes, newest last (`true` = failed).
    Closed {
        recent: VecDeque<bool>,
    },
    Open {
        until: Instant,
    },
    /// The cooldown is over: one trial call decides.
    HalfOpen,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        CircuitBreaker::Closed {
            recent: VecDeque::new(),
        }
    }
}

impl CircuitBreaker {
    /// May the channel be called now? Moves an expired open breaker to half-open.
    pub fn allow(&mut self, now: Instant) -> bool {
        match self {
            CircuitBreaker::Closed { .. } | CircuitBreaker::HalfOpen => true,
            CircuitBreaker::Open { until } if now >= *until => {
                *self = CircuitBreaker::HalfOpen;
                true
            }
            CircuitBreaker::Open { .. } => false,
        }
    }

    pub fn on_success(&mut self, policy: &BreakerPolicy) {
        self.record(false, Instant::now(), policy);
    }

    pub fn on_failure(&mut self, now: Instant, policy: &BreakerPolicy) {
        self.record(true, now, policy);
    }

    fn record(&mut self, failed: bool, now: Instant, policy: &BreakerPolicy) {
        match self {
            CircuitBreaker::Closed { recent } => {
                recent.push_back(failed);
                while recent.len() > policy.window.max(1) {
                    recent.pop_front();
                }
                let failures = recent.iter().filter(|f| **f).count();
                if recent.len() >= policy.min_calls.max(1)
                    && failures * 100 > recent.len() * policy.max_failure_percent
                {
                    *self = CircuitBreaker::Open {
                        until: now + policy.cooldown,
                    };
                }
            }
            CircuitBreaker::HalfOpen | CircuitBreaker::Open { .. } => {
                *self = if failed {
                    CircuitBreaker::Open {
                        until: now + policy.cooldown,
                    }
                } else {
                    CircuitBreaker::default()
                };
            }
        }
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
    state: AppState,
    settings: ChannelStatsSettings,
    http: reqwest::Client,
    breakers: Mutex<HashMap<Channel, CircuitBreaker>>,
    performance: postgres_es::PostgresCqrs<CampaignPerformance>,
}

impl Collector {
    pub fn new(state: AppState, settings: ChannelStatsSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent("promo-channel-stats/1")
            .build()
            .context("building the channel statistics HTTP client")?;
        let performance = postgres_es::postgres_cqrs(state.pool.clone(), vec![], ());
        Ok(Self {
            state,
            settings,
            http,
            breakers: Mutex::new(HashMap::new()),
            performance,
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
    pub async fn sweep(&self) -> anyhow::Result<usize> {
        let now = self.state.now();
        let rows = sqlx::query(
            "SELECT campaign_id, channels FROM campaigns WHERE published_at IS NOT NULL \
             AND COALESCE(ended_at, ends_at) > $1",
        )
        .bind(now - GRACE)
        .fetch_all(&self.state.pool)
        .await
        .context("reading running campaigns")?;
        let mut calls = Vec::new();
        for row in rows {
            let campaign_id: Uuid = row.try_get("campaign_id")?;
            let channels: serde_json::Value = row.try_get("channels")?;
            let channels: Vec<Channel> = serde_json::from_value(channels).unwrap_or_default();
            for channel in channels.into_iter().filter(|c| *c != Channel::StoreQr) {
                calls.push(self.collect(campaign_id, channel));
            }
        }
        let recorded = join_all(calls).await.into_iter().filter(|r| *r).count();
        Ok(recorded)
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
        let command = PerformanceCommand::RecordChannelStats {
            campaign_id,
            channel,
            counts,
            observed_at: self.state.now(),
        };
        // Channels of one campaign are collected concurrently and share its
        // aggregate: a version conflict just means another channel's
        // observation committed first, so decide again on the new state.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self
                .performance
                .execute(&campaign_id.to_string(), command.clone())
                .await
            {
                Ok(()) => {
                    self.state.relay_wakeup.notify_one();
                    return true;
                }
                Err(cqrs_es::AggregateError::AggregateConflict) if attempts < 5 => continue,
                Err(error) => {
                    tracing::warn!(%channel, %campaign_id, %error, "recording channel statistics failed");
                    return false;
                }
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

    fn policy(min_calls: usize) -> BreakerPolicy {
        BreakerPolicy {
            window: 10,
            min_calls,
            max_failure_percent: 50,
            cooldown: Duration::from_secs(30),
        }
    }

    #[test]
    fn the_breaker_opens_above_half_failures_and_half_opens_after_cooldown() {
        let t0 = Instant::now();
        let policy = policy(4);
        let mut breaker = CircuitBreaker::default();
        for failed in [false, true, false, true] {
            assert!(breaker.allow(t0));
            breaker.record(failed, t0, &policy);
        }
        assert!(breaker.allow(t0), "exactly 50 % keeps it closed");
        breaker.on_failure(t0, &policy);
        assert!(
            !breaker.allow(t0 + Duration::from_secs(29)),
            "3 of 5 failed: open"
        );
        assert!(breaker.allow(t0 + policy.cooldown));
        assert_eq!(breaker, CircuitBreaker::HalfOpen);
        // A failed trial re-opens it at once; a successful one closes it.
        breaker.on_failure(t0 + policy.cooldown, &policy);
        assert!(!breaker.allow(t0 + policy.cooldown + Duration::from_secs(1)));
        assert!(breaker.allow(t0 + policy.cooldown * 2));
        breaker.on_success(&policy);
        assert_eq!(breaker, CircuitBreaker::default());
    }

    #[test]
    fn too_few_calls_never_open_it_and_old_outcomes_leave_the_window() {
        let t0 = Instant::now();
        let policy = policy(4);
        let mut breaker = CircuitBreaker::default();
        for _ in 0..3 {
            breaker.on_failure(t0, &policy);
        }
        assert!(breaker.allow(t0), "three calls are below the minimum");
        let mut breaker = CircuitBreaker::default();
        for _ in 0..10 {
            breaker.on_success(&policy);
        }
        for _ in 0..5 {
            breaker.on_failure(t0, &policy);
        }
        assert!(breaker.allow(t0), "5 of the last 10 failed: not above half");
        breaker.on_failure(t0, &policy);
        assert!(!breaker.allow(t0), "6 of the last 10 failed");
    }

    #[test]
    fn backoff_doubles() {
        let settings = ChannelStatsSettings::new("http://stats.example/");
        assert_eq!(settings.base_url, "http://stats.example");
        assert_eq!(settings.backoff_before_retry(0), Duration::from_millis(200));
        assert_eq!(settings.backoff_before_retry(1), Duration::from_millis(400));
        assert_eq!(settings.backoff_before_retry(2), Duration::from_millis(800));
    }
}
