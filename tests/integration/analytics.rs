//! The analytics dashboard end to end: entries on several channels, the
//! owner's costs, a DistributionCompleted report over NATS (and bad reports
//! dead-lettered), every number of the dashboard checked.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use promo_api::BuildOptions;
use promo_application::jobs::distribution::DeadLetter;
use promo_tests::{eventually, TestApp, TestEnv, SETTLE};
use serde_json::{json, Value};
use uuid::Uuid;

/// A clock the test moves by hand.
fn settable_clock() -> (Arc<Mutex<DateTime<Utc>>>, promo_application::Clock) {
    let now = Arc::new(Mutex::new(Utc::now()));
    let read = now.clone();
    (now, Arc::new(move || *read.lock().unwrap()))
}

fn costs() -> Value {
    json!({
        "prizeCost": 500_000, "contentCost": 200_000, "operationCost": 100_000,
        "distributionCost": 200_000, "expectedRevenue": 3_500_000, "salesGrowthRate": 12.5,
    })
}

fn report(campaign: Uuid, completed_at: DateTime<Utc>) -> Value {
    json!({
        "eventId": campaign,
        "distributedChannels": [
            {"channel": "URIDONGNETV", "channelType": "TV", "status": "SUCCESS", "expectedViews": 5000},
            {"channel": "INSTAGRAM", "channelType": "SNS", "status": "SUCCESS", "expectedViews": 2000},
            {"channel": "NAVER", "channelType": "BLOG", "status": "FAILED", "expectedViews": 1000},
        ],
        "completedAt": completed_at,
    })
}

/// Publishes on JetStream, retrying until the service has created the stream.
async fn publish(js: &async_nats::jetstream::Context, subject: &str, body: Vec<u8>) {
    eventually(
        SETTLE,
        "the distribution stream to accept a message",
        || {
            let js = js.clone();
            let body = body.clone();
            let subject = subject.to_string();
            async move { js.publish(subject, body.into()).await.ok()?.await.ok() }
        },
    )
    .await;
}

async fn next_dead_letter(dlq: &mut async_nats::Subscriber) -> DeadLetter {
    use futures::StreamExt;
    let message = tokio::time::timeout(SETTLE, dlq.next())
        .await
        .expect("a dead letter within the settle time")
        .expect("subscription open");
    serde_json::from_slice(&message.payload).expect("dead letter JSON")
}

async fn performance_events(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM events WHERE aggregate_type = 'CampaignPerformance'")
        .await
}

