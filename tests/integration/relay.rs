//! The relay and projectors: commit order, no skipped events, crash windows
//! and redelivery.

use std::collections::HashSet;

use promo_api::BuildOptions;
use promo_tests::{eventually, participants_projected, stream_events, TestApp, TestEnv, SETTLE};

async fn event_count(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM events").await
}

/// Waits until the stream holds exactly as many events as the store and
/// returns them; fails on duplicates or a broken `previous` chain.
async fn stream_matches_store(
    env: &TestEnv,
    app: &TestApp,
) -> Vec<promo_eventstore::store::StoredEvent> {
    let expected = event_count(app).await as usize;
    let events = eventually(SETTLE, "stream to hold every stored event", || async {
        let events = stream_events(env).await;
        (events.len() >= expected).then_some(events)
    })
    .await;
    assert_eq!(
        events.len(),
        expected,
        "stream holds more events than the store"
    );
    let ids: HashSet<String> = events.iter().map(|e| e.message_id()).collect();
    assert_eq!(ids.len(), events.len(), "duplicate events on the stream");
    for pair in events.windows(2) {
        assert!(
            pair[0].position < pair[1].position,
            "stream out of global order"
        );
        assert_eq!(pair[1].previous, pair[0].position, "previous chain broken");
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_committed_late_behind_later_positions_is_still_delivered_first() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;

    // A transaction takes its position now and stays open while later
    // entries commit with higher positions.
    let mut held = app.pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         VALUES ('RelayProbe', 'held', 1, 'Held', '1', '{}', '{}')",
    )
    .execute(&mut *held)
    .await
    .unwrap();
    for i in 0..10 {
        let (status, body) = app
            .enter(
                campaign,
                "김철수",
                &format!("010-4000-{i:04}"),
                "NAVER",
                false,
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    held.commit().await.unwrap();

    let events = stream_matches_store(&env, &app).await;
    let held_at = events
        .iter()
        .position(|e| e.aggregate_type == "RelayProbe")
        .expect("held event delivered");
    let entries: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.aggregate_type == "Participation")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(entries.len(), 10);
    // Its position is lower than the entries' (a position-only poll would
    // have passed it), and it was published before them: the relay waited.
    let held_position = events[held_at].position.position;
    assert!(entries
        .iter()
        .all(|&i| events[i].position.position > held_position));
    assert!(
        entries.iter().all(|&i| i > held_at),
        "entries published before the held event committed"
    );
    participants_projected(&app, campaign, 10).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_committed_while_the_relay_is_down_are_delivered_once_after_restart() {
    let env = TestEnv::new().await;
    // The service runs without relay and projectors: a crash between
    // commit and publish, for as long as we like.
    let mut config = env.config();
    config.run_background = false;
    let down = TestApp::spawn_with(&env, config, BuildOptions::default()).await;
    let campaign = down.active_campaign("owner").await;
    for i in 0..10 {
        let (status, _) = down
            .enter(
                campaign,
                "김철수",
                &format!("010-5000-{i:04}"),
                "KAKAO",
                false,
            )
            .await;
        assert_eq!(status, 201);
    }
    assert!(stream_events(&env).await.is_empty());
    down.stop().await;

    let up = TestApp::spawn(&env).await;
    participants_projected(&up, campaign, 10).await;
    stream_matches_store(&env, &up).await;

    // Crash after publishing but before the cursor write: the stored cursor
    // is behind the stream. Nothing is published twice.
    up.stop().await;
    let pool = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    sqlx::query("UPDATE relay_cursor SET transaction_id = '0', position = 0")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let again = TestApp::spawn(&env).await;
    let (status, _) = again
        .enter(campaign, "이영희", "010-5000-9999", "KAKAO", false)
        .await;
    assert_eq!(status, 201);
    participants_projected(&again, campaign, 11).await;
    stream_matches_store(&env, &again).await;
    assert_eq!(
        again.count("SELECT total FROM participant_counts").await,
        11
    );
    again.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivering_every_message_changes_no_read_model() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    for i in 0..8 {
        app.enter(
            campaign,
            "김철수",
            &format!("010-6000-{i:04}"),
            "INSTAGRAM",
            i % 2 == 0,
        )
        .await;
    }
    participants_projected(&app, campaign, 8).await;
    let pool = app.pool.clone();
    eventually(SETTLE, "confirmations", || {
        let pool = pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications")
                .fetch_one(&pool)
                .await
                .ok()?;
            (n == 8).then_some(())
        }
    })
    .await;
    let snapshot = read_models(&app.pool).await;
    let stream_length = stream_events(&env).await.len() as u64;
    app.stop().await;

    // Forget where each consumer was: every message is delivered again.
    let pool = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    sqlx::query("UPDATE projector_checkpoints SET stream_sequence = 0")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let again = TestApp::spawn(&env).await;
    let js = env.jetstream().await;
    for projector in ["campaigns", "participants", "notifications"] {
        let consumer = env.names().consumer_name(projector);
        eventually(SETTLE, "every message redelivered and acked", || {
            let js = js.clone();
            let consumer = consumer.clone();
            let stream = env.names().stream_name();
            async move {
                let mut c: async_nats::jetstream::consumer::PullConsumer =
                    js.get_consumer_from_stream(&consumer, &stream).await.ok()?;
                let info = c.info().await.ok()?;
                (info.ack_floor.stream_sequence == stream_length && info.num_ack_pending == 0)
                    .then_some(())
            }
        })
        .await;
    }
    assert_eq!(read_models(&again.pool).await, snapshot);
    assert_eq!(again.count("SELECT total FROM participant_counts").await, 8);
    again.stop().await;
}

async fn read_models(pool: &sqlx::PgPool) -> Vec<String> {
    let mut rows = Vec::new();
    for sql in [
        "SELECT row_to_json(p)::text FROM participants p ORDER BY participant_id",
        "SELECT row_to_json(c)::text FROM participant_counts c ORDER BY campaign_id",
        "SELECT row_to_json(c)::text FROM campaigns c ORDER BY campaign_id",
        "SELECT row_to_json(n)::text FROM notifications n ORDER BY id",
    ] {
        let part: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap();
        rows.extend(part);
    }
    rows
}

#[tokio::test]
async fn global_order_compares_transaction_ids_as_numbers_not_text() {
    // "100" sorts before "99" as text: an ordering on the text form would
    // publish out of order and loop on the JetStream duplicate.
    let env = TestEnv::new().await;
    let pool = promo_eventstore::store::connect(&env.database_url, 2)
        .await
        .unwrap();
    promo_eventstore::store::migrate(&pool).await.unwrap();
    for (aggregate, xid) in [("later", "100"), ("earlier", "99")] {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, transaction_id) \
             VALUES ('RelayProbe', $1, 1, 'Probe', '1', '{}', '{}', $2::text::xid8)",
        )
        .bind(aggregate)
        .bind(xid)
        .execute(&pool)
        .await
        .unwrap();
    }
    let start = promo_eventstore::store::GlobalPosition::START;
    let read = promo_eventstore::store::read_committed_after(&pool, start, 10)
        .await
        .unwrap();
    let order: Vec<(&str, u64)> = read
        .iter()
        .map(|e| (e.aggregate_id.as_str(), e.position.transaction_id))
        .collect();
    assert_eq!(order, [("earlier", 99), ("later", 100)]);
    let end = read.last().unwrap().position;
    let ranged = promo_eventstore::store::read_range(&pool, start, end, 10)
        .await
        .unwrap();
    assert_eq!(ranged, read);
    pool.close().await;
}
