//! The notification delivery job (runs when `NOTIFY_URL` is set): sends
//! what the outbox (the `notifications` table, filled by the notifications
//! projector) holds, and records each attempt's outcome as a
//! `NotificationSent` / `NotificationFailed` event of the `Notification`
//! delivery record.
//!
//! Exactly one successful send per (participant, kind):
//! - one process delivers at a time (a Postgres advisory lock), and within
//!   it each notification is handled by one task;
//! - before sending, the delivery record (the event store, not the outbox
//!   row) is read: a notification already sent or given up is only marked
//!   done in the outbox;
//! - the recorded outcome is the truth; the outbox row's bookkeeping
//!   (`next_attempt_at`, `dispatched`) is written after it;
//! - a crash between a send and its record makes the next leader send
//!   again with the same `Idempotency-Key` ([`delivery_id`]), which the
//!   gateway de-duplicates.
//!
//! Retries back off exponentially (`NOTIFY_BACKOFF_MS` doubling up to
//! `NOTIFY_BACKOFF_MAX_SECS`) until `NOTIFY_MAX_ATTEMPTS`; the phone number
//! is opened from the sealed registration in memory for each attempt only.

mod gateway;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use promo_domain::entrant::PhoneNumber;
use promo_domain::notification::{
    delivery_id, AttemptOutcome, NotificationDelivery, NotificationError, RecordAttempt,
};
use promo_domain::privacy;
use promo_eventstore::registrations;
use promo_projections::notifications::outbox::{self, OutboxItem};
use promo_projections::notifications::NotificationKind;
use tokio_util::sync::CancellationToken;

use gateway::Gateway;
pub use gateway::GatewayRequest;

use crate::context::App;
use crate::error::{AppError, AppResult};

/// Delivery settings (`NOTIFY_*`).
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// `NOTIFY_URL`: where notifications are POSTed.
    pub url: String,
    /// `NOTIFY_API_KEY`: sent as `Authorization: Bearer …`.
    pub api_key: Option<String>,
    /// `NOTIFY_TIMEOUT_MS`: per attempt (default 5 s).
    pub timeout: Duration,
    /// `NOTIFY_MAX_ATTEMPTS`: attempts in all (default 8).
    pub max_attempts: u32,
    /// `NOTIFY_BACKOFF_MS`: wait before the second attempt (default 1 s),
    /// doubling for each further one.
    pub backoff: Duration,
    /// `NOTIFY_BACKOFF_MAX_SECS`: the longest wait (default 300 s).
    pub max_backoff: Duration,
    /// `NOTIFY_POLL_MS`: how often the outbox is read (default 500 ms).
    pub poll: Duration,
    /// Notifications sent at once (default 8).
    pub concurrency: usize,
}

impl NotifySettings {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            api_key: None,
            timeout: Duration::from_secs(5),
            max_attempts: 8,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            poll: Duration::from_millis(500),
            concurrency: 8,
        }
    }

    /// The wait after failed attempt `attempt` (1-based).
    pub fn backoff_after(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(20);
        self.backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }
}

/// Notifications read from the outbox per round.
const ROUND: i64 = 64;

pub struct Delivery {
    app: Arc<App>,
    settings: NotifySettings,
    gateway: Gateway,
}

impl Delivery {
    pub fn new(app: Arc<App>, settings: NotifySettings) -> Result<Self, reqwest::Error> {
        Ok(Self {
            gateway: Gateway::new(&settings)?,
            app,
            settings,
        })
    }

    /// Delivers until cancelled, restarting after errors; one process at a time.
    pub async fn run(self, cancel: CancellationToken) {
        promo_eventstore::supervise::restart_on_error("notification delivery", &cancel, || {
            self.lead(&cancel)
        })
        .await;
    }

