//! What "exactly once" is checked against: the event store, the JetStream
//! stream, and each read model, all counted by entrant (the participation
//! aggregate id, which the API answers as `entrantId`).

use std::collections::HashMap;

use async_nats::jetstream;
use promo_eventstore::store::StoredEvent;
use sqlx::PgPool;

/// Every stored event's message id (`{type}:{id}:{sequence}`), and the
/// registered entrants with how many registrations each has.
pub struct Store {
    pub message_ids: Vec<String>,
    pub registered: HashMap<String, i64>,
}

pub async fn store(pool: &PgPool) -> Store {
    let message_ids = sqlx::query_scalar(
        "SELECT aggregate_type || ':' || aggregate_id || ':' || sequence FROM events \
         ORDER BY transaction_id, position",
    )
    .fetch_all(pool)
    .await
    .expect("events");
    let registered = sqlx::query_as::<_, (String, i64)>(
        "SELECT aggregate_id, count(*) FROM events \
         WHERE aggregate_type = 'Participation' AND event_type = 'ParticipantRegistered' \
         GROUP BY aggregate_id",
    )
    .fetch_all(pool)
    .await
    .expect("registrations")
    .into_iter()
    .collect();
    Store {
        message_ids,
        registered,
    }
}

/// The stream's messages in stream order, or `None` while a message cannot
/// be read (a node down, a leader being elected).
pub async fn stream(js: &jetstream::Context, name: &str) -> Option<Vec<StoredEvent>> {
    let mut stream = js.get_stream(name).await.ok()?;
    let last = stream.info().await.ok()?.state.last_sequence;
    let mut events = Vec::with_capacity(last as usize);
    for sequence in 1..=last {
        let message = stream.get_raw_message(sequence).await.ok()?;
        events.push(serde_json::from_slice(&message.payload).expect("an event envelope"));
    }
    Some(events)
}

/// The last event in commit order, which every checkpoint must reach.
pub async fn last_position(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .expect("the last event")
}

/// The relay's cursor and every projector's checkpoint, as positions.
pub async fn progress(pool: &PgPool) -> (i64, Vec<(String, i64)>) {
    let relay = sqlx::query_scalar("SELECT position FROM relay_cursor WHERE id = 1")
        .fetch_one(pool)
        .await
        .expect("relay cursor");
    let projectors =
        sqlx::query_as("SELECT projector, position FROM projector_checkpoints ORDER BY projector")
            .fetch_all(pool)
            .await
            .expect("checkpoints");
    (relay, projectors)
}

/// The relay cursor's position and how many stored events lie after it.
pub async fn relay_backlog(pool: &PgPool) -> Option<(i64, i64)> {
    sqlx::query_as(
        "SELECT c.position, (SELECT count(*) FROM events e \
           WHERE (e.transaction_id, e.position) > (c.transaction_id, c.position)) \
         FROM relay_cursor c WHERE c.id = 1",
    )
    .fetch_one(pool)
    .await
    .ok()
}

/// Which instance holds the leader lock of `role` (its `application_name`).
pub async fn leader(pool: &PgPool, role: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
           AND ((l.classid::int8 << 32) | l.objid::int8) = hashtext($1)::int8",
    )
    .bind(role)
    .fetch_optional(pool)
    .await
    .ok()
    .flatten()
}

/// Each read model's count of entries, by name.
pub async fn read_model_counts(pool: &PgPool) -> Vec<(&'static str, i64)> {
    let queries: [(&'static str, &str); 7] = [
        ("participants rows", "SELECT count(*) FROM participants"),
        (
            "participants distinct pids",
            "SELECT count(DISTINCT pid) FROM participants",
        ),
        (
            "participant_counts.total",
            "SELECT COALESCE(sum(total), 0)::int8 FROM participant_counts",
        ),
        (
            "analytics_campaigns.participants",
            "SELECT COALESCE(sum(participants), 0)::int8 FROM analytics_campaigns",
        ),
        (
            "analytics_channels.participants",
            "SELECT COALESCE(sum(participants), 0)::int8 FROM analytics_channels",
        ),
        (
            "analytics_hourly.participants",
            "SELECT COALESCE(sum(participants), 0)::int8 FROM analytics_hourly",
        ),
        (
            "entry confirmations",
            "SELECT count(*) FROM notifications WHERE kind = 'ENTRY_CONFIRMATION'",
        ),
    ];
    let mut counts = Vec::new();
    for (name, sql) in queries {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql);
        counts.push((name, n));
    }
    counts
}
