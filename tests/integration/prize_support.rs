//! Helpers shared by the prize delivery tests: a drawn campaign published
//! with given rules, the claim and forfeit calls, and reading recorded events.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use promo_api::BuildOptions;
use promo_tests::TestApp;
use serde_json::{json, Value};
use uuid::Uuid;

pub const OWNER: &str = "owner-prize";

/// `(name, phone)` of `n` entrants with distinctive numbers.
pub fn people(n: usize) -> Vec<(String, String)> {
    const NAMES: [&str; 5] = ["김하늘", "이바다", "박노을", "최새벽", "정구름"];
    (0..n)
        .map(|i| {
            (
                format!("{}{}", NAMES[i % NAMES.len()], i / NAMES.len()),
                format!("010-58{:02}-{:04}", i % 100, 3000 + i),
            )
        })
        .collect()
}

/// Build options whose clock runs `offset` seconds ahead (the test moves it).
pub fn clocked(offset: &Arc<AtomicI64>) -> BuildOptions {
    let offset = offset.clone();
    BuildOptions {
        clock: Arc::new(move || {
            Utc::now() + ChronoDuration::seconds(offset.load(Ordering::SeqCst))
        }),
        ..BuildOptions::default()
    }
}

/// Publishes a campaign with these draw rules (merged into the body), open
/// from an hour ago for a day and announced the day after; returns it and
/// its announcement time.
pub async fn published(app: &TestApp, rules: Value) -> (Uuid, DateTime<Utc>) {
    let campaign = app.draft(OWNER).await;
    let now = Utc::now();
    let announcement = now + ChronoDuration::days(2);
    let mut body = json!({
        "title": "경품 수령 이벤트",
        "prize": "커피 교환권",
        "startsAt": now - ChronoDuration::hours(1),
        "endsAt": now + ChronoDuration::days(1),
        "announcementAt": announcement,
        "channels": ["INSTAGRAM", "KAKAO"],
        "targetParticipants": 50,
    });
    for (key, value) in rules.as_object().unwrap() {
        body[key] = value.clone();
    }
    let (status, published) = app
        .post(
            &format!("/api/v1/events/{campaign}/publish"),
            Some(OWNER),
            &body,
        )
        .await;
    assert_eq!(status, 200, "publish: {published}");
    (campaign, announcement)
}

/// A campaign published with `rules`, entered by `people`, ended and drawn;
/// returns it, the draw answer and the announcement time.
pub async fn drawn_campaign(
    app: &TestApp,
    rules: Value,
    people: &[(String, String)],
) -> (Uuid, Value, DateTime<Utc>) {
    let (campaign, announcement) = published(app, rules).await;
    for (name, phone) in people {
        let (status, body) = app.enter(campaign, name, phone, "KAKAO", false).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/end"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "end: {body}");
    let (status, drawn) = app
        .post(
            &format!("/api/v1/events/{campaign}/draw-winners"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "draw: {drawn}");
    (campaign, drawn, announcement)
}

/// Participant ids of the draw answer's `winners` or `alternates`, in rank order.
pub fn ranked(drawn: &Value, list: &str) -> Vec<String> {
    drawn[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["participantId"].as_str().unwrap().to_string())
        .collect()
}

pub async fn claim(app: &TestApp, campaign: Uuid, participant: &str) -> (u16, Value) {
    app.post(
        &format!("/api/v1/events/{campaign}/winners/{participant}/claim"),
        Some(OWNER),
        &json!({}),
    )
    .await
}

pub async fn forfeit(
    app: &TestApp,
    campaign: Uuid,
    participant: &str,
    reason: &str,
) -> (u16, Value) {
    app.post(
        &format!("/api/v1/events/{campaign}/winners/{participant}/forfeit"),
        Some(OWNER),
        &json!({ "reason": reason }),
    )
    .await
}

/// The owner's `GET /winners`.
pub async fn winners(app: &TestApp, campaign: Uuid) -> Value {
    let (status, body) = app
        .get(&format!("/api/v1/events/{campaign}/winners"), Some(OWNER))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Payloads of every stored event of this type, in commit order.
pub async fn recorded(app: &TestApp, event_type: &str) -> Vec<Value> {
    let payloads: Vec<Value> = sqlx::query_scalar(
        "SELECT payload FROM events WHERE event_type = $1 ORDER BY transaction_id, position",
    )
    .bind(event_type)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    payloads
        .into_iter()
        .map(|p| p[event_type].clone())
        .collect()
}

pub fn code(body: &Value) -> Option<&str> {
    body["code"].as_str()
}
