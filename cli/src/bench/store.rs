//! Baselines measured against the same Postgres: the box's single-row
//! insert commit limit, and the plain cqrs-es + postgres-es registration path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use promo_domain::campaign::{CampaignStatus, EntryWindow};
use promo_domain::channel::Channel;
use promo_domain::participation::{Participation, ParticipationCommand, RegisterParticipant};
use promo_domain::privacy::SealedPersonalData;
use sqlx::PgPool;
use uuid::Uuid;

/// Autocommit single-row inserts of an event-shaped row by `clients`
/// concurrent connections for `duration` (pgbench's insert test, in-process).
pub async fn insert_commit_limit(
    pool: &PgPool,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_inserts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
         aggregate_id text NOT NULL, payload jsonb NOT NULL)",
    )
    .execute(pool)
    .await?;
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let pool = pool.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let payload = serde_json::json!({"ParticipantRegistered": {"entryNumber": "EVT00000000-20251029-001", "channel": "KAKAO"}});
                while Instant::now() < deadline {
                    sqlx::query("INSERT INTO bench_inserts (aggregate_id, payload) VALUES ($1, $2)")
                        .bind(Uuid::new_v4().simple().to_string())
                        .bind(&payload)
                        .execute(&pool)
                        .await?;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// The framework baseline: one `postgres_cqrs` execute per registration
/// (load the new aggregate, decide, insert in its own transaction), with
/// `in_flight` commands concurrently.
pub async fn cqrs_registration_baseline(
    pool: &PgPool,
    in_flight: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let cqrs = Arc::new(postgres_es::postgres_cqrs::<Participation>(
        pool.clone(),
        vec![],
        (),
    ));
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let campaign_id = Uuid::new_v4();
    let window = EntryWindow {
        status: CampaignStatus::Active,
        starts_at: Utc::now() - chrono::Duration::hours(1),
        ends_at: Utc::now() + chrono::Duration::days(1),
    };
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let cqrs = cqrs.clone();
            let done = done.clone();
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let pid = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
                    let command = RegisterParticipant {
                        participant_id: Uuid::new_v4(),
                        campaign_id,
                        pid: pid.clone(),
                        entry_number: "EVT00000000-20251029-001".into(),
                        channel: Channel::Kakao,
                        store_visited: false,
                        agree_privacy: true,
                        agree_marketing: false,
                        personal_data: SealedPersonalData {
                            nonce: "AAAAAAAAAAAAAAAA".into(),
                            ciphertext: "c2VhbGVkLXBlcnNvbmFsLWRhdGEtb2YtYS1iZW5jaC1lbnRyYW50"
                                .into(),
                        },
                        campaign: window,
                        registered_at: Utc::now(),
                    };
                    cqrs.execute(&pid, ParticipationCommand::Register(Box::new(command)))
                        .await
                        .map_err(|e| anyhow::anyhow!("cqrs baseline: {e}"))?;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}
