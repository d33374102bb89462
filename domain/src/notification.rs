//! The notification delivery aggregate: one per (campaign, participant,
//! kind), recording the outcome of every attempt to hand a notification to
//! the gateway (`NOTIFY_URL`). Its id is [`delivery_id`].
//!
//! Rules: attempts are numbered 1, 2, … by the aggregate; once an attempt
//! succeeded (`NotificationSent`) nothing more is recorded, so there is
//! exactly one recorded success per (participant, kind); a failure is final
//! when it cannot be retried (a 4xx answer, no phone number left) or the
//! attempt budget is spent, and nothing is recorded after it either.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a notification is about, as the gateway receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotificationKind {
    /// The entry confirmation (참여 완료 알림).
    EntryConfirmed,
    /// The winner notice, to drawn winners and promoted alternates.
    Winner,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::EntryConfirmed => "ENTRY_CONFIRMED",
            NotificationKind::Winner => "WINNER",
        }
    }
}

/// The aggregate id of a delivery: `{campaign}:{participant}:{KIND}`. Also
/// the gateway's `Idempotency-Key`, stable per (participant, kind) across
/// attempts, restarts and processes.
pub fn delivery_id(campaign_id: Uuid, participant_id: Uuid, kind: NotificationKind) -> String {
    format!("{campaign_id}:{participant_id}:{}", kind.as_str())
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The gateway answered 2xx.
    Delivered { http_status: u16 },
    /// Anything else; `retryable` for timeouts, connection errors, 5xx, 429.
    Failed { reason: String, retryable: bool },
}

/// `RecordAttempt`: the outcome of the next attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAttempt {
    pub campaign_id: Uuid,
    pub participant_id: Uuid,
    pub kind: NotificationKind,
    pub outcome: AttemptOutcome,
    /// Attempts allowed in all; the failure of the last one is final.
    pub max_attempts: u32,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all_fields = "camelCase")]
pub enum NotificationEvent {
    NotificationSent {
        campaign_id: Uuid,
        participant_id: Uuid,
        kind: NotificationKind,
        attempt: u32,
        http_status: u16,
        sent_at: DateTime<Utc>,
    },
    NotificationFailed {
        campaign_id: Uuid,
        participant_id: Uuid,
        kind: NotificationKind,
        attempt: u32,
        reason: String,
        /// No further attempt will be made.
        #[serde(rename = "final")]
        is_final: bool,
        failed_at: DateTime<Utc>,
    },
}

impl DomainEvent for NotificationEvent {
    fn event_type(&self) -> String {
        match self {
            NotificationEvent::NotificationSent { .. } => "NotificationSent",
            NotificationEvent::NotificationFailed { .. } => "NotificationFailed",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    /// A success was recorded before: nothing more is recorded.
    #[error("the notification was sent already")]
    AlreadySent,
    /// A final failure was recorded before.
    #[error("delivery of the notification was given up")]
    GaveUp,
    /// The attempt names another notification than the aggregate's.
    #[error("the attempt belongs to another notification")]
    OtherNotification,
}

/// State: attempts so far and how delivery ended, if it did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationDelivery {
    pub key: Option<(Uuid, Uuid, NotificationKind)>,
    pub attempts: u32,
    pub sent: bool,
    pub gave_up: bool,
}

impl NotificationDelivery {
    /// Nothing more will be attempted.
    pub fn settled(&self) -> bool {
        self.sent || self.gave_up
    }
}

/// Pure decision for an attempt's outcome.
pub fn decide_attempt(
    state: &NotificationDelivery,
    command: RecordAttempt,
) -> Result<NotificationEvent, NotificationError> {
    if state.sent {
        return Err(NotificationError::AlreadySent);
    }
    if state.gave_up {
        return Err(NotificationError::GaveUp);
    }
    let key = (command.campaign_id, command.participant_id, command.kind);
    if state.key.is_some_and(|k| k != key) {
        return Err(NotificationError::OtherNotification);
    }
    let attempt = state.attempts.saturating_add(1);
    Ok(match command.outcome {
        AttemptOutcome::Delivered { http_status } => NotificationEvent::NotificationSent {
            campaign_id: command.campaign_id,
            participant_id: command.participant_id,
            kind: command.kind,
            attempt,
            http_status,
            sent_at: command.at,
        },
        AttemptOutcome::Failed { reason, retryable } => NotificationEvent::NotificationFailed {
            campaign_id: command.campaign_id,
            participant_id: command.participant_id,
            kind: command.kind,
            attempt,
            reason,
            is_final: !retryable || attempt >= command.max_attempts,
            failed_at: command.at,
        },
    })
}

impl Aggregate for NotificationDelivery {
    const TYPE: &'static str = "Notification";
    type Command = RecordAttempt;
    type Event = NotificationEvent;
    type Error = NotificationError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let event = decide_attempt(self, command)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            NotificationEvent::NotificationSent {
                campaign_id,
                participant_id,
                kind,
                attempt,
                ..
            } => {
                self.key = Some((campaign_id, participant_id, kind));
                self.attempts = attempt;
                self.sent = true;
            }
            NotificationEvent::NotificationFailed {
                campaign_id,
                participant_id,
                kind,
                attempt,
                is_final,
                ..
            } => {
                self.key = Some((campaign_id, participant_id, kind));
                self.attempts = attempt;
                self.gave_up = is_final;
            }
        }
    }
}

#[cfg(test)]
mod tests;
