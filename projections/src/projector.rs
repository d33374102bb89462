//! The projector runner: consumes the event stream through a JetStream
//! durable consumer and applies each event to one read model.
//!
//! Exactly-once effect on top of at-least-once delivery:
//! - the read-model writes and the checkpoint (last global position) commit
//!   in one Postgres transaction, and messages are acked only after commit;
//! - a message at or below the checkpoint is a redelivery: acked, skipped;
//! - a message whose `previous` is not the checkpoint has a gap before it
//!   (an earlier message is still pending): it is held back (nak), never
//!   applied out of order.
//!
//! The checkpoint, not the consumer's ack state, is the truth: on every
//! (re)start the durable consumer is recreated to deliver from the stream
//! sequence after the checkpoint, so a crash between commit and ack costs a
//! skipped redelivery, not a wait for the ack timeout.
//!
//! No silent stalls: only the event store's own events are applied (see
//! [`quarantine`]); a projector that cannot move forward for longer than
//! `PROJECTOR_STALL_SECS` is reported stalled (log, `promo_projector_stalled`,
//! `/ready`), and one that meets a real event it cannot apply halts, alone
//! and loudly, instead of retrying it forever.

mod checkpoint;
mod consumer;
mod quarantine;
mod segments;

pub use checkpoint::{load_checkpoint, save_checkpoint, Checkpoint};
pub use segments::{segments, Segment};

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, message::AckKind};
use chrono::Utc;
use futures::{FutureExt, StreamExt};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

use promo_eventstore::codec::Decoded;
use promo_eventstore::jetstream::{
    ensure_event_stream, ensure_quarantine_stream, EventStreamNames, JetStreamError,
};
use promo_eventstore::metrics::{Metrics, ProjectorLabel};
use promo_eventstore::store::{GlobalPosition, StoredEvent};

const MAX_BATCH: usize = 500;
const GAP_RETRY: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("event {event_type} does not decode: {reason}")]
    Undecodable { event_type: String, reason: String },
    #[error("{0}")]
    Other(String),
}

impl ProjectionError {
    pub fn undecodable(event: &StoredEvent, error: impl std::fmt::Display) -> Self {
        ProjectionError::Undecodable {
            event_type: event.event_type.clone(),
            reason: error.to_string(),
        }
    }
}

/// The typed domain event inside an envelope, through the one decoder
/// (`promo_eventstore::codec`).
pub fn decode<T: Decoded>(event: &StoredEvent) -> Result<T, ProjectionError> {
    event
        .decode_as::<T>()
        .map_err(|e| ProjectionError::undecodable(event, e))
}

