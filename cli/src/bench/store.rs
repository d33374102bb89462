//! Baselines measured against the same Postgres: the box's single-row
//! insert commit limit, and the plain cqrs-es + postgres-es registration path.
//! Every registration throughput figure is reported as a ratio to them.

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

use super::report::{row, Row};
use super::sizes::Sizes;

/// The baselines the registration figures are compared with, in commands per second.
#[derive(Debug, Clone, Copy)]
pub(super) struct Baselines {
    /// Single-row insert commits with as many clients as the bench has connections.
    pub(super) insert_limit: f64,
    /// cqrs-es + postgres-es registrations with as many in flight.
    pub(super) cqrs: f64,
}

/// The baseline figures: insert commit limit with 1 and with N clients, and cqrs-es.
pub(super) async fn measure_baselines(
    pool: &PgPool,
    sizes: &Sizes,
    rows: &mut Vec<Row>,
) -> anyhow::Result<Baselines> {
    let c = sizes.clients;
    eprintln!("bench: single-row insert commit limit");
    let insert_1 = insert_commit_limit(pool, 1, sizes.run).await?;
    let insert_c = insert_commit_limit(pool, c, sizes.run).await?;
    rows.push(row(
        "Single-row insert commits, 1 client (box limit)",
        format!("{insert_1:.0}/s"),
        "baseline",
        None,
    ));
    rows.push(row(
        format!("Single-row insert commits, {c} clients (box limit)"),
        format!("{insert_c:.0}/s"),
        "baseline",
        None,
    ));
    eprintln!("bench: cqrs-es baseline");
    let cqrs = cqrs_registration_baseline(pool, c, sizes.run).await?;
    rows.push(row(
        format!("cqrs-es + postgres-es registration, {c} in flight"),
        format!("{cqrs:.0}/s"),
        "baseline",
        None,
    ));
    Ok(Baselines {
        insert_limit: insert_c,
        cqrs,
    })
}

/// Autocommit single-row inserts of an event-shaped row by `clients`
/// concurrent connections for `duration` (pgbench's insert test, in-process).
async fn insert_commit_limit(
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
async fn cqrs_registration_baseline(
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