#[tokio::test]
async fn the_dashboard_shows_entries_costs_and_distribution_per_channel_and_hour() {
    let env = TestEnv::new().await;
    let (now, clock) = settable_clock();
    let app = TestApp::spawn_with(
        &env,
        env.config(),
        BuildOptions {
            clock,
            ..BuildOptions::default()
        },
    )
    .await;
    // Open from an hour ago for a day; channels URIDONGNETV, INSTAGRAM, NAVER, KAKAO, STORE_QR; target 100.
    let campaign = app.active_campaign("owner").await;
    let analytics = format!("/api/v1/events/{campaign}/analytics");

    // Before anything is projected the dashboard is empty, not an error.
    let (status, empty) = app.get(&analytics, Some("owner")).await;
    assert_eq!(status, 200, "{empty}");
    assert!(empty["roi"]["roi"].is_null());

    // Entries in three Korean hours: 2 in the first, none in the second, 4 in the third.
    let base = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap() + TimeDelta::hours(1);
    let entrants = [
        (5, "김철수", "010-3000-0001", "URIDONGNETV", true),
        (20, "이영희", "010-3000-0002", "INSTAGRAM", true),
        (130, "박민수", "010-3000-0003", "URIDONGNETV", false),
        (140, "최지우", "010-3000-0004", "INSTAGRAM", true),
        (150, "정우성", "010-3000-0005", "KAKAO", false),
        (170, "한가인", "010-3000-0006", "URIDONGNETV", false),
    ];
    for (minutes, name, phone, channel, visited) in entrants {
        *now.lock().unwrap() = base + TimeDelta::minutes(minutes);
        let (status, body) = app.enter(campaign, name, phone, channel, visited).await;
        assert_eq!(status, 201, "{body}");
    }

    // Costs: owner only, validated, answered with the ROI.
    let costs_path = format!("/api/v1/events/{campaign}/costs");
    let (status, body) = app.post(&costs_path, Some("owner"), &costs()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalCost"], 1_000_000);
    assert_eq!(body["roi"], 250.0);
    assert_eq!(body["salesGrowthRate"], 12.5);
    let (status, _) = app.post(&costs_path, Some("intruder"), &costs()).await;
    assert_eq!(status, 403);
    let (status, _) = app.post(&costs_path, None, &costs()).await;
    assert_eq!(status, 401);
    for (field, value) in [
        ("contentCost", json!(-1)),
        ("prizeCost", json!(1.5)),
        ("salesGrowthRate", json!(12.345)),
        ("expectedRevenue", json!(null)),
    ] {
        let mut bad = costs();
        bad[field] = value;
        let (status, body) = app.post(&costs_path, Some("owner"), &bad).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("VALIDATION_ERROR")),
            "{field}: {body}"
        );
        assert!(body["message"].as_str().unwrap().contains(field), "{body}");
    }
    // The same costs again record nothing new.
    let (status, _) = app.post(&costs_path, Some("owner"), &costs()).await;
    assert_eq!(status, 200);

    // The distribution system reports over NATS; bad reports are dead-lettered.
    let names = env.names();
    let js = env.jetstream().await;
    let nats = promo_eventstore::nats_url::connect(&env.nats_url)
        .await
        .expect("nats");
    let mut dlq = nats
        .subscribe(names.distribution_dlq_subject())
        .await
        .expect("dlq subscription");
    nats.flush().await.expect("flush");
    let subject = names.distribution_completed_subject();
    let completed_at = base + TimeDelta::hours(3);
    let good = serde_json::to_vec(&report(campaign, completed_at)).unwrap();
    publish(&js, &subject, good.clone()).await;
    publish(&js, &subject, b"{\"eventId\": not json".to_vec()).await;
    let letter = next_dead_letter(&mut dlq).await;
    assert!(letter.reason.starts_with("malformed JSON"), "{letter:?}");
    assert_eq!(letter.payload, "{\"eventId\": not json");
    assert_eq!(letter.subject, subject);
    // A redelivered report is recorded once; the consumer is sequential, so
    // the dead letter of the message after it proves it was handled.
    publish(&js, &subject, good).await;
    let unknown = serde_json::to_vec(&report(Uuid::new_v4(), completed_at)).unwrap();
    publish(&js, &subject, unknown).await;
    let letter = next_dead_letter(&mut dlq).await;
    assert!(letter.reason.contains("unknown campaign"), "{letter:?}");
    assert_eq!(
        performance_events(&app).await,
        2,
        "costs once, distribution once"
    );

    // Everything projected: wait for the last event's time to show.
    let dashboard: Value = eventually(SETTLE, "the dashboard to reflect every event", || {
        let app = &app;
        let analytics = analytics.clone();
        async move {
            let (status, body) = app.get(&analytics, Some("owner")).await;
            let updated: DateTime<Utc> = body["updatedAt"].as_str()?.parse().ok()?;
            (status == 200 && body["summary"]["participants"] == 6 && updated == completed_at)
                .then_some(body)
        }
    })
    .await;

    assert_eq!(
        dashboard["summary"],
        json!({
            "participants": 6, "targetParticipants": 100,
            // 6 / 100 × 100
            "achievementRate": 6.0,
            // Expected views until channels report: 5000 + 2000 + 0 (NAVER failed).
            "impressions": 7000,
            "roi": 250.0, "salesGrowthRate": 12.5,
        })
    );
    assert_eq!(
        dashboard["channelPerformance"],
        json!([
            // conversionRate = participants / views × 100: 3 / 5000, 2 / 2000.
            {"channel": "URIDONGNETV", "participants": 3, "storeVisits": 1, "impressions": 5000,
             "views": 5000, "clicks": 0, "conversionRate": 0.06},
            {"channel": "INSTAGRAM", "participants": 2, "storeVisits": 2, "impressions": 2000,
             "views": 2000, "clicks": 0, "conversionRate": 0.1},
            {"channel": "NAVER", "participants": 0, "storeVisits": 0, "impressions": 0,
             "views": 0, "clicks": 0, "conversionRate": null},
            {"channel": "KAKAO", "participants": 1, "storeVisits": 0, "impressions": 0,
             "views": 0, "clicks": 0, "conversionRate": null},
            {"channel": "STORE_QR", "participants": 0, "storeVisits": 0, "impressions": 0,
             "views": 0, "clicks": 0, "conversionRate": null},
        ])
    );
    let kst = |at: DateTime<Utc>| {
        at.with_timezone(&promo_domain::entry_number::kst())
            .to_rfc3339()
    };
    assert_eq!(
        dashboard["timeline"],
        json!([
            {"hour": kst(base), "participants": 2, "cumulativeParticipants": 2},
            {"hour": kst(base + TimeDelta::hours(1)), "participants": 0, "cumulativeParticipants": 2},
            {"hour": kst(base + TimeDelta::hours(2)), "participants": 4, "cumulativeParticipants": 6},
        ])
    );
    assert!(dashboard["timeline"][0]["hour"]
        .as_str()
        .unwrap()
        .ends_with(":00:00+09:00"));
    assert_eq!(
        dashboard["roi"],
        json!({"totalCost": 1_000_000, "expectedRevenue": 3_500_000, "roi": 250.0})
    );

    // Owner only.
    let (status, body) = app.get(&analytics, Some("intruder")).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")));
    let (status, _) = app.get(&analytics, None).await;
    assert_eq!(status, 401);
    let (status, body) = app
        .get(
            &format!("/api/v1/events/{}/analytics", Uuid::new_v4()),
            Some("owner"),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("EVENT_NOT_FOUND"))
    );
    app.stop().await;
}

