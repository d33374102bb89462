//! Group commit for participant registrations: many concurrent entries are
//! decided and appended in one transaction (one WAL flush), without weakening
//! any guarantee of the one-command-per-transaction path:
//!
//! - The campaign's entry window is read inside the batch transaction, from
//!   the event store, so every entry is checked against the campaign as it
//!   is at commit time, and against the transaction's own start time.
//! - A registration is always sequence 1 of a brand-new aggregate, so the
//!   aggregate is not loaded at all: `INSERT … ON CONFLICT DO NOTHING
//!   RETURNING` lets the store's primary key decide, per row, which entries
//!   are new. A duplicate fails alone (`AlreadyEntered`); its neighbours in
//!   the batch commit. Duplicates inside one batch are caught before the
//!   insert.
//! - The events written are exactly what cqrs-es would write for the same
//!   decision (`decide_registration` on an empty aggregate, payload
//!   serialised the same way), so the rest of the system cannot tell.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use cqrs_es::{Aggregate, DomainEvent};
use promo_domain::campaign::{Campaign, CampaignEvent};
use promo_domain::participation::{
    decide_registration, ensure_entry_window_open, Participation, ParticipationError,
    RegisterParticipant,
};
use sqlx::{PgPool, Row};
use tokio::sync::{mpsc, oneshot, Mutex, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::codec::{self, Decoded};
use crate::metrics::Metrics;

/// Largest batch one transaction takes.
const MAX_BATCH: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error(transparent)]
    Rule(#[from] ParticipationError),
    #[error("campaign not found")]
    CampaignNotFound,
    #[error("event store unavailable: {0}")]
    Unavailable(String),
}

struct Pending {
    command: RegisterParticipant,
    reply: oneshot::Sender<Result<(), RegistrationError>>,
}

/// Handle used by request handlers; cheap to clone.
#[derive(Clone)]
pub struct RegistrationBatcher {
    sender: mpsc::Sender<Pending>,
}

impl RegistrationBatcher {
    /// Starts `workers` batch writers. On cancel they write what is already
    /// queued, then stop; later registrations are refused as unavailable.
    pub fn start(
        pool: PgPool,
        workers: usize,
        metrics: Metrics,
        wakeup: Arc<Notify>,
        cancel: CancellationToken,
    ) -> (Self, Vec<JoinHandle<()>>) {
        let (sender, receiver) = mpsc::channel::<Pending>(MAX_BATCH * workers * 4);
        let receiver = Arc::new(Mutex::new(receiver));
        let handles = (0..workers.max(1))
            .map(|_| {
                tokio::spawn(work(
                    pool.clone(),
                    receiver.clone(),
                    metrics.clone(),
                    wakeup.clone(),
                    cancel.clone(),
                ))
            })
            .collect();
        (Self { sender }, handles)
    }

    /// Appends the registration (in some batch) and reports its own outcome.
    pub async fn register(&self, command: RegisterParticipant) -> Result<(), RegistrationError> {
        let (reply, outcome) = oneshot::channel();
        self.sender
            .send(Pending { command, reply })
            .await
            .map_err(|_| RegistrationError::Unavailable("batcher stopped".into()))?;
        outcome
            .await
            .map_err(|_| RegistrationError::Unavailable("batch writer stopped".into()))?
    }
}

async fn work(
    pool: PgPool,
    receiver: Arc<Mutex<mpsc::Receiver<Pending>>>,
    metrics: Metrics,
    wakeup: Arc<Notify>,
    cancel: CancellationToken,
) {
    loop {
        // Collect: whatever is waiting, up to MAX_BATCH. While this worker
        // commits, another one collects the next batch.
        let mut batch = Vec::with_capacity(64);
        {
            let mut receiver = receiver.lock().await;
            let received = tokio::select! {
                n = receiver.recv_many(&mut batch, MAX_BATCH) => n,
                _ = cancel.cancelled() => {
                    receiver.close();
                    receiver.recv_many(&mut batch, MAX_BATCH).await
                }
            };
            if received == 0 {
                return;
            }
        }
        let outcomes = match write_batch(&pool, &batch).await {
            Ok(outcomes) => outcomes,
            Err(error) => {
                tracing::warn!(%error, size = batch.len(), "registration batch failed");
                batch
                    .iter()
                    .map(|_| Err(RegistrationError::Unavailable(error.to_string())))
                    .collect()
            }
        };
        let appended = outcomes.iter().filter(|o| o.is_ok()).count() as u64;
        if appended > 0 {
            metrics.events_appended.inc_by(appended);
            wakeup.notify_one();
        }
        for (pending, outcome) in batch.into_iter().zip(outcomes) {
            let _ = pending.reply.send(outcome);
        }
    }
}

