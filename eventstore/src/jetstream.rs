//! Names and setup of the JetStream stream that carries domain events.
//!
//! Every deployment (and every test) has a subject prefix; the stream is
//! `{PREFIX}_EVENTS` over subjects `{prefix}.events.>`, and each event goes to
//! `{prefix}.events.{AggregateType}.{EventType}`.

use std::time::Duration;

use async_nats::jetstream::{self, stream};

use crate::store::{GlobalPosition, StoredEvent};

#[derive(Debug, thiserror::Error)]
pub enum JetStreamError {
    #[error("creating the stream: {0}")]
    CreateStream(#[from] jetstream::context::CreateStreamError),
    #[error("reading stream info: {0}")]
    Info(#[from] jetstream::stream::InfoError),
    #[error("reading the stream's last message: {0}")]
    RawMessage(#[from] jetstream::stream::RawMessageError),
    #[error("the stream's last message is not an event envelope: {0}")]
    Envelope(#[from] serde_json::Error),
}

/// The production subject prefix.
pub const DEFAULT_PREFIX: &str = "promo";

/// Subject and stream names for one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStreamNames {
    pub prefix: String,
}

impl EventStreamNames {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    pub fn stream_name(&self) -> String {
        let sanitized: String = self
            .prefix
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("{sanitized}_EVENTS")
    }

    pub fn all_events_subject(&self) -> String {
        format!("{}.events.>", self.prefix)
    }

    pub fn event_subject(&self, event: &StoredEvent) -> String {
        format!(
            "{}.events.{}.{}",
            self.prefix, event.aggregate_type, event.event_type
        )
    }

    /// Where the distribution system announces completed distributions:
    /// `distribution.completed` (the SPEC's subject) for the default prefix
    /// `promo`; `{prefix}.distribution.completed` for any other prefix, so
    /// that tests and side-by-side deployments on one NATS server each have
    /// their own.
    pub fn distribution_completed_subject(&self) -> String {
        if self.prefix == DEFAULT_PREFIX {
            "distribution.completed".to_string()
        } else {
            format!("{}.distribution.completed", self.prefix)
        }
    }

    /// Dead letters of the distribution consumer: messages it cannot record,
    /// with the reason.
    pub fn distribution_dlq_subject(&self) -> String {
        format!("{}.dlq", self.distribution_completed_subject())
    }

    /// `{PREFIX}_DISTRIBUTION`: the stream capturing the distribution subject
    /// and its dead letters.
    pub fn distribution_stream_name(&self) -> String {
        self.stream_name().trim_end_matches("_EVENTS").to_string() + "_DISTRIBUTION"
    }

    /// Where projectors set aside messages found on the event stream that
    /// are not the event store's (`{prefix}.quarantine`): outside
    /// `{prefix}.events.>`, so nothing quarantined is ever consumed again.
    pub fn quarantine_subject(&self) -> String {
        format!("{}.quarantine", self.prefix)
    }

    /// `{PREFIX}_QUARANTINE`: the stream keeping quarantined messages.
    pub fn quarantine_stream_name(&self) -> String {
        self.stream_name().trim_end_matches("_EVENTS").to_string() + "_QUARANTINE"
    }

    pub fn consumer_name(&self, projector: &str) -> String {
        format!("projector-{projector}")
    }
}

/// Creates the event stream if missing (file storage, kept forever, a
/// two-minute de-duplication window on `Nats-Msg-Id`).
pub async fn ensure_event_stream(
    js: &jetstream::Context,
    names: &EventStreamNames,
) -> Result<stream::Stream, JetStreamError> {
    let stream = js
        .get_or_create_stream(stream::Config {
            name: names.stream_name(),
            subjects: vec![names.all_events_subject()],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            duplicate_window: Duration::from_secs(120),
            allow_direct: true,
            ..Default::default()
        })
        .await?;
    Ok(stream)
}

/// Creates the quarantine stream if missing (kept forever; a two-minute
/// de-duplication window, so the same message set aside by every projector
/// is kept once).
pub async fn ensure_quarantine_stream(
    js: &jetstream::Context,
    names: &EventStreamNames,
) -> Result<stream::Stream, JetStreamError> {
    let stream = js
        .get_or_create_stream(stream::Config {
            name: names.quarantine_stream_name(),
            subjects: vec![names.quarantine_subject()],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            duplicate_window: Duration::from_secs(120),
            allow_direct: true,
            ..Default::default()
        })
        .await?;
    Ok(stream)
}

/// The stream's last sequence and the global position of the event stored
/// there (the relay's ground truth of what is already published).
pub async fn stream_tail(
    stream: &mut stream::Stream,
) -> Result<(u64, GlobalPosition), JetStreamError> {
    let last_sequence = stream.info().await?.state.last_sequence;
    if last_sequence == 0 {
        return Ok((0, GlobalPosition::START));
    }
    let message = stream.get_raw_message(last_sequence).await?;
    let event: StoredEvent = serde_json::from_slice(&message.payload)?;
    Ok((last_sequence, event.position))
}
