//! Proven store visits and published channels (SPEC v2): the owner's store
//! QR code, the store-visit token an entry needs for its bonus (forged,
//! another campaign's and expired tokens refused), the bonus counted in the
//! WEIGHTED draw's published entrant list, and entries on channels the
//! campaign was not published with refused and never counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use promo_api::BuildOptions;
use promo_tests::{eventually, TestApp, TestEnv, SETTLE};
use serde_json::{json, Value};
use uuid::Uuid;

const OWNER: &str = "owner-store";

fn entry(campaign: Uuid, phone: &str, channel: &str, visited: bool, token: Option<&str>) -> Value {
    json!({
        "eventId": campaign, "name": "김철수", "phoneNumber": phone, "channel": channel,
        "storeVisited": visited, "storeVisitToken": token,
        "agreePrivacy": true, "agreeMarketing": false,
    })
}

async fn enter(app: &TestApp, body: &Value) -> (u16, Value) {
    app.post("/api/v1/participations", None, body).await
}

fn assert_refused(field: &str, (status, body): &(u16, Value)) {
    assert_eq!(
        (*status, body["code"].as_str()),
        (400, Some("VALIDATION_ERROR")),
        "{body}"
    );
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("{field}: ")), "{message}");
}

async fn registrations(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM events WHERE aggregate_type = 'Participation'")
        .await
}

#[tokio::test]
async fn the_owner_gets_the_store_qr_code_with_its_entry_link_token_and_svg() {
    let env = TestEnv::new().await;
    let mut config = env.config();
    config.public_base_url = Some("https://promo.example.kr".into());
    let app = TestApp::spawn_with(&env, config, BuildOptions::default()).await;
    let campaign = app.active_campaign(OWNER).await;
    let path = format!("/api/v1/events/{campaign}/store-qr");

    let (status, qr) = app.get(&path, Some(OWNER)).await;
    assert_eq!(status, 200, "{qr}");
    let token = qr["storeVisitToken"].as_str().unwrap();
    assert_eq!(
        qr["entryUrl"],
        format!("https://promo.example.kr/e/{campaign}?ch=STORE_QR&t={token}")
    );
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
    let svg = qr["qrSvg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    let expires_at: DateTime<Utc> = qr["expiresAt"].as_str().unwrap().parse().unwrap();
    assert!(expires_at > Utc::now() + ChronoDuration::hours(24));
    assert!(expires_at <= Utc::now() + ChronoDuration::hours(48));

    // Owner only; the code follows the campaign's STORE_QR channel.
    assert_eq!(app.get(&path, None).await.0, 401);
    assert_eq!(app.get(&path, Some("intruder")).await.0, 403);
    let draft = app.draft(OWNER).await;
    let (status, body) = app
        .get(&format!("/api/v1/events/{draft}/store-qr"), Some(OWNER))
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("PART_002")));
    let now = Utc::now();
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{draft}/publish"),
            Some(OWNER),
            &json!({"title": "온라인 이벤트", "prize": "커피 쿠폰", "startsAt": now,
                "endsAt": now + ChronoDuration::days(1),
                "announcementAt": now + ChronoDuration::days(2), "winnerCount": 1,
                "channels": ["INSTAGRAM"], "targetParticipants": 10}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .get(&format!("/api/v1/events/{draft}/store-qr"), Some(OWNER))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("STORE_QR_NOT_PUBLISHED")),
        "{body}"
    );
    let (status, body) = app
        .get(
            &format!("/api/v1/events/{}/store-qr", Uuid::new_v4()),
            Some(OWNER),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("EVENT_NOT_FOUND"))
    );
    app.stop().await;
}

#[tokio::test]
async fn without_public_base_url_the_entry_link_points_at_the_bound_address() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign(OWNER).await;
    let (status, qr) = app
        .get(&format!("/api/v1/events/{campaign}/store-qr"), Some(OWNER))
        .await;
    assert_eq!(status, 200, "{qr}");
    assert!(qr["entryUrl"]
        .as_str()
        .unwrap()
        .starts_with(&format!("http://{}/e/{campaign}?ch=STORE_QR&t=", app.addr)));
    app.stop().await;
}

/// A clock the test moves by hand.
fn settable_clock() -> (Arc<Mutex<DateTime<Utc>>>, promo_application::Clock) {
    let now = Arc::new(Mutex::new(Utc::now()));
    let read = now.clone();
    (now, Arc::new(move || *read.lock().unwrap()))
}

