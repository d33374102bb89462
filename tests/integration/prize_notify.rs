//! Real delivery of notifications: with `NOTIFY_URL` set, every entry
//! confirmation and every winner notice (promoted alternates included) is
//! POSTed to a real HTTP server that fails sometimes (a 500, a 429, an
//! answer too late, a 400). Each attempt's outcome is recorded as an event;
//! retries back off and reuse the idempotency key; after a restart with
//! every event redelivered, still exactly one successful send per
//! (participant, kind), and the owner sees each winner's delivery.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use promo_application::jobs::notify::NotifySettings;
use promo_tests::gateway::{Answer, FakeGateway};
use promo_tests::{eventually, TestApp, TestEnv, SETTLE};
use serde_json::{json, Value};

use crate::prize_support::{forfeit, people, published, ranked, recorded, OWNER};

const API_KEY: &str = "gateway-test-key";

fn e164(phone: &str) -> String {
    format!("+82{}", &phone.replace('-', "")[1..])
}

/// The gateway's script: entrant 0's confirmation is answered too late
/// once, entrant 1's gets a 429 once, entrant 2's is refused (400) for
/// good; every winner notice fails with a 500 first.
fn script(entrants: &[(String, String)]) -> promo_tests::gateway::Script {
    let phones: Vec<String> = entrants.iter().map(|(_, p)| e164(p)).collect();
    Arc::new(move |body: &Value, before: usize| {
        let phone = body["phoneNumber"].as_str().unwrap_or_default();
        match (body["kind"].as_str(), before) {
            (Some("WINNER"), 0) => Answer::Status(500),
            (Some("ENTRY_CONFIRMED"), 0) if phone == phones[0] => {
                Answer::LateAccept(Duration::from_millis(900))
            }
            (Some("ENTRY_CONFIRMED"), 0) if phone == phones[1] => Answer::Status(429),
            (Some("ENTRY_CONFIRMED"), _) if phone == phones[2] => Answer::Status(400),
            _ => Answer::Accept,
        }
    })
}

fn config(env: &TestEnv, gateway: &FakeGateway) -> promo_api::Config {
    let mut config = env.config();
    let mut notify = NotifySettings::new(gateway.url.clone());
    notify.api_key = Some(API_KEY.to_string());
    notify.timeout = Duration::from_millis(300);
    notify.max_attempts = 5;
    notify.backoff = Duration::from_millis(50);
    notify.max_backoff = Duration::from_millis(400);
    notify.poll = Duration::from_millis(50);
    config.prize_delivery.notify = Some(notify);
    config
}

/// Payloads of the recorded delivery outcomes of this type.
async fn outcomes(app: &TestApp, event_type: &str) -> Vec<Value> {
    recorded(app, event_type).await
}

async fn sent_count(app: &TestApp) -> usize {
    outcomes(app, "NotificationSent").await.len()
}