/// One read model: how an event changes it.
#[async_trait::async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Stable name: checkpoint key and consumer name.
    fn name(&self) -> &'static str;

    /// The tables this read model owns, for replay. Empty means it cannot be
    /// rebuilt (for instance because applying it has side effects).
    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    /// Applies one event inside the projector's transaction. Events the read
    /// model does not care about are ignored.
    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError>;

    /// Replays the events in `(after, up_to]` straight from the event store
    /// with set-based SQL, inside `tx`, and returns how many events that
    /// covered; `None` (the default) has replay read and apply the events
    /// batch by batch instead. Only for read models whose updates commute.
    async fn replay_range(
        &self,
        _tx: &mut PgConnection,
        _after: GlobalPosition,
        _up_to: GlobalPosition,
    ) -> Result<Option<u64>, ProjectionError> {
        Ok(None)
    }

    /// Applies consecutive events, in order, inside one transaction. The
    /// default applies them one by one; a read model whose updates commute
    /// may fold a run of events into a few set-based statements.
    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            self.apply(tx, event).await?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    JetStream(#[from] JetStreamError),
    #[error("consumer: {0}")]
    Consumer(String),
    #[error("store: {0}")]
    Store(#[from] promo_eventstore::store::StoreError),
    #[error("quarantine: {0}")]
    Quarantine(String),
}

/// What one batch did, for stall detection.
struct BatchOutcome {
    applied: usize,
    held_back: usize,
}

pub struct Projector {
    pub pool: PgPool,
    pub jetstream: jetstream::Context,
    pub names: EventStreamNames,
    pub projection: Arc<dyn Projection>,
    pub metrics: Metrics,
}

impl Projector {
    /// Runs until cancelled, restarting with backoff after any error.
    /// A real event that cannot be applied (it does not decode, or the read
    /// model refuses it) halts this projector until restarted.
    pub async fn run(self, cancel: CancellationToken) {
        let name = self.projection.name();
        promo_eventstore::supervise::restart_on_error(
            &format!("projector {name}"),
            &cancel,
            || async {
                match self.consume(&cancel).await {
                    Err(ProjectorError::Projection(error))
                        if !matches!(error, ProjectionError::Database(_)) =>
                    {
                        let reason = error.to_string();
                        tracing::error!(alert = true, projector = name, %reason,
                            "projector halted: a real event cannot be applied");
                        self.metrics
                            .projector_stalled
                            .get_or_create(&self.label())
                            .set(1);
                        self.metrics.health.projector_halted(name, &reason);
                        cancel.cancelled().await;
                        Ok(())
                    }
                    Err(error) => {
                        self.stuck(&error.to_string());
                        Err(error)
                    }
                    Ok(()) => Ok(()),
                }
            },
        )
        .await;
    }

    /// Reports no progress; logs and sets the metric once past the threshold.
    fn stuck(&self, reason: &str) {
        let name = self.projection.name();
        if let Some(stuck_for) = self.metrics.health.projector_stuck(name, reason) {
            tracing::error!(alert = true, projector = name, stuck_secs = stuck_for.as_secs(),
                %reason, "projector stalled");
            self.metrics
                .projector_stalled
                .get_or_create(&self.label())
                .set(1);
        }
    }

    fn progressed(&self) {
        self.metrics
            .health
            .projector_progressed(self.projection.name());
        self.metrics
            .projector_stalled
            .get_or_create(&self.label())
            .set(0);
    }

    fn label(&self) -> ProjectorLabel {
        ProjectorLabel {
            projector: self.projection.name().to_string(),
        }
    }

    async fn consume(&self, cancel: &CancellationToken) -> Result<(), ProjectorError> {
        let name = self.projection.name();
        // One instance per projector.
        let Some(mut lock_conn) =
            promo_eventstore::supervise::lead(&self.pool, &format!("projector:{name}"), cancel)
                .await?
        else {
            return Ok(());
        };
        let checkpoint = load_checkpoint(&mut lock_conn, name, false).await?;
        let stream = ensure_event_stream(&self.jetstream, &self.names).await?;
        ensure_quarantine_stream(&self.jetstream, &self.names).await?;
        let mut messages =
            consumer::open(&stream, &self.names.consumer_name(name), checkpoint).await?;
        tracing::info!(projector = name, position = %checkpoint.position, "projector consuming");

        loop {
            let first = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                next = messages.next() => next,
            };
            let Some(first) = first else {
                return Err(ProjectorError::Consumer("message stream ended".into()));
            };
            let mut batch = vec![first.map_err(|e| ProjectorError::Consumer(e.to_string()))?];
            // Take whatever else is already here, without waiting.
            while batch.len() < MAX_BATCH {
                match messages.next().now_or_never() {
                    Some(Some(Ok(message))) => batch.push(message),
                    Some(Some(Err(e))) => return Err(ProjectorError::Consumer(e.to_string())),
                    _ => break,
                }
            }
            let outcome = self.apply_batch(batch).await?;
            if outcome.held_back > 0 && outcome.applied == 0 {
                self.stuck("waiting for a missing earlier event (a gap on the stream)");
            } else {
                self.progressed();
            }
        }
    }

    /// Applies one batch of messages in one transaction with the checkpoint:
    /// provenance check (quarantine), gap check, apply, commit, ack. Kept
    /// whole because the exactly-once argument depends on their order.
    async fn apply_batch(
        &self,
        batch: Vec<jetstream::Message>,
    ) -> Result<BatchOutcome, ProjectorError> {
        let name = self.projection.name();
        let mut tx = self.pool.begin().await?;
        let mut checkpoint = load_checkpoint(&mut tx, name, true).await?;
        let parsed: Vec<Result<StoredEvent, String>> = batch
            .iter()
            .map(|m| {
                serde_json::from_slice(&m.payload)
                    .map_err(|e| format!("not an event envelope: {e}"))
            })
            .collect();
        let envelopes: Vec<&StoredEvent> = parsed.iter().filter_map(|p| p.as_ref().ok()).collect();
        let mut verdicts = promo_eventstore::provenance::genuine(&mut tx, &envelopes)
            .await?
            .into_iter();
        let mut done = Vec::with_capacity(batch.len());
        let mut held_back = Vec::new();
        let mut foreign = Vec::new();
        let mut to_apply = Vec::with_capacity(batch.len());
        for (message, parsed) in batch.into_iter().zip(parsed) {
            let sequence = message.info().map(|i| i.stream_sequence).unwrap_or(0);
            const FORGED: &str = "does not match its row in the event store, or has none";
            let event = match parsed.and_then(|e| match verdicts.next() {
                Some(true) => Ok(e),
                _ => Err(FORGED.to_string()),
            }) {
                Ok(event) => event,
                Err(reason) if held_back.is_empty() => {
                    foreign.push((message, reason));
                    continue;
                }
                Err(_) => {
                    held_back.push(message);
                    continue;
                }
            };
            if !held_back.is_empty() {
                held_back.push(message);
            } else if event.position <= checkpoint.position {
                done.push(message);
            } else if event.previous != checkpoint.position {
                self.metrics
                    .projector_gaps
                    .get_or_create(&self.label())
                    .inc();
                tracing::debug!(projector = name, checkpoint = %checkpoint.position,
                    previous = %event.previous, "gap before message; holding back");
                held_back.push(message);
            } else {
                checkpoint = Checkpoint {
                    position: event.position,
                    stream_sequence: sequence,
                };
                to_apply.push(event);
                done.push(message);
            }
        }
        // Set aside before the checkpoint passes them: a crash in between
        // sets them aside again (kept once by the message id).
        for (message, reason) in &foreign {
            quarantine::set_aside(&self.jetstream, &self.names, name, message, reason)
                .await
                .map_err(ProjectorError::Quarantine)?;
            self.metrics.quarantined.get_or_create(&self.label()).inc();
            let sequence = message.info().map(|i| i.stream_sequence).unwrap_or(0);
            checkpoint.stream_sequence = checkpoint.stream_sequence.max(sequence);
        }
        done.extend(foreign.into_iter().map(|(message, _)| message));
        if let Err(error) = self.projection.apply_batch(&mut tx, &to_apply).await {
            tracing::error!(projector = name, up_to = %checkpoint.position, %error, "projection failed");
            drop(tx);
            return Err(error.into());
        }
        let applied: Vec<_> = to_apply.iter().map(|e| e.recorded_at).collect();
        let applied_count = applied.len();
        let held_back_count = held_back.len();
        save_checkpoint(&mut tx, name, checkpoint).await?;
        tx.commit().await?;

        let now = Utc::now();
        let label = self.label();
        self.metrics
            .projector_applied
            .get_or_create(&label)
            .inc_by(applied.len() as u64);
        {
            let histogram = self.metrics.projector_delay.get_or_create(&label);
            for recorded_at in applied {
                let delay = (now - recorded_at).num_microseconds().unwrap_or(0).max(0);
                histogram.observe(delay as f64 / 1e6);
            }
        }
        // Acks after commit: a lost ack only causes a skipped redelivery.
        let last_done = done
            .iter()
            .max_by_key(|m| m.info().map(|i| i.stream_sequence).unwrap_or(0));
        if let Some(message) = last_done {
            let _ = message.ack().await;
        }
        for message in held_back {
            let _ = message.ack_with(AckKind::Nak(Some(GAP_RETRY))).await;
        }
        Ok(BatchOutcome {
            applied: applied_count,
            held_back: held_back_count,
        })
    }
}
