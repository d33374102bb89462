//! Replay rate: the analytics read model rebuilt from `events` synthetic
//! registrations in a database of its own (no live service writes there,
//! so the measurement is the rebuild alone).

use std::sync::Arc;
use std::time::{Duration, Instant};

use promo_projections::analytics::AnalyticsProjection;
use promo_projections::replay::replay;
use sqlx::PgPool;
use uuid::Uuid;

use super::report::{row, Row};
use super::sizes::Sizes;

/// Writes `events` `ParticipantRegistered` events of one campaign straight
/// into the store, in the exact JSON shape the aggregate produces.
async fn seed_events(pool: &PgPool, events: i64) -> anyhow::Result<()> {
    let campaign = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         SELECT 'Participation', md5(i::text) || md5(i::text || 'p'), 1, 'ParticipantRegistered', '1', \
                jsonb_build_object('ParticipantRegistered', jsonb_build_object( \
                    'participantId', md5(i::text || 'id')::uuid, 'campaignId', $1::uuid, \
                    'pid', md5(i::text) || md5(i::text || 'p'), 'entryNumber', 'EVTBENCH-' || i, \
                    'channel', (ARRAY['URIDONGNETV','GINITV','INSTAGRAM','NAVER','KAKAO','STORE_QR'])[1 + i % 6], \
                    'storeVisited', i % 3 = 0, 'bonusEntries', CASE WHEN i % 3 = 0 THEN 3 ELSE 1 END, \
                    'agreeMarketing', false, \
                    'personalData', jsonb_build_object('nonce', 'AAAAAAAAAAAAAAAA', 'ciphertext', 'AAAA'), \
                    'registeredAt', to_jsonb(timestamptz '2025-10-20 00:00:00+00' + make_interval(secs => i)))), \
                '{}'::jsonb \
         FROM generate_series(1, $2) AS i",
    )
    .bind(campaign)
    .bind(events)
    .execute(pool)
    .await?;
    // As if the live analytics projector had applied them all: replay chases
    // (and then swaps at) this checkpoint.
    sqlx::query(
        "INSERT INTO projector_checkpoints (projector, transaction_id, position) \
         SELECT 'analytics', transaction_id, position FROM events \
         ORDER BY transaction_id DESC, position DESC LIMIT 1 \
         ON CONFLICT (projector) DO UPDATE SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Events per second of `promo replay analytics` over `events` events.
pub async fn analytics_replay_rate(
    database_url: &str,
    events: i64,
) -> anyhow::Result<(u64, Duration)> {
    let pool = promo_eventstore::store::connect(database_url, 4).await?;
    promo_eventstore::store::migrate(&pool).await?;
    seed_events(&pool, events).await?;
    let started = Instant::now();
    let report = replay(
        &pool,
        Arc::new(AnalyticsProjection),
        &mut |_: u64, _: u64| {},
    )
    .await?;
    let elapsed = started.elapsed();
    let participants: i64 =
        sqlx::query_scalar("SELECT sum(participants)::int8 FROM analytics_campaigns")
            .fetch_one(&pool)
            .await?;
    anyhow::ensure!(
        participants == events,
        "replay counted {participants} of {events} entries"
    );
    pool.close().await;
    Ok((report.events, elapsed))
}

/// The replay figure: analytics rebuilt over `sizes.replay_events` events.
pub(super) async fn measure_replay(
    database_url: &str,
    sizes: &Sizes,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    eprintln!(
        "bench: analytics replay over {} events",
        sizes.replay_events
    );
    let (replayed, took) = analytics_replay_rate(database_url, sizes.replay_events).await?;
    let rate = replayed as f64 / took.as_secs_f64();
    rows.push(row(
        format!("Analytics replay (rebuild aside + swap), {replayed} events"),
        format!("{rate:.0} events/s ({:.1} s)", took.as_secs_f64()),
        "≥ 500k events/s",
        Some(rate >= 500_000.0),
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    /// `DATABASE_URL=… cargo test --release -p promo-cli replay_rate -- --ignored --nocapture`
    #[tokio::test]
    #[ignore = "needs DATABASE_URL pointing at a scratch database; slow"]
    async fn replay_rate() {
        let (url, events) = crate::settings::replay_rate_inputs();
        let (n, took) = super::analytics_replay_rate(&url, events)
            .await
            .expect("replay");
        println!(
            "{n} events in {took:?}: {:.0}/s",
            n as f64 / took.as_secs_f64()
        );
    }
}
