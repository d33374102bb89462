//! The notification port: what a notification is, the [`NotificationSender`]
//! a production gateway implements, and the default [`RecordingSender`],
//! which records each notification once (unique per campaign, participant
//! and kind) so it can be inspected; and how messages are worded. With a
//! gateway configured, [`super::outbox::OutboxSender`] records them for the
//! delivery job instead.

use chrono::{DateTime, Utc};
use promo_domain::entry_number::kst;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::projector::ProjectionError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    EntryConfirmation,
    Winner,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::EntryConfirmation => "ENTRY_CONFIRMATION",
            NotificationKind::Winner => "WINNER",
        }
    }

    /// The kind as stored in `notifications.kind`.
    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "ENTRY_CONFIRMATION" => Some(NotificationKind::EntryConfirmation),
            "WINNER" => Some(NotificationKind::Winner),
            _ => None,
        }
    }

    /// The kind as the gateway and the delivery record name it.
    pub fn delivery_kind(self) -> promo_domain::notification::NotificationKind {
        use promo_domain::notification::NotificationKind as Delivery;
        match self {
            NotificationKind::EntryConfirmation => Delivery::EntryConfirmed,
            NotificationKind::Winner => Delivery::Winner,
        }
    }

    /// Back from the delivery record's kind.
    pub fn of_delivery(kind: promo_domain::notification::NotificationKind) -> Self {
        use promo_domain::notification::NotificationKind as Delivery;
        match kind {
            Delivery::EntryConfirmed => NotificationKind::EntryConfirmation,
            Delivery::Winner => NotificationKind::Winner,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Notification {
    pub campaign_id: Uuid,
    pub participant_id: Uuid,
    pub kind: NotificationKind,
    /// Masked recipient, for the record; a gateway resolves the real number.
    pub recipient: String,
    pub message: String,
}

#[async_trait::async_trait]
pub trait NotificationSender: Send + Sync + 'static {
    /// Sends (or enqueues) one notification inside the projector transaction.
    /// Must be idempotent per (campaign, participant, kind).
    async fn send(
        &self,
        tx: &mut PgConnection,
        notification: &Notification,
    ) -> Result<(), ProjectionError>;

    /// Sends several at once (a burst of entries); the default sends each.
    async fn send_all(
        &self,
        tx: &mut PgConnection,
        notifications: &[Notification],
    ) -> Result<(), ProjectionError> {
        for notification in notifications {
            self.send(tx, notification).await?;
        }
        Ok(())
    }
}

/// Default sender: records the notification, once.
pub struct RecordingSender;

#[async_trait::async_trait]
impl NotificationSender for RecordingSender {
    async fn send(&self, tx: &mut PgConnection, n: &Notification) -> Result<(), ProjectionError> {
        self.send_all(tx, std::slice::from_ref(n)).await
    }

    async fn send_all(
        &self,
        tx: &mut PgConnection,
        notifications: &[Notification],
    ) -> Result<(), ProjectionError> {
        record(tx, notifications, Recorded::Only).await
    }
}

/// How a notification is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recorded {
    /// Kept for inspection only: `RECORDED`, nothing to dispatch.
    Only,
    /// In the outbox: `PENDING`, for the delivery job to send.
    ForDelivery,
}

/// Records notifications once per (campaign, participant, kind).
pub(super) async fn record(
    tx: &mut PgConnection,
    notifications: &[Notification],
    how: Recorded,
) -> Result<(), ProjectionError> {
    if notifications.is_empty() {
        return Ok(());
    }
    let (status, dispatched) = match how {
        Recorded::Only => ("RECORDED", true),
        Recorded::ForDelivery => ("PENDING", false),
    };
    sqlx::query(
        "INSERT INTO notifications (campaign_id, participant_id, kind, recipient, message, \
         delivery_status, dispatched) \
         SELECT n.*, $6, $7 FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[]) AS n \
         ON CONFLICT (campaign_id, participant_id, kind) DO NOTHING",
    )
    .bind(
        notifications
            .iter()
            .map(|n| n.campaign_id)
            .collect::<Vec<_>>(),
    )
    .bind(
        notifications
            .iter()
            .map(|n| n.participant_id)
            .collect::<Vec<_>>(),
    )
    .bind(
        notifications
            .iter()
            .map(|n| n.kind.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        notifications
            .iter()
            .map(|n| n.recipient.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        notifications
            .iter()
            .map(|n| n.message.clone())
            .collect::<Vec<_>>(),
    )
    .bind(status)
    .bind(dispatched)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub fn confirmation_message(
    store_name: &str,
    title: &str,
    entry_number: &str,
    announcement_at: Option<DateTime<Utc>>,
) -> String {
    let announcement = announcement_at
        .map(|at| {
            at.with_timezone(&kst())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "추후 안내".to_string());
    format!(
        "[{store_name}] {title} 참여가 완료되었습니다. 응모번호: {entry_number}. 당첨자 발표: {announcement}. 당첨 시 알림톡으로 안내드립니다."
    )
}

pub fn winner_message(store_name: &str, title: &str, entry_number: &str) -> String {
    format!(
        "[{store_name}] {title} 당첨을 축하드립니다! 응모번호: {entry_number}. 경품 수령 방법은 매장에서 안내드립니다."
    )
}
