//! The relay: publishes every committed event from the event store to
//! JetStream, in global commit order, at least once, never skipping one.
//!
//! - Order and no-skip: events are read with `store::read_committed_after`,
//!   which only returns rows of transactions older than every running one,
//!   ordered by `(transaction_id, position)`.
//! - Ordered publish: each message carries `Nats-Expected-Last-Sequence`, so
//!   the server refuses anything that would land out of order or after a
//!   gap; pipelined publishes stay in order or fail together.
//! - At least once, never twice on the stream: `Nats-Msg-Id` is
//!   `{aggregate_type}:{aggregate_id}:{sequence}`, and on every (re)start the
//!   relay resumes after the event stored last on the stream itself, so a
//!   crash between publish and cursor write republishes nothing and a crash
//!   between commit and publish loses nothing.
//! - One relay at a time: a Postgres advisory lock elects the leader.
//! - The stream must be this database's: see [`start_check`].

pub mod start_check;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, message::PublishMessage};
use chrono::Utc;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::jetstream::{ensure_event_stream, EventStreamNames, JetStreamError};
use crate::metrics::Metrics;
use crate::store::{self, GlobalPosition, StoreError};
pub use start_check::StartCheckError;

const BATCH_SIZE: i64 = 1_000;
/// Polling interval when no wake-up arrives (other writers, held-back rows).
const POLL_INTERVAL: Duration = Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    JetStream(#[from] JetStreamError),
    #[error("publishing: {0}")]
    Publish(#[from] jetstream::context::PublishError),
    #[error("the stream already held {0}; resynchronising")]
    Duplicate(String),
    #[error(transparent)]
    StartCheck(#[from] StartCheckError),
}

pub struct Relay {
    pub pool: PgPool,
    pub jetstream: jetstream::Context,
    pub names: EventStreamNames,
    /// Notified by writers after a commit, to publish without waiting for
    /// the next poll. Correctness never depends on it.
    pub wakeup: Arc<Notify>,
    pub metrics: Metrics,
}

impl Relay {
    /// Runs until cancelled, restarting after any error with backoff.
    pub async fn run(self, cancel: CancellationToken) {
        crate::supervise::restart_on_error("relay", &cancel, || self.lead(&cancel)).await;
    }

    /// One leadership term: the start check, then publish until cancelled.
    /// Kept whole so the ordering argument (what is read, what is expected
    /// on the stream, when the cursor moves) reads in one place.
    async fn lead(&self, cancel: &CancellationToken) -> Result<(), RelayError> {
        let Some(_leadership) = crate::supervise::lead(&self.pool, "relay", cancel).await? else {
            return Ok(());
        };

        let mut stream = ensure_event_stream(&self.jetstream, &self.names).await?;
        let (mut stream_last, mut previous) = match start_check::resume_point(
            &self.pool,
            &mut stream,
        )
        .await
        {
            Ok(resume) => resume,
            Err(StartCheckError::Refused(reason)) => {
                tracing::error!(alert = true, %reason, "relay refuses to start; see docs/operations.md (promo recover-stream)");
                self.metrics.relay_refused.set(1);
                self.metrics.health.relay_refused(&reason);
                return Err(StartCheckError::Refused(reason).into());
            }
            Err(error) => return Err(error.into()),
        };
        self.metrics.relay_refused.set(0);
        self.metrics.health.relay_started();
        let stored_cursor = store::relay_cursor(&self.pool).await?;
        if stored_cursor > previous {
            tracing::warn!(%stored_cursor, stream_tail = %previous,
                "stream is behind the stored relay cursor; republishing from the stream tail");
        }
        let mut cursor = previous;
        tracing::info!(%cursor, stream_last, "relay leading");

        loop {
            if cancel.is_cancelled() {
                return Ok(());
            }
            let events = store::read_committed_after(&self.pool, cursor, BATCH_SIZE).await?;
            if events.is_empty() {
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = self.wakeup.notified() => {}
                    _ = tokio::time::sleep(POLL_INTERVAL) => {}
                }
                continue;
            }

            // Pipeline the whole batch, then confirm in order.
            // Inside a batch each message also expects the one before it by
            // message id: if one is refused (a foreign message took its
            // sequence), every later one is refused too, instead of landing
            // after the gap.
            let mut pending = Vec::with_capacity(events.len());
            let mut before: Option<String> = None;
            for (offset, mut event) in events.into_iter().enumerate() {
                event.previous = previous;
                previous = event.position;
                let payload = serde_json::to_vec(&event).map_err(JetStreamError::Envelope)?;
                let mut message = PublishMessage::build()
                    .payload(payload.into())
                    .message_id(event.message_id())
                    .expected_last_sequence(stream_last + offset as u64);
                if let Some(id) = before.replace(event.message_id()) {
                    message = message.expected_last_message_id(id);
                }
                let ack = self
                    .jetstream
                    .send_publish(self.names.event_subject(&event), message)
                    .await?;
                pending.push((event, ack));
            }
            for (event, ack) in pending {
                let ack = ack.await?;
                if ack.duplicate {
                    return Err(RelayError::Duplicate(event.message_id()));
                }
                stream_last = ack.sequence;
                cursor = event.position;
                self.metrics.relay_published.inc();
                let delay = (Utc::now() - event.recorded_at)
                    .num_microseconds()
                    .unwrap_or(0);
                self.metrics
                    .relay_publish_delay
                    .observe(delay.max(0) as f64 / 1e6);
            }
            self.metrics.relay_position.set(cursor.position);
            store::save_relay_cursor(&self.pool, cursor).await?;
        }
    }
}

/// Waits until the relay has published everything committed before the call
/// (used by replay and tests). Returns the relay cursor reached.
pub async fn wait_until_published(
    pool: &PgPool,
    timeout: Duration,
) -> Result<GlobalPosition, StoreError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let cursor = store::relay_cursor(pool).await?;
        let backlog = store::count_after(pool, cursor).await?;
        if backlog == 0 || tokio::time::Instant::now() >= deadline {
            return Ok(cursor);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
