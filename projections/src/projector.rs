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

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, message::AckKind};
use chrono::Utc;
use futures::{FutureExt, StreamExt};
use sqlx::{PgConnection, PgPool, Row};
use tokio_util::sync::CancellationToken;

use promo_eventstore::codec::Decoded;
use promo_eventstore::jetstream::{ensure_event_stream, EventStreamNames, JetStreamError};
use promo_eventstore::metrics::{Metrics, ProjectorLabel};
use promo_eventstore::store::{GlobalPosition, StoredEvent};

const MAX_BATCH: usize = 500;
const ACK_WAIT: Duration = Duration::from_secs(10);
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

/// One step of a set-based `apply_batch`: a run of consecutive
/// registrations to fold together, or any other single event to apply in
/// order (after the run before it was flushed).
pub enum Segment<'a> {
    Registrations(&'a [StoredEvent]),
    Other(&'a StoredEvent),
}

/// Splits a batch, in order, into [`Segment`]s: "fold a run of
/// registrations, flush on anything else", the shape every read model whose
/// registration updates commute shares.
pub fn segments(events: &[StoredEvent]) -> impl Iterator<Item = Segment<'_>> {
    events
        .chunk_by(|a, b| a.is_registration() && b.is_registration())
        .map(|chunk| match chunk {
            [single] if !single.is_registration() => Segment::Other(single),
            run => Segment::Registrations(run),
        })
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
}

/// A checkpoint: the last applied position and the stream sequence it came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checkpoint {
    pub position: GlobalPosition,
    pub stream_sequence: u64,
}

pub async fn load_checkpoint(
    conn: &mut PgConnection,
    projector: &str,
    for_update: bool,
) -> Result<Checkpoint, sqlx::Error> {
    sqlx::query(
        "INSERT INTO projector_checkpoints (projector, transaction_id, position) \
         VALUES ($1, '0', 0) ON CONFLICT DO NOTHING",
    )
    .bind(projector)
    .execute(&mut *conn)
    .await?;
    let sql = if for_update {
        "SELECT transaction_id::text AS t, position, stream_sequence FROM projector_checkpoints \
         WHERE projector = $1 FOR UPDATE"
    } else {
        "SELECT transaction_id::text AS t, position, stream_sequence FROM projector_checkpoints \
         WHERE projector = $1"
    };
    let row = sqlx::query(sql)
        .bind(projector)
        .fetch_one(&mut *conn)
        .await?;
    let t: String = row.try_get("t")?;
    Ok(Checkpoint {
        position: GlobalPosition {
            transaction_id: t.parse().unwrap_or(0),
            position: row.try_get("position")?,
        },
        stream_sequence: row.try_get::<i64, _>("stream_sequence")?.max(0) as u64,
    })
}

pub async fn save_checkpoint(
    conn: &mut PgConnection,
    projector: &str,
    checkpoint: Checkpoint,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE projector_checkpoints SET transaction_id = $2::text::xid8, position = $3, \
         stream_sequence = $4, updated_at = now() WHERE projector = $1",
    )
    .bind(projector)
    .bind(checkpoint.position.transaction_id.to_string())
    .bind(checkpoint.position.position)
    .bind(checkpoint.stream_sequence as i64)
    .execute(&mut *conn)
    .await?;
    Ok(())
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
    pub async fn run(self, cancel: CancellationToken) {
        promo_eventstore::supervise::restart_on_error(
            &format!("projector {}", self.projection.name()),
            &cancel,
            || self.consume(&cancel),
        )
        .await;
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
        let consumer_name = self.names.consumer_name(name);
        // Recreate the consumer at the checkpoint (see module docs).
        let _ = stream.delete_consumer(&consumer_name).await;
        let deliver_policy = if checkpoint.stream_sequence == 0 {
            consumer::DeliverPolicy::All
        } else {
            consumer::DeliverPolicy::ByStartSequence {
                start_sequence: checkpoint.stream_sequence + 1,
            }
        };
        let consumer = stream
            .create_consumer(consumer::pull::Config {
                durable_name: Some(consumer_name.clone()),
                deliver_policy,
                // Acking a message acks everything before it: one ack per
                // batch instead of one per event.
                ack_policy: consumer::AckPolicy::All,
                ack_wait: ACK_WAIT,
                max_ack_pending: (MAX_BATCH * 4) as i64,
                ..Default::default()
            })
            .await
            .map_err(|e| ProjectorError::Consumer(e.to_string()))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| ProjectorError::Consumer(e.to_string()))?;
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
            self.apply_batch(batch).await?;
        }
    }

    async fn apply_batch(&self, batch: Vec<jetstream::Message>) -> Result<(), ProjectorError> {
        let name = self.projection.name();
        let mut tx = self.pool.begin().await?;
        let mut checkpoint = load_checkpoint(&mut tx, name, true).await?;
        let mut done = Vec::with_capacity(batch.len());
        let mut held_back = Vec::new();
        let mut poison = Vec::new();
        let mut to_apply = Vec::with_capacity(batch.len());
        for message in batch {
            let event: StoredEvent = match serde_json::from_slice(&message.payload) {
                Ok(event) => event,
                Err(error) => {
                    tracing::error!(projector = name, %error, "not an event envelope; terminating message");
                    poison.push(message);
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
                    stream_sequence: message.info().map(|i| i.stream_sequence).unwrap_or(0),
                };
                to_apply.push(event);
                done.push(message);
            }
        }
        if let Err(error) = self.projection.apply_batch(&mut tx, &to_apply).await {
            tracing::error!(projector = name, up_to = %checkpoint.position, %error, "projection failed");
            drop(tx);
            return Err(error.into());
        }
        let applied: Vec<_> = to_apply.iter().map(|e| e.recorded_at).collect();
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
        for message in poison {
            let _ = message.ack_with(AckKind::Term).await;
        }
        Ok(())
    }
}
