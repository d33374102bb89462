//! A campaign from publication to a delivered prize, through the HTTP API
//! alone, with every notification received by a real HTTP server standing
//! in for the KakaoTalk gateway.

use std::sync::Arc;
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use promo_application::jobs::notify::NotifySettings;
use promo_tests::gateway::{Answer, FakeGateway};
use promo_tests::{eventually, TestApp, TestEnv, SETTLE};
use serde_json::{json, Value};

use crate::prize_support::{claim, code, forfeit, people, winners, OWNER};

/// Gateway deliveries of this kind, as `(participantId, phoneNumber, message)`.
fn deliveries(gateway: &FakeGateway, kind: &str) -> Vec<(String, String, String)> {
    let mut found: Vec<(String, String, String)> = gateway
        .delivered()
        .values()
        .filter(|body| body["kind"] == kind)
        .map(|body| {
            let text = |field: &str| body[field].as_str().unwrap_or_default().to_string();
            (text("participantId"), text("phoneNumber"), text("message"))
        })
        .collect();
    found.sort();
    found
}

async fn delivered(
    gateway: &FakeGateway,
    kind: &str,
    count: usize,
) -> Vec<(String, String, String)> {
    eventually(
        SETTLE,
        "the gateway to receive the notifications",
        || async {
            let found = deliveries(gateway, kind);
            (found.len() == count).then_some(found)
        },
    )
    .await
}

/// The whole journey in one function on purpose: it is the proof that the
/// steps fit together through the API alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_runs_from_publication_to_a_delivered_prize() {
    let env = TestEnv::new().await;
    let gateway = FakeGateway::start(Arc::new(|_: &Value, _| Answer::Accept)).await;
    let mut config = env.config();
    let mut notify = NotifySettings::new(gateway.url.clone());
    notify.api_key = Some("journey-key".into());
    notify.poll = Duration::from_millis(50);
    config.prize_delivery.notify = Some(notify);
    let app = TestApp::spawn_with(&env, config, Default::default()).await;

    // The owner publishes with the draw rules fixed.
    let campaign = app.draft(OWNER).await;
    let now = Utc::now();
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/publish"),
            Some(OWNER),
            &json!({
                "title": "단골 감사 이벤트", "prize": "케이크 교환권",
                "startsAt": now - ChronoDuration::hours(1), "endsAt": now + ChronoDuration::days(1),
                "announcementAt": now + ChronoDuration::days(2),
                "winnerCount": 1, "alternateCount": 1, "claimDays": 3, "visitBonus": false,
                "channels": ["INSTAGRAM"], "targetParticipants": 10,
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, shown) = app.get(&format!("/api/v1/events/{campaign}"), None).await;
    assert_eq!(
        (
            shown["alternateCount"].as_i64(),
            shown["claimDays"].as_i64()
        ),
        (Some(1), Some(3))
    );

    // Three customers enter; each gets a confirmation from the gateway.
    let entrants = people(3);
    for (name, phone) in &entrants {
        let (status, body) = app.enter(campaign, name, phone, "INSTAGRAM", false).await;
        assert_eq!(status, 201, "{body}");
    }
    let confirmations = delivered(&gateway, "ENTRY_CONFIRMED", 3).await;
    for (_, phone, message) in &confirmations {
        assert!(phone.starts_with("+8210"), "{phone}");
        assert!(message.contains("참여가 완료되었습니다"), "{message}");
    }

    // End, draw: the winner hears it from the gateway.
    let (status, _) = app
        .post(
            &format!("/api/v1/events/{campaign}/end"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, drawn) = app
        .post(
            &format!("/api/v1/events/{campaign}/draw-winners"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{drawn}");
    let winner = drawn["winners"][0]["participantId"]
        .as_str()
        .unwrap()
        .to_string();
    let alternate = drawn["alternates"][0]["participantId"]
        .as_str()
        .unwrap()
        .to_string();
    let notices = delivered(&gateway, "WINNER", 1).await;
    assert_eq!(notices[0].0, winner);
    assert!(
        notices[0].2.contains("당첨을 축하드립니다"),
        "{}",
        notices[0].2
    );

    // The owner looks up the winner's contact (logged), cannot reach them,
    // and forfeits: the alternate takes the prize and is notified.
    let (status, contacts) = app
        .get(
            &format!("/api/v1/events/{campaign}/winners/contacts"),
            Some(OWNER),
        )
        .await;
    assert_eq!(status, 200, "{contacts}");
    let full_phone = contacts["winners"][0]["phoneNumber"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        entrants.iter().any(|(_, phone)| *phone == full_phone),
        "{full_phone}"
    );
    let (status, body) = forfeit(&app, campaign, &winner, "연락 두절").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["promoted"]["participantId"], json!(alternate));
    let notices = delivered(&gateway, "WINNER", 2).await;
    assert!(notices.iter().any(|(id, _, _)| *id == alternate));

    // The alternate picks the prize up.
    let (status, body) = claim(&app, campaign, &alternate).await;
    assert_eq!(
        (status, &body["claimStatus"]),
        (200, &json!("CLAIMED")),
        "{body}"
    );
    let listed = eventually(
        SETTLE,
        "the delivered prize on the winners list",
        || async {
            let listed = winners(&app, campaign).await;
            (listed["winners"][0]["notification"]["status"] == "SENT").then_some(listed)
        },
    )
    .await;
    let row = &listed["winners"][0];
    assert_eq!(
        (&row["participantId"], &row["claimStatus"], &row["promoted"]),
        (&json!(alternate), &json!("CLAIMED"), &json!(true))
    );
    let page = eventually(SETTLE, "the participant list to follow", || async {
        let (_, page) = app
            .get(
                &format!("/api/v1/events/{campaign}/participants?isWinner=true"),
                Some(OWNER),
            )
            .await;
        (page["participants"][0]["participantId"] == json!(alternate)).then_some(page)
    })
    .await;
    assert_eq!(page["totalCount"], 1);
    let log = eventually(SETTLE, "the access log", || async {
        let (_, log) = app
            .get(
                &format!("/api/v1/events/{campaign}/access-log"),
                Some(OWNER),
            )
            .await;
        (log["entries"].as_array().map(Vec::len) == Some(1)).then_some(log)
    })
    .await;
    assert_eq!(log["entries"][0]["participantIds"], json!([winner]));

    // Every prize settled: the owner erases the personal data, no force needed.
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/personal-data/erase"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .get(
            &format!("/api/v1/events/{campaign}/winners/contacts"),
            Some(OWNER),
        )
        .await;
    assert_eq!((status, code(&body)), (410, Some("PII_ERASED")));
    // Nothing was sent twice.
    assert_eq!(gateway.received().len(), 5);
    app.stop().await;
}
