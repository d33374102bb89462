//! The relay's start check: the stream must be this database's.
//!
//! The relay resumes after the event stored last on the stream. That is only
//! right if the stream's tail is the event store's own event, and if the
//! database is not older than the stream (a restored backup: its positions
//! and transaction ids would be handed out again, and events published from
//! them would be skipped or doubled downstream). So at start:
//!
//! - messages that are not the relay's (no envelope, or no `Nats-Msg-Id`
//!   equal to the envelope's `{aggregate_type}:{aggregate_id}:{sequence}`:
//!   a foreign publisher) are stepped over, from the tail back;
//! - the last relay message must exist in `events` with the same position
//!   (and content), and `pg_current_xact_id()` must be at least its
//!   transaction id.
//!
//! Otherwise the relay refuses to start, and says so in the log, in
//! `promo_relay_refused` and in `/ready`; `promo recover-stream` is the way
//! out (docs/operations.md).

use async_nats::jetstream::stream;

use crate::jetstream::JetStreamError;
use crate::provenance;
use crate::store::{GlobalPosition, StoreError, StoredEvent};

/// How many foreign messages at the tail are stepped over before refusing.
const MAX_FOREIGN_AT_TAIL: u64 = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum StartCheckError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    JetStream(#[from] JetStreamError),
    /// The stream is not this database's: a human decides (recover-stream).
    #[error("refusing to start: {0}")]
    Refused(String),
}

/// Where the relay resumes: the stream's last sequence and the position of
/// the last genuine event on it.
pub async fn resume_point(
    pool: &sqlx::PgPool,
    stream: &mut stream::Stream,
) -> Result<(u64, GlobalPosition), StartCheckError> {
    let last_sequence = stream
        .info()
        .await
        .map_err(JetStreamError::from)?
        .state
        .last_sequence;
    let lowest = last_sequence.saturating_sub(MAX_FOREIGN_AT_TAIL).max(1);
    let mut sequence = last_sequence;
    while sequence >= lowest && sequence > 0 {
        let Some(event) = relay_message(stream, sequence).await? else {
            tracing::warn!(
                alert = true,
                sequence,
                "a foreign message on the event stream (not the relay's); stepping over it"
            );
            sequence -= 1;
            continue;
        };
        let mut conn = pool.acquire().await.map_err(StoreError::from)?;
        let genuine = provenance::genuine(&mut conn, &[&event]).await?;
        if !genuine.first().copied().unwrap_or(false) {
            return Err(StartCheckError::Refused(format!(
                "the stream's last event {} at {} (stream sequence {sequence}) is not in the \
                 event store: the database is older than the stream (restored?)",
                event.message_id(),
                event.position
            )));
        }
        let current = provenance::current_transaction_id(&mut conn).await?;
        if current < event.position.transaction_id {
            return Err(StartCheckError::Refused(format!(
                "the database's transaction id {current} is below the stream's last event's {} \
                 (stream sequence {sequence}): the database is older than the stream (restored?)",
                event.position.transaction_id
            )));
        }
        return Ok((last_sequence, event.position));
    }
    if sequence == 0 {
        // Nothing on the stream is the relay's.
        return Ok((last_sequence, GlobalPosition::START));
    }
    Err(StartCheckError::Refused(format!(
        "the last {MAX_FOREIGN_AT_TAIL} messages on the stream are not the relay's"
    )))
}

/// The envelope at `sequence` if the relay published it (envelope and
/// `Nats-Msg-Id` agree); `None` for a foreign or deleted message.
pub async fn relay_message(
    stream: &stream::Stream,
    sequence: u64,
) -> Result<Option<StoredEvent>, StartCheckError> {
    let message = match stream.get_raw_message(sequence).await {
        Ok(message) => message,
        Err(error)
            if error.kind()
                == async_nats::jetstream::stream::RawMessageErrorKind::NoMessageFound =>
        {
            return Ok(None)
        }
        Err(error) => return Err(JetStreamError::from(error).into()),
    };
    let Ok(event) = serde_json::from_slice::<StoredEvent>(&message.payload) else {
        return Ok(None);
    };
    let message_id = message
        .headers
        .get("Nats-Msg-Id")
        .map(|v| v.as_str().to_string());
    Ok((message_id.as_deref() == Some(event.message_id().as_str())).then_some(event))
}
