//! Entry confirmations and winner notices (KakaoTalk 알림톡 in production)
//! through a pluggable [`NotificationSender`]. The notifications projector words each message
//! from its own small campaign table and hands it to the sender inside the
//! projector transaction, so a redelivered event never notifies twice.
//!
//! The default [`RecordingSender`] records each notification in the
//! `notifications` table (unique per campaign, participant and kind) where it
//! can be inspected. With a gateway configured (`NOTIFY_URL`),
//! [`outbox::OutboxSender`] records them as the delivery job's outbox,
//! keeping the same once-only key, and this projector writes each
//! recorded delivery outcome back onto the row (see [`outbox`]). Promoted
//! alternates get their `WINNER` notice like drawn winners.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use promo_domain::campaign::CampaignEvent;
use promo_domain::participation::ParticipationEvent;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::participants::masked_personal_data;
use crate::projector::{segments, Projection, ProjectionError, Segment};
use promo_domain::draw::{DrawEvent, DrawnEntrant};
use promo_eventstore::codec::DomainEvent;
use promo_eventstore::secrets::SecretStore;
use promo_eventstore::store::StoredEvent;

pub const NAME: &str = "notifications";

pub mod outbox;
mod sender;
pub use sender::{
    confirmation_message, winner_message, Notification, NotificationKind, NotificationSender,
    RecordingSender,
};

pub struct NotificationsProjection {
    pub secrets: Arc<SecretStore>,
    pub sender: Arc<dyn NotificationSender>,
}

/// Shown when the notifications projector never saw the winner's entry.
pub const UNKNOWN_RECIPIENT: &str = "(알 수 없음)";