#[tokio::test]
async fn the_bonus_needs_a_valid_token_of_the_campaign_and_the_day() {
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
    let start = Utc::now();
    let (opens, closes) = (
        start - ChronoDuration::hours(1),
        start + ChronoDuration::days(10),
    );
    let campaign = app.campaign_with_period(OWNER, opens, closes).await;
    let other = app.campaign_with_period(OWNER, opens, closes).await;
    let token = app.store_visit_token(campaign).await;
    let others_token = app.store_visit_token(other).await;

    // A claimed visit without a token, or with a forged, altered or another
    // campaign's token: 400 naming storeVisitToken, nothing recorded.
    let phone = "010-4100-0001";
    let day = &token[..8];
    let forged = format!("{day}.AAAAAAAAAAAAAAAAAAAAAA");
    let altered = format!("{}{}", &token[..token.len() - 2], "xx");
    for bad in [
        None,
        Some(""),
        Some("garbage"),
        Some(&forged[..]),
        Some(&altered[..]),
    ] {
        let refused = enter(&app, &entry(campaign, phone, "STORE_QR", true, bad)).await;
        assert_refused("storeVisitToken", &refused);
    }
    let refused = enter(
        &app,
        &entry(campaign, phone, "STORE_QR", true, Some(&others_token)),
    )
    .await;
    assert_refused("storeVisitToken", &refused);
    assert_eq!(
        registrations(&app).await,
        0,
        "no refused entry was recorded"
    );

    // Two days later (Korean calendar) the day's token has expired.
    *now.lock().unwrap() = start + ChronoDuration::days(2);
    let (status, body) = enter(
        &app,
        &entry(campaign, phone, "STORE_QR", true, Some(&token)),
    )
    .await;
    assert_refused("storeVisitToken", &(status, body.clone()));
    assert!(body["message"].as_str().unwrap().contains("만료"), "{body}");
    assert_eq!(registrations(&app).await, 0);

    // The token of the new day gives the bonus; the refusals used no entry
    // number.
    let fresh = app.store_visit_token(campaign).await;
    assert_ne!(fresh, token, "tokens rotate daily");
    let (status, body) = enter(
        &app,
        &entry(campaign, phone, "STORE_QR", true, Some(&fresh)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["bonusEntries"], 3);
    assert!(
        body["entryNumber"].as_str().unwrap().ends_with("-001"),
        "{body}"
    );
    // Yesterday's token still works today (a code printed late at night).
    *now.lock().unwrap() = start + ChronoDuration::days(3);
    let (status, body) = enter(
        &app,
        &entry(campaign, "010-4100-0002", "INSTAGRAM", true, Some(&fresh)),
    )
    .await;
    assert_eq!(
        (status, body["bonusEntries"].as_i64()),
        (201, Some(3)),
        "{body}"
    );
    // Without a claimed visit a token proves nothing: one entry.
    let (status, body) = enter(
        &app,
        &entry(
            campaign,
            "010-4100-0003",
            "STORE_QR",
            false,
            Some("garbage"),
        ),
    )
    .await;
    assert_eq!(
        (status, body["bonusEntries"].as_i64()),
        (201, Some(1)),
        "{body}"
    );

    let stored: Vec<(bool, i32)> = sqlx::query_as(
        "SELECT (payload -> 'ParticipantRegistered' ->> 'storeVisited')::bool, \
         (payload -> 'ParticipantRegistered' ->> 'bonusEntries')::int FROM events \
         WHERE aggregate_type = 'Participation' ORDER BY (payload -> 'ParticipantRegistered' ->> 'entryNumber')",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, [(true, 3), (true, 3), (false, 1)]);
    app.stop().await;
}

#[tokio::test]
async fn a_proven_visit_weighs_three_in_the_published_entrant_list() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    // Published with the default rules: WEIGHTED (visitBonus), 3 winners.
    let campaign = app.active_campaign(OWNER).await;
    let mut weights = HashMap::new();
    for (i, visited) in [true, false, true, false, false].into_iter().enumerate() {
        let phone = format!("010-4200-{i:04}");
        let (status, receipt) = app
            .enter(campaign, "이영희", &phone, "STORE_QR", visited)
            .await;
        assert_eq!(status, 201, "{receipt}");
        let entrant_id = receipt["entrantId"].as_str().unwrap().to_string();
        assert_eq!(entrant_id.len(), 64);
        assert!(entrant_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(receipt["prize"], "KT 멤버십 5,000P");
        weights.insert(entrant_id, if visited { 3 } else { 1 });
    }
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/end"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, drawn) = app
        .post(
            &format!("/api/v1/events/{campaign}/draw-winners"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{drawn}");
    assert_eq!(drawn["algorithm"], "WEIGHTED");

    // Every entrant finds their entrantId in the published list, with the
    // weight their proven visit earned.
    let list = app
        .client
        .get(app.url(&format!("/api/v1/events/{campaign}/draw/entrants")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let published: HashMap<String, u32> = list
        .lines()
        .map(|line| {
            let (pid, weight) = line.split_once(',').unwrap();
            (pid.to_string(), weight.parse().unwrap())
        })
        .collect();
    assert_eq!(published, weights);
    app.stop().await;
}

#[tokio::test]
async fn an_entry_on_a_channel_not_published_is_refused_and_never_counted() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    // Published on URIDONGNETV, INSTAGRAM, NAVER, KAKAO and STORE_QR.
    let campaign = app.active_campaign(OWNER).await;
    for channel in ["GINITV", "RINGOBIZ"] {
        let refused = enter(
            &app,
            &entry(campaign, "010-4300-0001", channel, false, None),
        )
        .await;
        assert_refused("channel", &refused);
    }
    let (status, body) = app
        .enter(campaign, "김철수", "010-4300-0001", "INSTAGRAM", false)
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(
        body["entryNumber"].as_str().unwrap().ends_with("-001"),
        "{body}"
    );
    assert_eq!(registrations(&app).await, 1);

    let analytics = format!("/api/v1/events/{campaign}/analytics");
    let dashboard: Value = eventually(SETTLE, "the entry in the dashboard", || {
        let app = &app;
        let analytics = analytics.clone();
        async move {
            let (status, body) = app.get(&analytics, Some(OWNER)).await;
            (status == 200 && body["summary"]["participants"] == 1).then_some(body)
        }
    })
    .await;
    let channels = dashboard["channelPerformance"].as_array().unwrap();
    let counted: i64 = channels
        .iter()
        .map(|c| c["participants"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, 1, "{dashboard}");
    for refused in ["GINITV", "RINGOBIZ"] {
        assert!(
            channels.iter().all(|c| c["channel"] != refused),
            "{refused} counted: {dashboard}"
        );
    }
    let instagram = channels
        .iter()
        .find(|c| c["channel"] == "INSTAGRAM")
        .unwrap();
    assert_eq!(instagram["participants"], 1);
    app.stop().await;
}
