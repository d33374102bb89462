//! The distribution consumer: `DistributionCompleted` reports from the
//! distribution system, received over NATS and recorded as events of the
//! `CampaignPerformance` aggregate, so that a replay of the event store
//! rebuilds the same dashboard.
//!
//! Subject: [`EventStreamNames::distribution_completed_subject`]
//! (`distribution.completed` for the default prefix), captured by the stream
//! `{PREFIX}_DISTRIBUTION` and read through the durable consumer
//! `distribution-completed`. A message is acked only once it is recorded, or
//! once it has been dead-lettered: anything that does not parse, names an
//! unknown campaign or breaks a rule is published to
//! [`EventStreamNames::distribution_dlq_subject`] as
//! `{reason, subject, payload, receivedAt}` and never retried. Store
//! trouble is retried (nak with a delay); nothing here can crash the service.
//! A redelivered report is harmless: a distribution is identified by its
//! `completedAt` and recorded once.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, message::AckKind, stream};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use promo_domain::channel::Channel;
use promo_domain::performance::{DistributedChannel, PerformanceCommand};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use promo_eventstore::jetstream::{ensure_stream, EventStreamNames, JetStreamError};

use crate::context::App;
use crate::performance::{record_distribution_report, ReportOutcome};

pub const CONSUMER: &str = "distribution-completed";
const ACK_WAIT: Duration = Duration::from_secs(30);
const RETRY: Duration = Duration::from_secs(1);

/// The wire form published by the distribution system.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DistributionCompletedMessage {
    event_id: Uuid,
    distributed_channels: Vec<WireChannel>,
    completed_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireChannel {
    channel: String,
    channel_type: String,
    status: String,
    expected_views: i64,
}

/// What lands on the dead-letter subject.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub reason: String,
    pub subject: String,
    /// The original body, as text (lossy if it was not UTF-8).
    pub payload: String,
    pub received_at: DateTime<Utc>,
}