type Outcome = Result<(), RegistrationError>;

/// Decides and appends one batch in one transaction; answers each entry.
/// Kept whole (not split into steps) because every step shares the one
/// transaction and its start time, which is what makes the batch's checks
/// and inserts a single atomic decision.
async fn write_batch(pool: &PgPool, batch: &[Pending]) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // The database's transaction start time closes the entry window too: a
    // request stamped just before `ends_at` whose batch only starts after it
    // is refused, so a draw (which waits for every transaction that began
    // before it) never misses an entry accepted later.
    let batch_time: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *tx)
        .await?;
    let campaigns = load_campaigns(&mut tx, batch).await?;

    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(batch.len());
    let mut seen = HashSet::new();
    let (mut ids, mut types, mut versions, mut payloads, mut rows) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (index, pending) in batch.iter().enumerate() {
        let command = &pending.command;
        let Some(window) = campaigns
            .get(&command.campaign_id.to_string())
            .and_then(Campaign::entry_window)
        else {
            let missing = !campaigns.contains_key(&command.campaign_id.to_string());
            outcomes.push(Some(Err(if missing {
                RegistrationError::CampaignNotFound
            } else {
                ParticipationError::CampaignNotOpen.into()
            })));
            continue;
        };
        if !seen.insert(command.pid.clone()) {
            outcomes.push(Some(Err(ParticipationError::AlreadyEntered.into())));
            continue;
        }
        let decided = ensure_entry_window_open(&window, batch_time).and_then(|()| {
            decide_registration(
                &Participation::default(),
                RegisterParticipant {
                    campaign: window,
                    ..command.clone()
                },
            )
        });
        match decided {
            Ok(event) => {
                ids.push(command.pid.clone());
                types.push(event.event_type());
                versions.push(event.event_version());
                payloads.push(serde_json::to_value(&event).expect("events always serialise"));
                rows.push(index);
                outcomes.push(None);
            }
            Err(rule) => outcomes.push(Some(Err(rule.into()))),
        }
    }

    if !ids.is_empty() {
        let inserted: Vec<String> = sqlx::query_scalar(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             SELECT $1, t.id, 1, t.event_type, t.event_version, t.payload, '{}'::jsonb \
             FROM UNNEST($2::text[], $3::text[], $4::text[], $5::jsonb[]) \
                  AS t(id, event_type, event_version, payload) \
             ON CONFLICT DO NOTHING RETURNING aggregate_id",
        )
        .bind(Participation::TYPE)
        .bind(&ids)
        .bind(&types)
        .bind(&versions)
        .bind(&payloads)
        .fetch_all(&mut *tx)
        .await?;
        let inserted: HashSet<String> = inserted.into_iter().collect();
        for (row, id) in rows.into_iter().zip(ids) {
            outcomes[row] = Some(if inserted.contains(&id) {
                Ok(())
            } else {
                Err(ParticipationError::AlreadyEntered.into())
            });
        }
    }
    tx.commit().await?;
    Ok(outcomes
        .into_iter()
        .map(|o| o.expect("every registration has an outcome"))
        .collect())
}

/// Current state of every campaign the batch names, from the event store.
async fn load_campaigns(
    tx: &mut sqlx::PgConnection,
    batch: &[Pending],
) -> Result<HashMap<String, Campaign>, sqlx::Error> {
    let ids: Vec<String> = batch
        .iter()
        .map(|p| p.command.campaign_id.to_string())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let rows = sqlx::query(
        "SELECT aggregate_id, event_type, event_version, payload::text AS payload FROM events \
         WHERE aggregate_type = $1 AND aggregate_id = ANY($2) ORDER BY aggregate_id, sequence",
    )
    .bind(Campaign::TYPE)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    let mut campaigns: HashMap<String, Campaign> = HashMap::new();
    for row in rows {
        let id: String = row.try_get("aggregate_id")?;
        let payload: String = row.try_get("payload")?;
        let decoded = codec::decode(
            Campaign::TYPE,
            row.try_get("event_type")?,
            row.try_get("event_version")?,
            &payload,
        );
        let event = decoded
            .ok()
            .and_then(CampaignEvent::from_domain)
            .ok_or_else(|| {
                sqlx::Error::Protocol(format!("campaign {id}: an event does not decode"))
            })?;
        campaigns.entry(id).or_default().apply(event);
    }
    Ok(campaigns)
}
