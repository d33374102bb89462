//! Names and setup of the JetStream stream that carries domain events.
//!
//! Every deployment (and every test) has a subject prefix; the stream is
//! `{PREFIX}_EVENTS` over subjects `{prefix}.events.>`, and each event goes to
//! `{prefix}.events.{AggregateType}.{EventType}`.
//!
//! On a NATS cluster every stream is kept by `replicas` servers (R3 on a
//! three-node cluster, docs/deployment.md); consumers inherit the count.

use std::time::Duration;

use async_nats::jetstream::{self, stream};

use crate::store::{GlobalPosition, StoredEvent};

#[derive(Debug, thiserror::Error)]
pub enum JetStreamError {
    #[error("creating the stream: {0}")]
    CreateStream(#[from] jetstream::context::CreateStreamError),
    #[error("reading stream info: {0}")]
    Info(#[from] jetstream::stream::InfoError),
    #[error("getting the stream: {0}")]
    GetStream(#[from] jetstream::context::GetStreamError),
    #[error("reading the stream's last message: {0}")]
    RawMessage(#[from] jetstream::stream::RawMessageError),
    #[error("no answer from JetStream within {0:?}")]
    TimedOut(Duration),
    #[error("the stream's last message is not an event envelope: {0}")]
    Envelope(#[from] serde_json::Error),
}

/// The production subject prefix.
pub const DEFAULT_PREFIX: &str = "promo";

/// At most this many copies of a stream (JetStream's own limit).
pub const MAX_REPLICAS: usize = 5;

/// Subject and stream names for one prefix, and how many servers keep
/// each of its streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStreamNames {
    pub prefix: String,
    /// Copies of every stream, each on another server of the cluster
    /// (`NATS_STREAM_REPLICAS`, 1..=[`MAX_REPLICAS`]; 1 on a single server).
    pub replicas: usize,
}

impl EventStreamNames {
    /// Names for `prefix`, on a single server (one copy).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            replicas: 1,
        }
    }

    /// The same names with streams kept by `replicas` servers.
    pub fn with_replicas(self, replicas: usize) -> Self {
        Self { replicas, ..self }
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
    ensure_stream(
        js,
        stream::Config {
            name: names.stream_name(),
            subjects: vec![names.all_events_subject()],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            duplicate_window: Duration::from_secs(120),
            allow_direct: true,
            num_replicas: names.replicas,
            ..Default::default()
        },
    )
    .await
}

/// [`ensure_event_stream`], tried again until `budget` is spent. Instances
/// started together race to create a replicated stream, and on a busy
/// cluster one request can time out while the servers are still agreeing
/// on another instance's creation: a start must not fail on that.
pub async fn ensure_event_stream_within(
    js: &jetstream::Context,
    names: &EventStreamNames,
    budget: Duration,
) -> Result<stream::Stream, JetStreamError> {
    let deadline = tokio::time::Instant::now() + budget;
    loop {
        match tokio::time::timeout_at(deadline, ensure_event_stream(js, names)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(error)) if tokio::time::Instant::now() + RETRY_PAUSE < deadline => {
                tracing::warn!(%error, "creating the event stream; trying again");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            Ok(Err(error)) => return Err(error),
            Err(_) => return Err(JetStreamError::TimedOut(budget)),
        }
    }
}

const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// Creates the stream if missing; an existing one keeps its configuration
/// except the replica count, which is brought to the configured one:
/// `get_or_create_stream` alone would leave a stream created before
/// `NATS_STREAM_REPLICAS` was raised on one server for good. The servers
/// copy it in the background; publishing goes on meanwhile.
pub async fn ensure_stream(
    js: &jetstream::Context,
    config: stream::Config,
) -> Result<stream::Stream, JetStreamError> {
    let wanted = config.num_replicas.max(1);
    let stream = js.get_or_create_stream(config).await?;
    let current = stream.cached_info().config.clone();
    if current.num_replicas.max(1) == wanted {
        return Ok(stream);
    }
    tracing::info!(stream = %current.name, from = current.num_replicas, to = wanted,
        "changing the stream's replica count");
    let name = current.name.clone();
    js.update_stream(stream::Config {
        num_replicas: wanted,
        ..current
    })
    .await?;
    Ok(js.get_stream(name).await?)
}

/// Creates the quarantine stream if missing (kept forever; a two-minute
/// de-duplication window, so the same message set aside by every projector
/// is kept once).
pub async fn ensure_quarantine_stream(
    js: &jetstream::Context,
    names: &EventStreamNames,
) -> Result<stream::Stream, JetStreamError> {
    ensure_stream(
        js,
        stream::Config {
            name: names.quarantine_stream_name(),
            subjects: vec![names.quarantine_subject()],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            duplicate_window: Duration::from_secs(120),
            allow_direct: true,
            num_replicas: names.replicas,
            ..Default::default()
        },
    )
    .await
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
