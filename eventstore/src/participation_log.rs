//! The participation log (SPEC "Participation"): time, channel and device (user agent)
//! of every entry attempt, accepted or not. Written in batches by a
//! background task so the entry path never waits on it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Attempt {
    pub attempted_at: DateTime<Utc>,
    pub campaign_id: Option<Uuid>,
    pub channel: Option<String>,
    pub user_agent: Option<String>,
    pub outcome: String,
}

/// Cheap handle for request handlers.
#[derive(Clone)]
pub struct ParticipationLog {
    sender: mpsc::Sender<Attempt>,
}

const MAX_BATCH: usize = 1_000;
const MAX_USER_AGENT: usize = 512;

impl ParticipationLog {
    /// Starts the writer; it drains what is queued before returning on cancel.
    pub fn start(pool: PgPool, cancel: CancellationToken) -> (Self, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(50_000);
        let handle = tokio::spawn(write_batches(pool, receiver, cancel));
        (Self { sender }, handle)
    }

    pub fn record(&self, mut attempt: Attempt) {
        if let Some(ua) = attempt.user_agent.as_mut() {
            if ua.len() > MAX_USER_AGENT {
                let mut cut = MAX_USER_AGENT;
                while !ua.is_char_boundary(cut) {
                    cut -= 1;
                }
                ua.truncate(cut);
            }
        }
        if self.sender.try_send(attempt).is_err() {
            tracing::warn!("participation log queue full; attempt not logged");
        }
    }
}

async fn write_batches(
    pool: PgPool,
    mut receiver: mpsc::Receiver<Attempt>,
    cancel: CancellationToken,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let received = tokio::select! {
            n = receiver.recv_many(&mut batch, MAX_BATCH) => n,
            _ = cancel.cancelled() => {
                while let Ok(a) = receiver.try_recv() { batch.push(a); }
                0
            }
        };
        if !batch.is_empty() {
            if let Err(error) = insert(&pool, &batch).await {
                tracing::warn!(%error, lost = batch.len(), "participation log write failed");
            }
            batch.clear();
        }
        if received == 0 {
            return;
        }
        // Let a burst accumulate into one insert.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn insert(pool: &PgPool, batch: &[Attempt]) -> Result<(), sqlx::Error> {
    let times: Vec<DateTime<Utc>> = batch.iter().map(|a| a.attempted_at).collect();
    let campaigns: Vec<Option<Uuid>> = batch.iter().map(|a| a.campaign_id).collect();
    let channels: Vec<Option<String>> = batch.iter().map(|a| a.channel.clone()).collect();
    let agents: Vec<Option<String>> = batch.iter().map(|a| a.user_agent.clone()).collect();
    let outcomes: Vec<String> = batch.iter().map(|a| a.outcome.clone()).collect();
    sqlx::query(
        "INSERT INTO participation_attempts (attempted_at, campaign_id, channel, user_agent, outcome) \
         SELECT * FROM UNNEST($1::timestamptz[], $2::uuid[], $3::text[], $4::text[], $5::text[])",
    )
    .bind(times)
    .bind(campaigns)
    .bind(channels)
    .bind(agents)
    .bind(outcomes)
    .execute(pool)
    .await?;
    Ok(())
}
