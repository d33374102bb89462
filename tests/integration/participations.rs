//! Entering a campaign: validation, rules, and one entry per phone under a race.

use std::sync::Arc;

use chrono::{Duration, Utc};
use promo_tests::{participants_projected, TestApp, TestEnv};
use serde_json::json;

#[tokio::test]
async fn an_entry_gets_a_number_bonus_entries_and_a_thank_you() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;

    let (status, body) = app
        .enter(campaign, "김철수", "010-1234-5678", "URIDONGNETV", false)
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["eventId"], campaign.to_string());
    assert_eq!(body["bonusEntries"], 1);
    assert!(body["message"].as_str().unwrap().contains("감사합니다"));
    assert!(body["announcementAt"].is_string());
    let number = body["entryNumber"].as_str().unwrap();
    let code = campaign.simple().to_string()[..8].to_uppercase();
    let today = promo_domain::entry_number::entry_day(Utc::now())
        .format("%Y%m%d")
        .to_string();
    assert_eq!(number, format!("EVT{code}-{today}-001"));

    let (status, body) = app
        .enter(campaign, "이영희", "+82 10-9999-0000", "STORE_QR", true)
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["bonusEntries"], 3);
    assert_eq!(body["entryNumber"], format!("EVT{code}-{today}-002"));

    // The same phone in another format is the same entrant.
    let (status, body) = app
        .enter(campaign, "김철수", "01012345678", "KAKAO", false)
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body,
        json!({"code": "PART_001", "message": "이미 참여하신 이벤트입니다"})
    );

    // Events carry no plaintext name or phone.
    let payloads: Vec<String> = sqlx::query_scalar(
        "SELECT payload::text FROM events WHERE aggregate_type = 'Participation'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(payloads.len(), 2);
    for payload in payloads {
        for secret in [
            "김철수",
            "이영희",
            "01012345678",
            "1234-5678",
            "01099990000",
        ] {
            assert!(!payload.contains(secret), "plaintext {secret} in {payload}");
        }
    }
    // The aggregate id is a keyed hash, not the phone.
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT aggregate_id FROM events WHERE aggregate_type = 'Participation'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(ids
        .iter()
        .all(|id| id.len() == 64 && !id.contains("0101234")));

    // The participation log keeps every attempt with channel and user agent.
    let pool = app.pool.clone();
    promo_tests::eventually(promo_tests::SETTLE, "attempts logged", || {
        let pool = pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM participation_attempts WHERE user_agent IS NOT NULL AND channel IS NOT NULL")
                .fetch_one(&pool).await.ok()?;
            (n == 3).then_some(())
        }
    })
    .await;
    let outcomes: Vec<String> =
        sqlx::query_scalar("SELECT outcome FROM participation_attempts ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(outcomes, ["ACCEPTED", "ACCEPTED", "PART_001"]);
    app.stop().await;
}

#[tokio::test]
async fn invalid_input_is_refused_naming_the_field() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    let valid = json!({"eventId": campaign, "name": "김철수", "phoneNumber": "010-1234-5678", "channel": "NAVER", "storeVisited": false, "agreePrivacy": true, "agreeMarketing": true});
    let cases = [
        ("name", json!("김")),
        ("name", json!(null)),
        ("phoneNumber", json!("02-123-4567")),
        ("phoneNumber", json!("010-1234-567")),
        ("channel", json!("TIKTOK")),
        ("agreePrivacy", json!(false)),
        ("eventId", json!("not-an-id")),
        ("name", json!(12)),
    ];
    for (field, value) in cases {
        let mut body = valid.clone();
        body[field] = value.clone();
        let (status, answer) = app.post("/api/v1/participations", None, &body).await;
        assert_eq!(status, 400, "{field}={value}: {answer}");
        assert_eq!(answer["code"], "VALIDATION_ERROR", "{field}={value}");
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{field}={value}: {answer}"
        );
    }
    let response = app
        .client
        .post(app.url("/api/v1/participations"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "VALIDATION_ERROR");

    let mut unknown = valid.clone();
    unknown["eventId"] = json!(uuid::Uuid::new_v4());
    let (status, body) = app.post("/api/v1/participations", None, &unknown).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("EVENT_NOT_FOUND"))
    );
    app.stop().await;
}