/// One `WINNER` notification per winner (drawn, or an alternate promoted
/// later), worded from this projector's own tables; the sender's unique key
/// keeps it once-only.
async fn notify_winners(
    sender: &dyn NotificationSender,
    tx: &mut PgConnection,
    campaign_id: Uuid,
    winners: &[DrawnEntrant],
) -> Result<(), ProjectionError> {
    let campaign =
        sqlx::query("SELECT store_name, title FROM notification_campaigns WHERE campaign_id = $1")
            .bind(campaign_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (store_name, title) = match campaign {
        Some(row) => (
            row.try_get::<String, _>("store_name")?,
            row.try_get::<Option<String>, _>("title")?
                .unwrap_or_default(),
        ),
        None => (String::new(), String::new()),
    };
    let ids: Vec<Uuid> = winners.iter().map(|w| w.participant_id).collect();
    let recipients: HashMap<Uuid, String> = sqlx::query_as::<_, (Uuid, String)>(
        "SELECT participant_id, recipient_masked FROM notification_participants \
         WHERE campaign_id = $1 AND participant_id = ANY($2)",
    )
    .bind(campaign_id)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    for winner in winners {
        let recipient = match recipients.get(&winner.participant_id) {
            Some(recipient) => recipient.clone(),
            None => {
                tracing::warn!(participant_id = %winner.participant_id,
                    "winner's entry was never seen by the notifications projector");
                UNKNOWN_RECIPIENT.to_string()
            }
        };
        let notification = Notification {
            campaign_id,
            participant_id: winner.participant_id,
            kind: NotificationKind::Winner,
            recipient,
            message: winner_message(&store_name, &title, &winner.entry_number),
        };
        sender.send(tx, &notification).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl Projection for NotificationsProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    /// A run of entries: one campaign lookup, one insert of the kept
    /// recipients and one `send_all`; anything else flushes and applies.
    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for segment in segments(events) {
            match segment {
                Segment::Registrations(run) => {
                    let mut entries = Vec::with_capacity(run.len());
                    for event in run {
                        entries.push(self.entry(event).await?);
                    }
                    self.confirm(tx, entries).await?;
                }
                Segment::Other(event) => self.apply(tx, event).await?,
            }
        }
        Ok(())
    }

    /// One arm per aggregate; the campaign arm keeps the small campaign
    /// table the messages are worded from. Long only because of the SQL.
    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let decoded = event
            .decode()
            .map_err(|e| ProjectionError::undecodable(event, e))?;
        match decoded {
            DomainEvent::Campaign(decoded) => {
                match decoded {
                    CampaignEvent::CampaignDraftCreated {
                        campaign_id, store, ..
                    } => {
                        sqlx::query(
                            "INSERT INTO notification_campaigns (campaign_id, store_name) VALUES ($1, $2) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(campaign_id)
                        .bind(store.store_name)
                        .execute(&mut *tx)
                        .await?;
                    }
                    CampaignEvent::CampaignDraftEdited {
                        campaign_id, store, ..
                    } => {
                        sqlx::query(
                            "UPDATE notification_campaigns SET store_name = $2 WHERE campaign_id = $1",
                        )
                        .bind(campaign_id)
                        .bind(store.store_name)
                        .execute(&mut *tx)
                        .await?;
                    }
                    CampaignEvent::CampaignPublished {
                        campaign_id,
                        details,
                        ..
                    } => {
                        sqlx::query(
                            "UPDATE notification_campaigns SET title = $2, announcement_at = $3 WHERE campaign_id = $1",
                        )
                        .bind(campaign_id)
                        .bind(details.title)
                        .bind(details.announcement_at)
                        .execute(&mut *tx)
                        .await?;
                    }
                    CampaignEvent::CampaignEnded { .. } => {}
                    CampaignEvent::PersonalDataErased { campaign_id, .. } => {
                        // Recipients are masked already; after crypto-shredding
                        // not even the masked form stays.
                        sqlx::query(
                            "UPDATE notifications SET recipient = $2 WHERE campaign_id = $1",
                        )
                        .bind(campaign_id)
                        .bind(crate::participants::ERASED)
                        .execute(&mut *tx)
                        .await?;
                        sqlx::query(
                            "UPDATE notification_participants SET recipient_masked = $2 \
                             WHERE campaign_id = $1",
                        )
                        .bind(campaign_id)
                        .bind(crate::participants::ERASED)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            DomainEvent::Participation(_) => {
                self.apply_batch(tx, std::slice::from_ref(event)).await?
            }
            DomainEvent::Draw(DrawEvent::WinnersDrawn(draw)) => {
                notify_winners(self.sender.as_ref(), tx, draw.campaign_id, &draw.winners).await?;
            }
            DomainEvent::Draw(DrawEvent::AlternatePromoted(promoted)) => {
                let winner = DrawnEntrant {
                    rank: promoted.rank,
                    participant_id: promoted.participant_id,
                    pid: promoted.pid,
                    entry_number: promoted.entry_number,
                };
                notify_winners(self.sender.as_ref(), tx, promoted.campaign_id, &[winner]).await?;
            }
            DomainEvent::Draw(_) => {}
            DomainEvent::Notification(outcome) => outbox::apply_outcome(tx, &outcome).await?,
            DomainEvent::Performance(_) | DomainEvent::Access(_) => {}
        }
        Ok(())
    }
}

/// What an entry confirmation needs from one `ParticipantRegistered`.
struct Entry {
    campaign_id: Uuid,
    participant_id: Uuid,
    entry_number: String,
    recipient: String,
}

impl NotificationsProjection {
    async fn entry(&self, event: &StoredEvent) -> Result<Entry, ProjectionError> {
        let decoded = crate::projector::decode::<ParticipationEvent>(event)?;
        let ParticipationEvent::ParticipantRegistered {
            participant_id,
            campaign_id,
            entry_number,
            personal_data,
            ..
        } = decoded;
        let masked =
            masked_personal_data(&self.secrets, campaign_id, participant_id, &personal_data)
                .await?;
        Ok(Entry {
            campaign_id,
            participant_id,
            entry_number,
            recipient: masked.phone,
        })
    }

    /// Keeps each entrant's masked recipient (for a later winner notice)
    /// and confirms each entry.
    async fn confirm(
        &self,
        tx: &mut PgConnection,
        entries: Vec<Entry>,
    ) -> Result<(), ProjectionError> {
        if entries.is_empty() {
            return Ok(());
        }
        let campaign_ids: Vec<Uuid> = entries.iter().map(|e| e.campaign_id).collect();
        let rows = sqlx::query(
            "SELECT campaign_id, store_name, title, announcement_at FROM notification_campaigns \
             WHERE campaign_id = ANY($1)",
        )
        .bind(&campaign_ids)
        .fetch_all(&mut *tx)
        .await?;
        let mut campaigns = std::collections::HashMap::new();
        for row in rows {
            campaigns.insert(
                row.try_get::<Uuid, _>("campaign_id")?,
                (
                    row.try_get::<String, _>("store_name")?,
                    row.try_get::<Option<String>, _>("title")?
                        .unwrap_or_default(),
                    row.try_get::<Option<DateTime<Utc>>, _>("announcement_at")?,
                ),
            );
        }
        sqlx::query(
            "INSERT INTO notification_participants (campaign_id, participant_id, recipient_masked, entry_number) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING",
        )
        .bind(&campaign_ids)
        .bind(entries.iter().map(|e| e.participant_id).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.recipient.clone()).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.entry_number.clone()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        let unknown = (String::new(), String::new(), None);
        let notifications: Vec<Notification> = entries
            .into_iter()
            .map(|entry| {
                let (store_name, title, announcement_at) =
                    campaigns.get(&entry.campaign_id).unwrap_or(&unknown);
                Notification {
                    campaign_id: entry.campaign_id,
                    participant_id: entry.participant_id,
                    kind: NotificationKind::EntryConfirmation,
                    message: confirmation_message(
                        store_name,
                        title,
                        &entry.entry_number,
                        *announcement_at,
                    ),
                    recipient: entry.recipient,
                }
            })
            .collect();
        self.sender.send_all(tx, &notifications).await
    }
}
