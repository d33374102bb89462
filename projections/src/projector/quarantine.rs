//! Foreign messages: anything on the event stream that is not the event
//! store's own event (not an envelope, or an envelope that does not match
//! its row in `events`, or has none: a forged publish by a third-party
//! client). Such a message is never applied: it is set aside, as received,
//! to `{prefix}.quarantine` (stream `{PREFIX}_QUARANTINE`) with headers
//! naming why, where and when, with an alert log line and
//! `promo_quarantined{projector}`; the projector goes on.

use async_nats::jetstream::{self, message::PublishMessage};

use promo_eventstore::jetstream::EventStreamNames;

/// Sets `message` aside. Every projector meets the same foreign message;
/// the message id `{stream}:{stream sequence}` keeps one copy.
pub async fn set_aside(
    js: &jetstream::Context,
    names: &EventStreamNames,
    projector: &str,
    message: &jetstream::Message,
    reason: &str,
) -> Result<(), String> {
    let sequence = message.info().map(|i| i.stream_sequence).unwrap_or(0);
    tracing::error!(
        alert = true,
        projector,
        subject = %message.subject,
        stream_sequence = sequence,
        reason,
        "foreign message on the event stream: quarantined, not applied"
    );
    let publish = PublishMessage::build()
        .payload(message.payload.clone())
        .message_id(format!("{}:{sequence}", names.stream_name()))
        .header("Promo-Quarantine-Reason", reason)
        .header("Promo-Quarantine-Subject", message.subject.as_str())
        .header(
            "Promo-Quarantine-Stream-Sequence",
            sequence.to_string().as_str(),
        )
        .header("Promo-Quarantine-Projector", projector);
    let ack = js
        .send_publish(names.quarantine_subject(), publish)
        .await
        .map_err(|e| e.to_string())?;
    ack.await.map_err(|e| e.to_string())?;
    Ok(())
}