#[tokio::test]
async fn entries_are_refused_outside_the_campaign_period() {
    let env = TestEnv::new().await;
    // A clock the test can move past a campaign's end (a campaign cannot be
    // published with its end already past).
    let offset = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let clock_offset = offset.clone();
    let options = promo_api::BuildOptions {
        clock: Arc::new(move || {
            Utc::now() + Duration::seconds(clock_offset.load(std::sync::atomic::Ordering::SeqCst))
        }),
        ..promo_api::BuildOptions::default()
    };
    let app = TestApp::spawn_with(&env, env.config(), options).await;

    let draft = app.draft("owner").await;
    let (status, body) = app
        .enter(draft, "김철수", "010-1111-2222", "KAKAO", false)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("PART_002")),
        "{body}"
    );

    let now = Utc::now();
    let future = app
        .campaign_with_period("owner", now + Duration::days(1), now + Duration::days(2))
        .await;
    let (status, body) = app
        .enter(future, "김철수", "010-1111-2222", "KAKAO", false)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("PART_002")),
        "{body}"
    );

    let past = app
        .campaign_with_period(
            "owner",
            now - Duration::days(2),
            now + Duration::minutes(10),
        )
        .await;
    offset.store(24 * 3600, std::sync::atomic::Ordering::SeqCst); // a day later
    let (status, body) = app
        .enter(past, "김철수", "010-1111-2222", "KAKAO", false)
        .await;
    offset.store(0, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("PART_005")),
        "{body}"
    );

    let ended = app.active_campaign("owner").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/events/{ended}/end"),
            Some("owner"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .enter(ended, "김철수", "010-1111-2222", "KAKAO", false)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("PART_005")),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_identical_concurrent_entries_give_one_201_and_199_409() {
    let env = TestEnv::new().await;
    let app = Arc::new(TestApp::spawn(&env).await);
    let campaign = app.active_campaign("owner").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(200));
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let app = app.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                app.enter(campaign, "김철수", "010-5555-7777", "INSTAGRAM", false)
                    .await
            })
        })
        .collect();
    let mut created = 0;
    let mut duplicates = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => created += 1,
            409 => {
                assert_eq!(body["code"], "PART_001", "{body}");
                assert_eq!(body["message"], "이미 참여하신 이벤트입니다");
                duplicates += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((created, duplicates), (1, 199));
    assert_eq!(
        app.count("SELECT count(*) FROM events WHERE aggregate_type = 'Participation'")
            .await,
        1
    );
    participants_projected(&app, campaign, 1).await;
    let (status, list) = app
        .get(
            &format!("/api/v1/events/{campaign}/participants"),
            Some("owner"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["totalCount"], 1);
    assert_eq!(list["participants"].as_array().unwrap().len(), 1);
    Arc::into_inner(app).unwrap().stop().await;
}

#[tokio::test]
async fn refused_entries_use_no_entry_number() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    let mut numbers = Vec::new();
    for i in 0..5 {
        let (status, body) = app
            .enter(
                campaign,
                "김철수",
                &format!("010-3000-000{i}"),
                "KAKAO",
                false,
            )
            .await;
        assert_eq!(status, 201, "{body}");
        numbers.push(body["entryNumber"].as_str().unwrap().to_string());
        // A duplicate and an invalid entry in between take no number.
        let (status, _) = app
            .enter(
                campaign,
                "김철수",
                &format!("010-3000-000{i}"),
                "KAKAO",
                false,
            )
            .await;
        assert_eq!(status, 409);
        let (status, _) = app
            .enter(campaign, "김", "010-3999-0000", "KAKAO", false)
            .await;
        assert_eq!(status, 400);
    }
    let sequences: Vec<String> = numbers
        .iter()
        .map(|n| n.rsplit('-').next().unwrap().to_string())
        .collect();
    assert_eq!(
        sequences,
        ["001", "002", "003", "004", "005"],
        "{numbers:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn concurrent_entries_get_consecutive_unique_numbers() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    let requests = (0..60).map(|i| {
        let app = &app;
        async move {
            // Every third request repeats a phone: refused, and numberless.
            let phone = format!("010-4000-{:04}", i - i % 3 * (i % 3 == 2) as i32);
            app.enter(campaign, "이영희", &phone, "NAVER", false).await
        }
    });
    let answers = futures::future::join_all(requests).await;
    let mut sequences: Vec<u32> = answers
        .iter()
        .filter(|(status, _)| *status == 201)
        .map(|(_, body)| {
            body["entryNumber"]
                .as_str()
                .unwrap()
                .rsplit('-')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    sequences.sort();
    let accepted = sequences.len() as u32;
    assert!(accepted < 60, "some phones repeat");
    assert_eq!(sequences, (1..=accepted).collect::<Vec<_>>());
    app.stop().await;
}