/// A fake of the external channel statistics APIs, counting calls per channel.
#[derive(Default)]
struct FakeChannels {
    hits: Mutex<std::collections::HashMap<String, usize>>,
}

impl FakeChannels {
    fn hits(&self, channel: &str) -> usize {
        self.hits.lock().unwrap().get(channel).copied().unwrap_or(0)
    }
}

async fn fake_stats(
    axum::extract::State(fake): axum::extract::State<Arc<FakeChannels>>,
    axum::extract::Path((channel, _event_id)): axum::extract::Path<(String, String)>,
) -> (axum::http::StatusCode, axum::Json<Value>) {
    use axum::http::StatusCode;
    if channel == "GINITV" {
        // Hangs past the collector's timeout: a timeout, retried, then the breaker.
        fake.hits
            .lock()
            .unwrap()
            .entry(channel)
            .and_modify(|n| *n += 1)
            .or_insert(1);
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        return (StatusCode::OK, axum::Json(json!({"impressions": 1})));
    }
    let call = {
        let mut hits = fake.hits.lock().unwrap();
        let n = hits.entry(channel.clone()).or_default();
        *n += 1;
        *n
    };
    let ok = |body| (StatusCode::OK, axum::Json(body));
    let down = (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({})));
    match (channel.as_str(), call) {
        // Down for good.
        ("URIDONGNETV", _) => down,
        // Busy once (retried), answers once, then goes down (last value kept).
        ("INSTAGRAM", 1) => (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({}))),
        ("INSTAGRAM", 2) => ok(json!({
            "impressions": 9000, "views": 3000, "clicks": 120,
            "likes": 300, "comments": 50, "shares": 10,
        })),
        ("INSTAGRAM", _) => down,
        // Healthy and unchanged: recorded once.
        ("NAVER", _) => ok(json!({"impressions": 100, "views": 50, "clicks": 5})),
        _ => (StatusCode::NOT_FOUND, axum::Json(json!({}))),
    }
}

