//! What the owner and the customers send: the campaign, the burst of
//! entries through both APIs, the end and the draw.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration as ChronoDuration, Utc};
use futures::StreamExt;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{CONCURRENCY, ENTRIES, WINNERS};

/// One entry's answer.
pub struct Answer {
    pub status: Option<u16>,
    pub entrant_id: Option<String>,
}

/// Creates and publishes a campaign open from an hour ago for a day.
pub async fn open_campaign(client: &reqwest::Client, api: &str, token: &str) -> Uuid {
    let (status, draft) = post(
        client,
        &format!("{api}/api/v1/events/purposes"),
        token,
        &json!({"objective": "신규 고객 유치", "storeName": "맛있는집", "industry": "음식점", "address": "서울시 강남구"}),
    )
    .await;
    assert_eq!(status, 200, "draft: {draft}");
    let campaign: Uuid = draft["eventDraftId"]
        .as_str()
        .expect("eventDraftId")
        .parse()
        .expect("a uuid");
    let now = Utc::now();
    let ends_at = now + ChronoDuration::days(1);
    let (status, published) = post(
        client,
        &format!("{api}/api/v1/events/{campaign}/publish"),
        token,
        &json!({
            "title": "규모 확장 시험",
            "prize": "KT 멤버십 5,000P",
            "startsAt": now - ChronoDuration::hours(1),
            "endsAt": ends_at,
            "announcementAt": ends_at + ChronoDuration::days(1),
            "winnerCount": WINNERS,
            "channels": ["INSTAGRAM", "NAVER", "KAKAO"],
            "targetParticipants": ENTRIES,
        }),
    )
    .await;
    assert_eq!(status, 200, "publish: {published}");
    campaign
}

/// Sends every entry once, alternating between the APIs, `CONCURRENCY` at
/// a time; counts the acknowledged ones in `acked` as they come.
pub async fn burst(
    client: &reqwest::Client,
    api: &[String; 2],
    campaign: Uuid,
    acked: &AtomicUsize,
) -> Vec<Answer> {
    const CHANNELS: [&str; 3] = ["INSTAGRAM", "NAVER", "KAKAO"];
    futures::stream::iter(0..ENTRIES)
        .map(|i| async move {
            let body = json!({
                "eventId": campaign,
                "name": "김철수",
                "phoneNumber": format!("010-{:04}-{:04}", 5000 + i / 10_000, i % 10_000),
                "channel": CHANNELS[i % CHANNELS.len()],
                "agreePrivacy": true,
            });
            let response = client
                .post(format!("{}/api/v1/participations", api[i % 2]))
                .json(&body)
                .send()
                .await;
            let Ok(response) = response else {
                return Answer {
                    status: None,
                    entrant_id: None,
                };
            };
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            if status == 201 {
                acked.fetch_add(1, Ordering::Relaxed);
            }
            Answer {
                status: Some(status),
                entrant_id: body["entrantId"].as_str().map(str::to_string),
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await
}

/// Ends the campaign and draws (each on another API instance); the draw's answer.
pub async fn end_and_draw(
    client: &reqwest::Client,
    api: &[String; 2],
    campaign: Uuid,
    token: &str,
) -> Value {
    let (status, ended) = post(
        client,
        &format!("{}/api/v1/events/{campaign}/end", api[1]),
        token,
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "end: {ended}");
    let (status, draw) = post(
        client,
        &format!("{}/api/v1/events/{campaign}/draw-winners", api[0]),
        token,
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "draw: {draw}");
    draw
}

pub async fn post(client: &reqwest::Client, url: &str, token: &str, body: &Value) -> (u16, Value) {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn get(client: &reqwest::Client, url: &str, token: &str) -> (u16, Value) {
    let response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