/// One scenario on purpose: "exactly once" is only meaningful across the
/// failures, the restart with redelivery and the later winner notices
/// together, checked against both the gateway and the record at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_notification_is_delivered_once_through_failures_and_restarts() {
    let env = TestEnv::new().await;
    let entrants = people(5);
    let gateway = FakeGateway::start(script(&entrants)).await;
    let app = TestApp::spawn_with(&env, config(&env, &gateway), Default::default()).await;
    let rules = json!({"winnerCount": 2, "alternateCount": 1, "visitBonus": false});
    let (campaign, _) = published(&app, rules).await;
    let mut participant_of = HashMap::new();
    for (name, phone) in &entrants {
        let (status, body) = app.enter(campaign, name, phone, "KAKAO", false).await;
        assert_eq!(status, 201, "{body}");
        participant_of.insert(
            e164(phone),
            body["participantId"].as_str().unwrap().to_string(),
        );
    }

    // Four confirmations get through (one late answer and one 429 retried);
    // the refused one is given up at once.
    eventually(SETTLE, "entry confirmations to be sent", || async {
        (sent_count(&app).await == 4).then_some(())
    })
    .await;
    let refused = participant_of[&e164(&entrants[2].1)].clone();
    let pool = app.pool.clone();
    let (status, error): (String, Option<String>) =
        eventually(SETTLE, "the refused one to fail", || async {
            sqlx::query_as(
            "SELECT delivery_status, last_error FROM notifications WHERE participant_id::text = $1",
        )
        .bind(&refused)
        .fetch_optional(&pool)
        .await
        .unwrap()
        .filter(|(s, _): &(String, Option<String>)| s == "FAILED")
        })
        .await;
    assert_eq!(status, "FAILED");
    assert!(error.unwrap().contains("400"));

    // Restart with every event redelivered to the notifications projector:
    // nothing is sent again.
    app.stop().await;
    let pool = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    sqlx::query(
        "UPDATE projector_checkpoints SET transaction_id = '0', position = 0, stream_sequence = 0 \
         WHERE projector = 'notifications'",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let app = TestApp::spawn_with(&env, config(&env, &gateway), Default::default()).await;

    // Draw, then forfeit the second winner: three winner notices, each
    // after a 500.
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
    let winners = ranked(&drawn, "winners");
    let alternate = ranked(&drawn, "alternates").remove(0);
    let (status, body) = forfeit(&app, campaign, &winners[1], "연락 두절").await;
    assert_eq!(
        (status, &body["promoted"]["participantId"]),
        (200, &json!(alternate))
    );
    eventually(SETTLE, "winner notices to be sent", || async {
        (sent_count(&app).await == 7).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Exactly one delivery per (participant, kind), at the gateway and in
    // the record.
    let sent = outcomes(&app, "NotificationSent").await;
    assert_eq!(sent.len(), 7);
    let keys: HashSet<(String, String)> = sent
        .iter()
        .map(|e| {
            (
                e["participantId"].as_str().unwrap().into(),
                e["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(keys.len(), 7);
    for winner in [&winners[0], &winners[1], &alternate] {
        assert!(
            keys.contains(&(winner.clone(), "WINNER".into())),
            "{winner}"
        );
    }
    let delivered = gateway.delivered();
    assert_eq!(delivered.len(), 7, "{delivered:?}");
    for (participant, kind) in &keys {
        let key = format!("{campaign}:{participant}:{kind}");
        assert!(delivered.contains_key(&key), "{key}");
    }

    // What the gateway received: the contract, every time.
    let received = gateway.received();
    for request in &received {
        let body = &request.body;
        assert_eq!(
            request.authorization.as_deref(),
            Some(format!("Bearer {API_KEY}").as_str())
        );
        let participant = participant_of
            .get(body["phoneNumber"].as_str().unwrap())
            .expect("an entrant's number in E.164");
        assert!(body["phoneNumber"].as_str().unwrap().starts_with("+8210"));
        assert_eq!(body["participantId"], json!(participant));
        assert_eq!(body["eventId"], json!(campaign));
        let kind = body["kind"].as_str().unwrap();
        assert!(kind == "ENTRY_CONFIRMED" || kind == "WINNER", "{kind}");
        assert_eq!(
            request.idempotency_key.as_deref(),
            Some(format!("{campaign}:{participant}:{kind}").as_str())
        );
        assert!(
            body["message"].as_str().unwrap().contains("응모번호"),
            "{body}"
        );
    }
    // Retries reuse the key: the late one was sent twice, the refused one once.
    let count = |participant: &str, kind: &str| {
        received
            .iter()
            .filter(|r| r.body["participantId"] == participant && r.body["kind"] == kind)
            .count()
    };
    let late = &participant_of[&e164(&entrants[0].1)];
    assert_eq!(count(late, "ENTRY_CONFIRMED"), 2);
    assert_eq!(count(&refused, "ENTRY_CONFIRMED"), 1);
    assert_eq!(count(&winners[0], "WINNER"), 2);

    // Every failed attempt is recorded with its number; the sends after them.
    let failed = outcomes(&app, "NotificationFailed").await;
    let attempt_of = |events: &[Value], participant: &str, kind: &str| -> Vec<(u64, bool)> {
        events
            .iter()
            .filter(|e| e["participantId"] == participant && e["kind"] == kind)
            .map(|e| {
                (
                    e["attempt"].as_u64().unwrap(),
                    e["final"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    };
    assert_eq!(attempt_of(&failed, late, "ENTRY_CONFIRMED"), [(1, false)]);
    assert_eq!(attempt_of(&sent, late, "ENTRY_CONFIRMED"), [(2, false)]);
    assert_eq!(
        attempt_of(&failed, &refused, "ENTRY_CONFIRMED"),
        [(1, true)]
    );
    assert_eq!(attempt_of(&failed, &winners[0], "WINNER"), [(1, false)]);
    assert!(failed
        .iter()
        .any(|e| e["reason"].as_str().unwrap().contains("시간 초과")));

    // The owner sees each winner's delivery.
    let listed = eventually(SETTLE, "delivery status on the winners list", || async {
        let listed = crate::prize_support::winners(&app, campaign).await;
        listed["winners"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["notification"]["status"] == "SENT")
            .then_some(listed)
    })
    .await;
    assert_eq!(listed["winners"][0]["notification"]["attempts"], 2);
    let (status, contacts) = app
        .get(
            &format!("/api/v1/events/{campaign}/winners/contacts"),
            Some(OWNER),
        )
        .await;
    assert_eq!(status, 200, "{contacts}");
    assert_eq!(contacts["winners"][1]["participantId"], json!(alternate));
    assert_eq!(contacts["winners"][1]["notification"]["status"], "SENT");
    assert!(contacts["winners"][1]["notification"]["sentAt"].is_string());
    app.stop().await;
}