#[tokio::test]
async fn channel_statistics_are_collected_with_retries_a_breaker_and_the_last_value_kept() {
    let env = TestEnv::new().await;
    let fake = Arc::new(FakeChannels::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake_addr = listener.local_addr().unwrap();
    let fake_router = axum::Router::new()
        .route(
            "/{channel}/stats/{event_id}",
            axum::routing::get(fake_stats),
        )
        .with_state(fake.clone());
    let fake_server = tokio::spawn(async move { axum::serve(listener, fake_router).await });

    let mut config = env.config();
    let mut settings = promo_application::jobs::channel_stats::ChannelStatsSettings::new(format!(
        "http://{fake_addr}"
    ));
    settings.interval = std::time::Duration::from_millis(100);
    settings.timeout = std::time::Duration::from_millis(300);
    settings.retries = 2;
    settings.backoff = std::time::Duration::from_millis(10);
    settings.breaker.min_calls = 2;
    settings.breaker.cooldown = std::time::Duration::from_secs(3600);
    config.channel_stats = Some(settings);
    let app = TestApp::spawn_with(&env, config, BuildOptions::default()).await;

    let campaign = app.draft("owner").await;
    let now = Utc::now();
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/publish"),
            Some("owner"),
            &json!({
                "title": "가을 맞이 경품 이벤트", "prize": "KT 멤버십 5,000P",
                "startsAt": now - TimeDelta::hours(1), "endsAt": now + TimeDelta::days(1),
                "announcementAt": now + TimeDelta::days(2), "winnerCount": 1,
                "channels": ["URIDONGNETV", "INSTAGRAM", "NAVER", "GINITV", "STORE_QR"],
                "targetParticipants": 10,
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for phone in ["010-4000-0001", "010-4000-0002"] {
        let (status, body) = app
            .enter(campaign, "김철수", phone, "INSTAGRAM", false)
            .await;
        assert_eq!(status, 201, "{body}");
    }

    // Six sweeps reached the healthy channel: both failing channels have had
    // time to trip their breakers and stay open.
    eventually(SETTLE, "six sweeps", || {
        let fake = fake.clone();
        async move { (fake.hits("NAVER") >= 6).then_some(()) }
    })
    .await;
    // Two failed fetches of three attempts each (first try + 2 retries): 2 of 2
    // failed, above half, open.
    assert_eq!(fake.hits("URIDONGNETV"), 6);
    // 503 then 200 (one fetch, retried), then two failed fetches of three
    // attempts: 1 of 2 is not above half, 2 of 3 is.
    assert_eq!(fake.hits("INSTAGRAM"), 8);
    // Timed out twice, three attempts each, then open: never recorded.
    assert_eq!(fake.hits("GINITV"), 6);
    assert_eq!(
        fake.hits("STORE_QR"),
        0,
        "the in-store QR has no external API"
    );
    let observed = app
        .count(
            "SELECT count(*) FROM events WHERE aggregate_type = 'CampaignPerformance' \
             AND event_type = 'ChannelStatsObserved'",
        )
        .await;
    assert_eq!(
        observed, 2,
        "INSTAGRAM once, NAVER once (unchanged afterwards)"
    );

    let analytics = format!("/api/v1/events/{campaign}/analytics");
    let dashboard: Value = eventually(SETTLE, "observed statistics on the dashboard", || {
        let app = &app;
        let analytics = analytics.clone();
        async move {
            let (_, body) = app.get(&analytics, Some("owner")).await;
            (body["summary"]["impressions"] == 9100 && body["summary"]["participants"] == 2)
                .then_some(body)
        }
    })
    .await;
    assert_eq!(
        dashboard["channelPerformance"],
        json!([
            {"channel": "URIDONGNETV", "participants": 0, "storeVisits": 0, "impressions": 0,
             "views": 0, "clicks": 0, "conversionRate": null},
            // Only ever timed out: nothing observed.
            {"channel": "GINITV", "participants": 0, "storeVisits": 0, "impressions": 0,
             "views": 0, "clicks": 0, "conversionRate": null},
            // Kept at the last value although the channel is down now; 2 / 3000 × 100.
            {"channel": "INSTAGRAM", "participants": 2, "storeVisits": 0, "impressions": 9000,
             "views": 3000, "clicks": 120, "conversionRate": 0.07},
            {"channel": "NAVER", "participants": 0, "storeVisits": 0, "impressions": 100,
             "views": 50, "clicks": 5, "conversionRate": 0.0},
            {"channel": "STORE_QR", "participants": 0, "storeVisits": 0, "impressions": 0,
             "views": 0, "clicks": 0, "conversionRate": null},
        ])
    );
    app.stop().await;
    fake_server.abort();
}
