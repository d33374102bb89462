//! Replay: a read model rebuilt from the event store beside the live one,
//! swapped in while entries keep arriving, equals a clean rebuild exactly.

use std::sync::Arc;

use promo_api::app::read_models;
use promo_eventstore::secrets::SecretStore;
use promo_projections::notifications::RecordingSender;
use promo_projections::replay::replay;
use promo_tests::{participants_projected, TestApp, TestEnv};

const READ_MODELS: [(&str, &[&str]); 3] = [
    (
        "participants",
        &[
            "participants",
            "participant_counts",
            "participant_facet_counts",
        ],
    ),
    (
        "analytics",
        &[
            "analytics_campaigns",
            "analytics_channels",
            "analytics_hourly",
        ],
    ),
    ("campaigns", &["campaigns"]),
];

async fn snapshot(pool: &sqlx::PgPool, tables: &[&str]) -> Vec<String> {
    let mut rows = Vec::new();
    for table in tables {
        // projected_at records when a row was written, not what it says.
        let sql =
            format!("SELECT (to_jsonb(t) - 'projected_at')::text AS row FROM {table} t ORDER BY 1");
        let part: Vec<String> = sqlx::query_scalar(&sql).fetch_all(pool).await.unwrap();
        rows.push(format!("{table}: {} rows", part.len()));
        rows.extend(part);
    }
    rows
}

/// Waits until the analytics read model counts `expected` entries.
async fn analytics_counted(app: &TestApp, campaign: uuid::Uuid, expected: i64) {
    promo_tests::eventually(promo_tests::SETTLE, "analytics caught up", || {
        let pool = app.pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT participants FROM analytics_campaigns WHERE campaign_id = $1",
            )
            .bind(campaign)
            .fetch_one(&pool)
            .await
            .ok()?;
            (n == expected).then_some(())
        }
    })
    .await;
}

async fn rebuild(pool: &sqlx::PgPool, name: &str) -> u64 {
    let secrets = Arc::new(SecretStore::new(pool.clone(), promo_tests::master_keys()));
    let projection = read_models(&secrets, Arc::new(RecordingSender))
        .into_iter()
        .find(|p| p.name() == name)
        .unwrap();
    let started = std::time::Instant::now();
    let report = replay(pool, projection, &mut |_: u64, _: u64| {})
        .await
        .expect("replay");
    println!(
        "replayed {name}: {} events in {:?} ({:.0} events/s)",
        report.events,
        started.elapsed(),
        report.events as f64 / started.elapsed().as_secs_f64()
    );
    report.events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_model_rebuilt_while_entries_arrive_equals_a_clean_rebuild() {
    let env = TestEnv::new().await;
    let app = Arc::new(TestApp::spawn(&env).await);
    let campaign = app.active_campaign("owner").await;
    let channels = ["URIDONGNETV", "INSTAGRAM", "STORE_QR", "KAKAO"];
    for i in 0..120 {
        let (status, body) = app
            .enter(
                campaign,
                "김철수",
                &format!("010-7000-{i:04}"),
                channels[i % 4],
                i % 3 == 0,
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    participants_projected(&app, campaign, 120).await;
    analytics_counted(&app, campaign, 120).await;

    // At rest, a rebuild (set-based where the read model allows it) gives
    // exactly what the live projector built event by event.
    for (name, tables) in READ_MODELS {
        let live = snapshot(&app.pool, tables).await;
        rebuild(&app.pool, name).await;
        assert_eq!(
            snapshot(&app.pool, tables).await,
            live,
            "{name}: rebuild differs from the live projection"
        );
    }

    // Entries keep arriving while every read model is rebuilt and swapped.
    let writer = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut accepted = 0;
            for i in 0..150 {
                let (status, _) = app
                    .enter(
                        campaign,
                        "이영희",
                        &format!("010-8000-{i:04}"),
                        channels[i % 4],
                        i % 2 == 0,
                    )
                    .await;
                if status == 201 {
                    accepted += 1;
                }
                tokio::task::yield_now().await;
            }
            accepted
        })
    };
    for (name, _) in READ_MODELS {
        assert!(rebuild(&app.pool, name).await > 0);
    }
    let accepted_later = writer.await.unwrap();
    assert_eq!(accepted_later, 150);
    participants_projected(&app, campaign, 270).await;
    analytics_counted(&app, campaign, 270).await;

    // Nothing missed or counted twice across the swap.
    assert_eq!(app.count("SELECT total FROM participant_counts").await, 270);
    assert_eq!(
        app.count("SELECT count(*) FROM events WHERE event_type = 'ParticipantRegistered'")
            .await,
        270
    );
    let after_live_swap: Vec<Vec<String>> = {
        let mut all = Vec::new();
        for (_, tables) in READ_MODELS {
            all.push(snapshot(&app.pool, tables).await);
        }
        all
    };
    // A clean rebuild, with nothing arriving, gives exactly the same rows.
    for ((name, tables), live) in READ_MODELS.iter().zip(after_live_swap) {
        rebuild(&app.pool, name).await;
        assert_eq!(
            snapshot(&app.pool, tables).await,
            live,
            "{name} differs from a clean rebuild"
        );
    }
    // The list still answers from the swapped tables.
    let (status, page) = app
        .get(
            &format!("/api/v1/events/{campaign}/participants"),
            Some("owner"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["totalCount"], 270);
    Arc::into_inner(app).unwrap().stop().await;
}

#[tokio::test]
async fn side_effect_read_models_are_not_replayable() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let secrets = Arc::new(SecretStore::new(
        app.pool.clone(),
        promo_tests::master_keys(),
    ));
    let notifications = read_models(&secrets, Arc::new(RecordingSender))
        .into_iter()
        .find(|p| p.name() == "notifications")
        .unwrap();
    let refused = replay(&app.pool, notifications, &mut |_: u64, _: u64| {}).await;
    assert!(matches!(
        refused,
        Err(promo_projections::replay::ReplayError::NotReplayable(_))
    ));
    app.stop().await;
}
