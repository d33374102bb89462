//! Group commit for participant registrations: many concurrent entries are
//! decided and appended in one transaction (one WAL flush), without weakening
//! any guarantee of the one-command-per-transaction path:
//!
//! - The campaign's entry window is read inside the batch transaction, from
//!   the event store, while the batch holds the campaign's lock, and checked
//!   against the database clock at that moment (see [`batch`]).
//! - A registration is always sequence 1 of a brand-new aggregate, so the
//!   aggregate is not loaded at all: a duplicate fails alone
//!   (`AlreadyEntered`); its neighbours in the batch commit.
//! - Entry numbers are assigned to accepted entries only, at commit, from
//!   a counter row: no gaps, unique across processes.
//! - The events written are exactly what cqrs-es would write for the same
//!   decision (`decide_registration` on an empty aggregate, payload
//!   serialised the same way), so the rest of the system cannot tell.

use std::collections::HashMap;
use std::sync::Arc;

use cqrs_es::Aggregate;
use promo_domain::campaign::{Campaign, CampaignEvent};
use promo_domain::participation::{ParticipationError, RegisterParticipant};
use sqlx::{PgPool, Row};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::codec::{self, Decoded};

mod batch;
use crate::metrics::Metrics;
pub use batch::campaign_lock_key;

/// Largest batch one transaction takes.
const MAX_BATCH: usize = 512;

#[derive(Debug, Clone, thiserror::Error)]
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
    reply: oneshot::Sender<Outcome>,
}

/// Handle used by request handlers; cheap to clone.
#[derive(Clone)]
pub struct RegistrationBatcher {
    /// One queue per batch writer; a campaign's entries always go to the
    /// same one (see [`RegistrationBatcher::start`]).
    senders: Arc<[mpsc::Sender<Pending>]>,
}

impl RegistrationBatcher {
    /// Starts `workers` batch writers. Entries are sharded by campaign: a
    /// campaign's batches commit one after another anyway (they take its
    /// lock), so a second writer holding part of the same campaign's queue
    /// would only wait on that lock with a smaller batch. With one queue per
    /// campaign, whatever arrives while a batch commits becomes the next
    /// batch, whole, and different campaigns commit in parallel. On cancel
    /// the writers write what is already queued, then stop; later
    /// registrations are refused as unavailable.
    pub fn start(
        pool: PgPool,
        workers: usize,
        metrics: Metrics,
        wakeup: Arc<Notify>,
        cancel: CancellationToken,
    ) -> (Self, Vec<JoinHandle<()>>) {
        let mut senders = Vec::with_capacity(workers.max(1));
        let mut handles = Vec::with_capacity(workers.max(1));
        for _ in 0..workers.max(1) {
            let (sender, receiver) = mpsc::channel::<Pending>(MAX_BATCH * 4);
            senders.push(sender);
            handles.push(tokio::spawn(work(
                pool.clone(),
                receiver,
                metrics.clone(),
                wakeup.clone(),
                cancel.clone(),
            )));
        }
        (
            Self {
                senders: senders.into(),
            },
            handles,
        )
    }

    /// Appends the registration (in some batch) and answers its entry number,
    /// assigned at commit so that refused entries use none.
    pub async fn register(&self, command: RegisterParticipant) -> Outcome {
        let shard = (command.campaign_id.as_u128() % self.senders.len() as u128) as usize;
        let (reply, outcome) = oneshot::channel();
        self.senders[shard]
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
    mut receiver: mpsc::Receiver<Pending>,
    metrics: Metrics,
    wakeup: Arc<Notify>,
    cancel: CancellationToken,
) {
    loop {
        // Collect: whatever is waiting, up to MAX_BATCH (what arrived while
        // the previous batch committed).
        let mut batch = Vec::with_capacity(64);
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

/// An entry's outcome: its entry number, or why it was refused.
pub type Outcome = Result<String, RegistrationError>;

/// How often a batch is retried when Postgres breaks a deadlock or a
/// serialization conflict by aborting it (both are safe to retry whole).
const RETRIES: usize = 3;

async fn write_batch(pool: &PgPool, batch: &[Pending]) -> Result<Vec<Outcome>, sqlx::Error> {
    let commands: Vec<&RegisterParticipant> = batch.iter().map(|p| &p.command).collect();
    let mut attempt = 0;
    loop {
        attempt += 1;
        match batch::write(pool, &commands).await {
            Err(error) if attempt < RETRIES && batch::is_retryable(&error) => {
                tracing::debug!(%error, attempt, "registration batch retried");
            }
            result => return result,
        }
    }
}

/// Current state of the given campaigns, from the event store.
pub(crate) async fn load_campaigns(
    tx: &mut sqlx::PgConnection,
    ids: &[String],
) -> Result<HashMap<String, Campaign>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT aggregate_id, event_type, event_version, payload::text AS payload FROM events \
         WHERE aggregate_type = $1 AND aggregate_id = ANY($2) ORDER BY aggregate_id, sequence",
    )
    .bind(Campaign::TYPE)
    .bind(ids)
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

/// Returns once every registration batch of the campaign that holds or
/// waits for its lock right now has committed or rolled back. Called by the
/// draw after the campaign is recorded as ended: later batches read it
/// ended under the same lock and refuse, so the entrant list read after
/// this is final. Unrelated transactions (exports, replays, vacuum, other
/// campaigns) are not waited for.
pub async fn entries_barrier(pool: &PgPool, campaign_id: uuid::Uuid) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(campaign_lock_key(campaign_id))
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