    async fn lead(&self, cancel: &CancellationToken) -> Result<(), sqlx::Error> {
        let Some(mut leadership) =
            promo_eventstore::supervise::lead(&self.app.pool, "notify-delivery", cancel).await?
        else {
            return Ok(());
        };
        tracing::info!(url = %self.settings.url, "delivering notifications");
        loop {
            // The lock lives as long as its session: a lost connection ends
            // this leadership (and restarts the contest) before any send.
            sqlx::query("SELECT 1").execute(&mut leadership).await?;
            match self.round().await {
                // A full round: more may be due at once.
                Ok(n) if n as i64 == ROUND => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "notification delivery round failed"),
            }
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = tokio::time::sleep(self.settings.poll) => {}
            }
        }
    }

    /// One round: every due notification, a few at a time. Returns how
    /// many were due and handled without error. One that fails here (not
    /// at the gateway: say, the database) waits the longest backoff, so it
    /// cannot hold up the others.
    pub async fn round(&self) -> AppResult<usize> {
        let due = outbox::due(&self.app.pool, self.app.now(), ROUND).await?;
        let results: Vec<(i64, AppResult<()>)> = futures::stream::iter(due)
            .map(|item| async move { (item.id, self.deliver(item).await) })
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let mut handled = 0;
        for (id, result) in results {
            match result {
                Ok(()) => handled += 1,
                Err(error) => {
                    tracing::warn!(notification = id, %error, "notification not delivered this round");
                    let at = later(self.app.now(), self.settings.max_backoff);
                    let _ = outbox::retry_at(&self.app.pool, id, at).await;
                }
            }
        }
        Ok(handled)
    }

    /// One attempt for one notification, recorded.
    #[tracing::instrument(skip_all, fields(notification = item.id))]
    async fn deliver(&self, item: OutboxItem) -> AppResult<()> {
        let app = &self.app;
        let Some(kind) = NotificationKind::parse(&item.kind) else {
            tracing::warn!(kind = %item.kind, "unknown notification kind; not delivered");
            return Ok(outbox::settle(&app.pool, item.id).await?);
        };
        let kind = kind.delivery_kind();
        let id = delivery_id(item.campaign_id, item.participant_id, kind);
        let record: NotificationDelivery = app.load(&id).await?;
        if record.settled() {
            return Ok(outbox::settle(&app.pool, item.id).await?);
        }
        let outcome = match self.phone(&item).await? {
            Some(phone) => {
                let request = GatewayRequest {
                    kind: kind.as_str(),
                    event_id: item.campaign_id,
                    participant_id: item.participant_id,
                    phone_number: &phone,
                    message: &item.message,
                };
                self.gateway.send(&id, &request).await
            }
            None => AttemptOutcome::Failed {
                reason: "개인정보가 파기되어 알림을 보낼 수 없습니다".to_string(),
                retryable: false,
            },
        };
        let done = match &outcome {
            AttemptOutcome::Delivered { .. } => true,
            AttemptOutcome::Failed { retryable, .. } => {
                !retryable || record.attempts + 1 >= self.settings.max_attempts
            }
        };
        let now = app.now();
        let recorded = app
            .commands
            .notification(
                &id,
                RecordAttempt {
                    campaign_id: item.campaign_id,
                    participant_id: item.participant_id,
                    kind,
                    outcome,
                    max_attempts: self.settings.max_attempts,
                    at: now,
                },
            )
            .await
            .map_err(|e| AppError::from_aggregate(e, || AppError::ConcurrentUpdate));
        match recorded {
            Ok(()) => {}
            // Recorded elsewhere meanwhile: nothing more to do here.
            Err(AppError::Notification(
                NotificationError::AlreadySent | NotificationError::GaveUp,
            )) => return Ok(outbox::settle(&app.pool, item.id).await?),
            Err(error) => return Err(error),
        }
        if done {
            outbox::settle(&app.pool, item.id).await?;
        } else {
            let wait = self.settings.backoff_after(record.attempts + 1);
            outbox::retry_at(&app.pool, item.id, later(now, wait)).await?;
        }
        Ok(())
    }

    /// The recipient's phone in E.164, opened in memory from the sealed
    /// registration; `None` once the campaign's personal data is erased.
    async fn phone(&self, item: &OutboxItem) -> AppResult<Option<String>> {
        let app = &self.app;
        let Some(secret) = app
            .secrets
            .get(item.campaign_id)
            .await
            .map_err(AppError::internal)?
            .and_then(|s| s.data.clone())
        else {
            return Ok(None);
        };
        let sealed = registrations::sealed_personal_data(
            &app.pool,
            item.campaign_id,
            &[item.participant_id],
        )
        .await
        .map_err(AppError::internal)?;
        let Some((_, sealed)) = sealed.into_iter().next() else {
            return Err(AppError::internal(format!(
                "participant {} has no registration",
                item.participant_id
            )));
        };
        let opened = privacy::open(&secret.data_key(), item.participant_id, &sealed)
            .map_err(|e| AppError::internal(format!("participant {}: {e}", item.participant_id)))?;
        let phone = PhoneNumber::parse(&opened.phone)
            .map_err(|e| AppError::internal(format!("participant {}: {e}", item.participant_id)))?;
        Ok(Some(phone.e164()))
    }
}

fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let mut settings = NotifySettings::new("http://127.0.0.1:1/notify");
        settings.backoff = Duration::from_millis(100);
        settings.max_backoff = Duration::from_millis(1_000);
        let waits: Vec<u128> = (1..=6)
            .map(|a| settings.backoff_after(a).as_millis())
            .collect();
        assert_eq!(waits, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(
            settings.backoff_after(u32::MAX),
            Duration::from_millis(1_000)
        );
    }
}
