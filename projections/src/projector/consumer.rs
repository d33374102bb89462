//! A projector's JetStream consumer: created afresh at the checkpoint on
//! every start, and pulled with a short idle heartbeat so that the loss of
//! the NATS server leading it is noticed in seconds.

use std::time::Duration;

use async_nats::jetstream::{consumer, stream};

use super::{Checkpoint, ProjectorError, MAX_BATCH};

/// Messages a projector may hold unacknowledged (four batches), and for
/// how long.
const MAX_ACK_PENDING: i64 = (MAX_BATCH * 4) as i64;
const ACK_WAIT: Duration = Duration::from_secs(10);
/// When the server leading the consumer dies, the pull request it held
/// dies with it: the new leader never answers it, and nothing arrives
/// again. Missing heartbeats are the only sign, reported after two of
/// them; async-nats's default (15 s) left a projector idle for 30 s while
/// entries went on (the scale-out test). Pull requests expire well before
/// that anyway and are renewed.
const HEARTBEAT: Duration = Duration::from_secs(3);
const PULL_EXPIRES: Duration = Duration::from_secs(15);

/// Deletes the durable consumer `name` and creates it again to deliver
/// from the stream sequence after `checkpoint` (the checkpoint, not the
/// consumer's ack state, is the truth), then starts pulling.
pub async fn open(
    stream: &stream::Stream,
    name: &str,
    checkpoint: Checkpoint,
) -> Result<consumer::pull::Stream, ProjectorError> {
    let _ = stream.delete_consumer(name).await;
    let deliver_policy = if checkpoint.stream_sequence == 0 {
        consumer::DeliverPolicy::All
    } else {
        consumer::DeliverPolicy::ByStartSequence {
            start_sequence: checkpoint.stream_sequence + 1,
        }
    };
    let consumer = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(name.to_string()),
            deliver_policy,
            // Acking a message acks everything before it: one ack per
            // batch instead of one per event.
            ack_policy: consumer::AckPolicy::All,
            ack_wait: ACK_WAIT,
            max_ack_pending: MAX_ACK_PENDING,
            ..Default::default()
        })
        .await
        .map_err(|e| ProjectorError::Consumer(e.to_string()))?;
    consumer
        .stream()
        .heartbeat(HEARTBEAT)
        .expires(PULL_EXPIRES)
        .messages()
        .await
        .map_err(|e| ProjectorError::Consumer(e.to_string()))
}
