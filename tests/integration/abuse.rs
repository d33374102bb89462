//! Abuse limits on the public entry endpoint: per-IP and per-phone rate
//! limits (429 `RATE_LIMITED` with `Retry-After`) and the body size limit.

use promo_api::config::RateLimits;
use promo_api::BuildOptions;
use promo_tests::{TestApp, TestEnv};
use serde_json::{json, Value};

async fn app_with(env: &TestEnv, limits: RateLimits) -> TestApp {
    let mut config = env.config();
    config.rate_limits = limits;
    TestApp::spawn_with(env, config, BuildOptions::default()).await
}

fn entry(campaign: uuid::Uuid, phone: &str) -> Value {
    json!({
        "eventId": campaign, "name": "김철수", "phoneNumber": phone, "channel": "KAKAO",
        "storeVisited": false, "agreePrivacy": true, "agreeMarketing": false,
    })
}

/// Status, code and `Retry-After` of one entry attempt.
async fn attempt(
    app: &TestApp,
    body: &Value,
    forwarded_for: Option<&str>,
) -> (u16, Option<String>, Option<u64>) {
    let mut request = app
        .client
        .post(app.url("/api/v1/participations"))
        .json(body);
    if let Some(ip) = forwarded_for {
        request = request.header("X-Forwarded-For", ip);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status == 429 {
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    (
        status,
        body["code"].as_str().map(str::to_string),
        retry_after,
    )
}

#[tokio::test]
async fn one_phone_number_is_limited_in_every_format() {
    let env = TestEnv::new().await;
    let app = app_with(
        &env,
        RateLimits {
            per_ip_per_minute: 0,
            per_phone_per_minute: 3,
            trust_forwarded_for: false,
            ..RateLimits::default()
        },
    )
    .await;
    let campaign = app.active_campaign("owner").await;
    let formats = ["010-2222-3333", "01022223333", "+82 10 2222 3333"];
    let mut statuses = Vec::new();
    for phone in formats {
        statuses.push(attempt(&app, &entry(campaign, phone), None).await.0);
    }
    assert_eq!(statuses, [201, 409, 409]);
    let (status, code, retry_after) =
        attempt(&app, &entry(campaign, "+82-10-2222-3333"), None).await;
    assert_eq!((status, code.as_deref()), (429, Some("RATE_LIMITED")));
    let retry_after = retry_after.expect("Retry-After header");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // Another phone is not affected, nor is the rest of the API.
    let (status, _, _) = attempt(&app, &entry(campaign, "010-2222-4444"), None).await;
    assert_eq!(status, 201);
    let (status, _) = app.get(&format!("/api/v1/events/{campaign}"), None).await;
    assert_eq!(status, 200);
    app.stop().await;
}

#[tokio::test]
async fn one_client_ip_is_limited_and_forwarded_for_is_trusted_only_when_configured() {
    let env = TestEnv::new().await;
    let app = app_with(
        &env,
        RateLimits {
            per_ip_per_minute: 5,
            per_phone_per_minute: 0,
            trust_forwarded_for: false,
            ..RateLimits::default()
        },
    )
    .await;
    let campaign = app.active_campaign("owner").await;
    for i in 0..5 {
        let (status, _, _) = attempt(
            &app,
            &entry(campaign, &format!("010-3000-{i:04}")),
            Some(&format!("203.0.113.{i}")),
        )
        .await;
        assert_eq!(status, 201);
    }
    // X-Forwarded-For is ignored: every request came from 127.0.0.1.
    let (status, code, retry_after) = attempt(
        &app,
        &entry(campaign, "010-3000-0099"),
        Some("198.51.100.7"),
    )
    .await;
    assert_eq!((status, code.as_deref()), (429, Some("RATE_LIMITED")));
    assert!(retry_after.is_some());
    app.stop().await;

    let app = app_with(
        &env,
        RateLimits {
            per_ip_per_minute: 2,
            per_phone_per_minute: 0,
            trust_forwarded_for: true,
            ..RateLimits::default()
        },
    )
    .await;
    let proxied = |ip: &str| format!("10.0.0.1, {ip}");
    for i in 0..2 {
        let (status, _, _) = attempt(
            &app,
            &entry(campaign, &format!("010-3100-{i:04}")),
            Some(&proxied("203.0.113.1")),
        )
        .await;
        assert_eq!(status, 201);
    }
    let (status, code, _) = attempt(
        &app,
        &entry(campaign, "010-3100-0098"),
        Some(&proxied("203.0.113.1")),
    )
    .await;
    assert_eq!((status, code.as_deref()), (429, Some("RATE_LIMITED")));
    let (status, _, _) = attempt(
        &app,
        &entry(campaign, "010-3100-0099"),
        Some(&proxied("203.0.113.2")),
    )
    .await;
    assert_eq!(status, 201, "another client behind the proxy");
    app.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let env = TestEnv::new().await;
    for limits in [
        RateLimits::default(),
        RateLimits {
            per_ip_per_minute: 0,
            per_phone_per_minute: 0,
            trust_forwarded_for: false,
            ..RateLimits::default()
        },
    ] {
        let app = app_with(&env, limits).await;
        let campaign = app.active_campaign("owner").await;
        let mut body = entry(campaign, "010-5555-6666");
        body["name"] = json!("가".repeat(30 * 1024));
        let (status, body) = app.post("/api/v1/participations", None, &body).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (413, Some("PAYLOAD_TOO_LARGE")),
            "{body}"
        );
        assert!(body["message"].as_str().is_some());
        // Also on owner endpoints.
        let big = json!({"objective": "매출 증대", "storeName": "x".repeat(70 * 1024), "industry": "a", "address": "b"});
        let (status, body) = app
            .post("/api/v1/events/purposes", Some("owner"), &big)
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (413, Some("PAYLOAD_TOO_LARGE"))
        );
        // Just under the limit is parsed (and refused for its content).
        let mut body = entry(campaign, "010-5555-6666");
        body["name"] = json!("가".repeat(20 * 1024));
        let (status, body) = app.post("/api/v1/participations", None, &body).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("VALIDATION_ERROR"))
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn two_instances_on_one_database_share_the_limits() {
    let env = TestEnv::new().await;
    let limits = RateLimits {
        per_ip_per_minute: 6,
        per_phone_per_minute: 3,
        ..RateLimits::default()
    };
    let first = app_with(&env, limits.clone()).await;
    let mut config = env.config();
    config.rate_limits = limits;
    config.run_background = false;
    let second = TestApp::spawn_with(&env, config, BuildOptions::default()).await;
    let campaign = first.active_campaign("owner").await;

    // One phone through both instances: three attempts in all, then 429.
    let mut statuses = Vec::new();
    for (i, phone) in [
        "010-5555-6666",
        "01055556666",
        "+82 10 5555 6666",
        "010-5555-6666",
    ]
    .into_iter()
    .enumerate()
    {
        let app = if i % 2 == 0 { &first } else { &second };
        statuses.push(attempt(app, &entry(campaign, phone), None).await.0);
    }
    assert_eq!(
        statuses,
        [201, 409, 409, 429],
        "one bucket for both instances"
    );

    // One client IP: six requests in all (four so far), alternating.
    let mut statuses = Vec::new();
    for i in 0..4 {
        let app = if i % 2 == 0 { &second } else { &first };
        let phone = format!("010-7777-{:04}", 1000 + i);
        statuses.push(attempt(app, &entry(campaign, &phone), None).await.0);
    }
    assert_eq!(
        statuses,
        [201, 201, 429, 429],
        "one bucket for both instances"
    );
    second.stop().await;
    first.stop().await;
}
