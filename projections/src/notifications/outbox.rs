//! The notifications table as a delivery outbox.
//!
//! With a gateway configured, [`OutboxSender`] records each notification
//! `PENDING` inside the projector transaction (once per campaign,
//! participant and kind, like every sender). The delivery job then reads
//! what is due ([`due`]), sends it, records each attempt's outcome as a
//! `NotificationSent` / `NotificationFailed` event, and keeps its own
//! bookkeeping columns ([`retry_at`], [`settle`]): `next_attempt_at` and
//! `dispatched` are written by the job alone. The status the owner sees
//! (`delivery_status`, `attempts`, …) is written by the notifications
//! projector from those events ([`apply_outcome`]), so it never runs ahead
//! of what is recorded.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use promo_domain::notification::NotificationEvent;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::sender::{record, Recorded};
use super::{Notification, NotificationKind, NotificationSender};
use crate::projector::ProjectionError;

/// Records notifications for the delivery job (`PENDING`).
pub struct OutboxSender;

#[async_trait::async_trait]
impl NotificationSender for OutboxSender {
    async fn send(&self, tx: &mut PgConnection, n: &Notification) -> Result<(), ProjectionError> {
        self.send_all(tx, std::slice::from_ref(n)).await
    }

    async fn send_all(
        &self,
        tx: &mut PgConnection,
        notifications: &[Notification],
    ) -> Result<(), ProjectionError> {
        record(tx, notifications, Recorded::ForDelivery).await
    }
}

/// Applies a delivery outcome to the status columns. Never downgrades a
/// `SENT` row; attempts only grow; redelivery changes nothing.
pub(super) async fn apply_outcome(
    tx: &mut PgConnection,
    event: &NotificationEvent,
) -> Result<(), ProjectionError> {
    let (campaign_id, participant_id, kind, attempt, status, error, at, sent_at) = match event {
        NotificationEvent::NotificationSent {
            campaign_id,
            participant_id,
            kind,
            attempt,
            sent_at,
            ..
        } => (
            campaign_id,
            participant_id,
            kind,
            attempt,
            "SENT",
            None,
            sent_at,
            Some(*sent_at),
        ),
        NotificationEvent::NotificationFailed {
            campaign_id,
            participant_id,
            kind,
            attempt,
            reason,
            is_final,
            failed_at,
        } => (
            campaign_id,
            participant_id,
            kind,
            attempt,
            if *is_final { "FAILED" } else { "PENDING" },
            Some(reason.as_str()),
            failed_at,
            None,
        ),
    };
    sqlx::query(
        "UPDATE notifications SET \
           delivery_status = CASE WHEN delivery_status = 'SENT' THEN 'SENT' ELSE $4 END, \
           attempts = greatest(attempts, $5), last_attempt_at = greatest(last_attempt_at, $6), \
           last_error = CASE WHEN $4 = 'SENT' THEN last_error ELSE $7 END, \
           sent_at = coalesce(sent_at, $8) \
         WHERE campaign_id = $1 AND participant_id = $2 AND kind = $3 AND attempts < $5",
    )
    .bind(campaign_id)
    .bind(participant_id)
    .bind(NotificationKind::of_delivery(*kind).as_str())
    .bind(status)
    .bind(i32::try_from(*attempt).unwrap_or(i32::MAX))
    .bind(at)
    .bind(error)
    .bind(sent_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A notification the delivery job has to send.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxItem {
    pub id: i64,
    pub campaign_id: Uuid,
    pub participant_id: Uuid,
    pub kind: String,
    pub message: String,
}

/// Undispatched notifications whose next attempt is due at `now`, oldest first.
pub async fn due(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<OutboxItem>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, campaign_id, participant_id, kind, message FROM notifications \
         WHERE NOT dispatched AND (next_attempt_at IS NULL OR next_attempt_at <= $1) \
         ORDER BY next_attempt_at NULLS FIRST, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The next attempt of `id` waits until `at`.
pub async fn retry_at(pool: &PgPool, id: i64, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE notifications SET next_attempt_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at)
        .execute(pool)
        .await?;
    Ok(())
}

/// Nothing is left to do for `id` (sent, or given up).
pub async fn settle(pool: &PgPool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE notifications SET dispatched = true WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// How a notification's delivery stands, as the owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryStatus {
    pub participant_id: Uuid,
    /// `RECORDED` (no gateway: kept only), `PENDING`, `SENT` or `FAILED`.
    pub delivery_status: String,
    pub attempts: i32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// The delivery status of the `kind` notification of each given participant.
pub async fn statuses(
    pool: &PgPool,
    campaign_id: Uuid,
    kind: NotificationKind,
    participant_ids: &[Uuid],
) -> Result<HashMap<Uuid, DeliveryStatus>, sqlx::Error> {
    let rows: Vec<DeliveryStatus> = sqlx::query_as(
        "SELECT participant_id, delivery_status, attempts, last_attempt_at, sent_at, last_error \
         FROM notifications WHERE campaign_id = $1 AND kind = $2 AND participant_id = ANY($3)",
    )
    .bind(campaign_id)
    .bind(kind.as_str())
    .bind(participant_ids)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.participant_id, r)).collect())
}