/// Parses a report into the command recording it, or says why it cannot.
pub fn parse_report(payload: &[u8]) -> Result<(Uuid, PerformanceCommand), String> {
    let message: DistributionCompletedMessage =
        serde_json::from_slice(payload).map_err(|e| format!("malformed JSON: {e}"))?;
    let channels = message
        .distributed_channels
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let channel = Channel::parse(c.channel.trim()).ok_or_else(|| {
                format!(
                    "distributedChannels[{i}].channel: unknown channel {:?}",
                    c.channel
                )
            })?;
            Ok(DistributedChannel {
                channel,
                channel_type: c.channel_type,
                status: c.status,
                expected_views: c.expected_views,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((
        message.event_id,
        PerformanceCommand::RecordDistribution {
            campaign_id: message.event_id,
            distributed_channels: channels,
            completed_at: message.completed_at,
        },
    ))
}

/// Creates the distribution stream if missing, with the event stream's
/// replica count.
pub async fn ensure_distribution_stream(
    js: &jetstream::Context,
    names: &EventStreamNames,
) -> Result<stream::Stream, JetStreamError> {
    ensure_stream(
        js,
        stream::Config {
            name: names.distribution_stream_name(),
            subjects: vec![
                names.distribution_completed_subject(),
                names.distribution_dlq_subject(),
            ],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            duplicate_window: Duration::from_secs(120),
            num_replicas: names.replicas,
            ..Default::default()
        },
    )
    .await
}

pub struct DistributionConsumer {
    pub app: Arc<App>,
    pub jetstream: jetstream::Context,
    pub names: EventStreamNames,
}

impl DistributionConsumer {
    /// Runs until cancelled, restarting with backoff after any error.
    pub async fn run(self, cancel: CancellationToken) {
        promo_eventstore::supervise::restart_on_error("distribution consumer", &cancel, || {
            self.consume(&cancel)
        })
        .await;
    }

    async fn consume(&self, cancel: &CancellationToken) -> Result<(), String> {
        let stream = ensure_distribution_stream(&self.jetstream, &self.names)
            .await
            .map_err(|e| e.to_string())?;
        let consumer: consumer::PullConsumer = stream
            .get_or_create_consumer(
                CONSUMER,
                consumer::pull::Config {
                    durable_name: Some(CONSUMER.to_string()),
                    filter_subject: self.names.distribution_completed_subject(),
                    ack_policy: consumer::AckPolicy::Explicit,
                    ack_wait: ACK_WAIT,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
        tracing::info!(subject = %self.names.distribution_completed_subject(), "distribution consumer listening");
        loop {
            let next = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                next = messages.next() => next,
            };
            let message = next
                .ok_or_else(|| "message stream ended".to_string())?
                .map_err(|e| e.to_string())?;
            let outcome = self.record(&message.payload).await;
            let ack = match outcome {
                ReportOutcome::Recorded => AckKind::Ack,
                ReportOutcome::Rejected(reason) => {
                    match self.dead_letter(&message, &reason).await {
                        Ok(()) => {
                            tracing::warn!(%reason, "distribution report dead-lettered");
                            AckKind::Term
                        }
                        Err(error) => {
                            tracing::warn!(%error, "dead-lettering failed; retrying");
                            AckKind::Nak(Some(RETRY))
                        }
                    }
                }
                ReportOutcome::Retry(error) => {
                    tracing::warn!(%error, "recording a distribution report failed; retrying");
                    AckKind::Nak(Some(RETRY))
                }
            };
            if let Err(error) = message.ack_with(ack).await {
                tracing::warn!(%error, "acknowledging a distribution report failed");
            }
        }
    }

    async fn record(&self, payload: &[u8]) -> ReportOutcome {
        match parse_report(payload) {
            Ok((campaign_id, report)) => {
                record_distribution_report(&self.app, campaign_id, report).await
            }
            Err(reason) => ReportOutcome::Rejected(reason),
        }
    }

    async fn dead_letter(&self, message: &jetstream::Message, reason: &str) -> Result<(), String> {
        let letter = DeadLetter {
            reason: reason.to_string(),
            subject: message.subject.to_string(),
            payload: String::from_utf8_lossy(&message.payload).into_owned(),
            received_at: Utc::now(),
        };
        let body = serde_json::to_vec(&letter).map_err(|e| e.to_string())?;
        self.jetstream
            .publish(self.names.distribution_dlq_subject(), body.into())
            .await
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_parses_into_a_distribution_command() {
        let (id, command) = parse_report(
            br#"{"eventId":"00000000-0000-0000-0000-00000000002a",
                 "distributedChannels":[{"channel":"URIDONGNETV","channelType":"TV","status":"SUCCESS","expectedViews":5000}],
                 "completedAt":"2025-10-29T01:00:00Z","extra":true}"#,
        )
        .unwrap();
        assert_eq!(id, Uuid::from_u128(42));
        let PerformanceCommand::RecordDistribution {
            distributed_channels,
            ..
        } = command
        else {
            panic!("not a distribution: {command:?}");
        };
        assert_eq!(distributed_channels[0].channel, Channel::Uridongnetv);
        assert_eq!(distributed_channels[0].expected_views, 5000);
    }

    #[test]
    fn bad_reports_say_why() {
        assert!(parse_report(b"not json")
            .unwrap_err()
            .starts_with("malformed JSON"));
        assert!(parse_report(
            br#"{"eventId":"x","distributedChannels":[],"completedAt":"2025-10-29T01:00:00Z"}"#
        )
        .unwrap_err()
        .starts_with("malformed JSON"));
        let unknown = parse_report(
            br#"{"eventId":"00000000-0000-0000-0000-00000000002a",
                 "distributedChannels":[{"channel":"MYSPACE","channelType":"SNS","status":"SUCCESS","expectedViews":1}],
                 "completedAt":"2025-10-29T01:00:00Z"}"#,
        )
        .unwrap_err();
        assert!(
            unknown.contains("distributedChannels[0].channel"),
            "{unknown}"
        );
    }

    #[test]
    fn subjects_follow_the_prefix() {
        let production = EventStreamNames::new("promo");
        assert_eq!(
            production.distribution_completed_subject(),
            "distribution.completed"
        );
        assert_eq!(
            production.distribution_dlq_subject(),
            "distribution.completed.dlq"
        );
        assert_eq!(production.distribution_stream_name(), "PROMO_DISTRIBUTION");
        let test = EventStreamNames::new("t1234");
        assert_eq!(
            test.distribution_completed_subject(),
            "t1234.distribution.completed"
        );
        assert_eq!(test.distribution_stream_name(), "T1234_DISTRIBUTION");
    }
}
