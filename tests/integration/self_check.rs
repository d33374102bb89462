//! Entrants check themselves (SPEC v2): the entry status by phone number and
//! entry number before and after the draw (winners and the others, no match
//! 404 `PART_003`, no personal data in the answer, rate-limited per client
//! and campaign), and the masked public winners list.

use std::collections::HashMap;

use promo_api::config::RateLimits;
use promo_api::BuildOptions;
use promo_tests::{TestApp, TestEnv};
use serde_json::{json, Value};
use uuid::Uuid;

const OWNER: &str = "owner-check";

async fn status(app: &TestApp, campaign: Uuid, phone: &str, entry_number: &str) -> (u16, Value) {
    app.post(
        &format!("/api/v1/events/{campaign}/entry-status"),
        None,
        &json!({"phoneNumber": phone, "entryNumber": entry_number}),
    )
    .await
}

fn assert_not_found((status, body): &(u16, Value)) {
    assert_eq!(
        (*status, body),
        (
            404,
            &json!({"code": "PART_003", "message": "참여 내역을 찾을 수 없습니다"})
        )
    );
}

const ENTRANTS: [(&str, &str, bool); 5] = [
    ("김철수", "010-5100-0001", true),
    ("이영희", "010-5100-0002", false),
    ("박민수", "010-5100-0003", true),
    ("최지우", "010-5100-0004", false),
    ("정우성", "010-5100-0005", false),
];

#[tokio::test]
async fn an_entrant_checks_their_entry_before_and_after_the_draw() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign(OWNER).await;
    let other = app.active_campaign(OWNER).await;
    let mut numbers = HashMap::new();
    for (name, phone, visited) in ENTRANTS {
        let (code, receipt) = app.enter(campaign, name, phone, "KAKAO", visited).await;
        assert_eq!(code, 201, "{receipt}");
        numbers.insert(phone, receipt["entryNumber"].as_str().unwrap().to_string());
    }
    let (code, receipt) = app
        .enter(other, "한가인", "010-5100-0009", "KAKAO", false)
        .await;
    assert_eq!(code, 201, "{receipt}");
    let others_number = receipt["entryNumber"].as_str().unwrap().to_string();
    let first = &numbers["010-5100-0001"];

    // Before the draw: entered, nothing more known yet.
    let before = json!({"entered": true, "inEntrantList": null, "isWinner": null,
        "rank": null, "claimStatus": null});
    assert_eq!(
        status(&app, campaign, "010-5100-0001", first).await,
        (200, before.clone())
    );
    // Any accepted phone format, the entry number in lower case.
    let lower = first.to_lowercase();
    assert_eq!(
        status(&app, campaign, "+82 10 5100 0001", &lower).await,
        (200, before)
    );

    // No match: all the same answer.
    assert_not_found(&status(&app, campaign, "010-5100-0001", &numbers["010-5100-0002"]).await);
    assert_not_found(&status(&app, campaign, "010-5100-0099", first).await);
    assert_not_found(&status(&app, campaign, "010-5100-0009", &others_number).await);
    assert_not_found(&status(&app, other, "010-5100-0001", first).await);
    assert_not_found(&status(&app, campaign, "010-5100-0001", &"9".repeat(5000)).await);
    // Bad input and unknown campaigns.
    let (code, body) = status(&app, campaign, "02-123-4567", first).await;
    assert_eq!(
        (code, body["code"].as_str()),
        (400, Some("VALIDATION_ERROR"))
    );
    assert!(body["message"].as_str().unwrap().starts_with("phoneNumber"));
    let (code, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/entry-status"),
            None,
            &json!({"phoneNumber": "010-5100-0001"}),
        )
        .await;
    assert_eq!(
        (code, body["code"].as_str()),
        (400, Some("VALIDATION_ERROR"))
    );
    assert!(body["message"].as_str().unwrap().starts_with("entryNumber"));
    let (code, body) = status(&app, Uuid::new_v4(), "010-5100-0001", first).await;
    assert_eq!(
        (code, body["code"].as_str()),
        (404, Some("EVENT_NOT_FOUND"))
    );

    // No public winners before the draw.
    let public = format!("/api/v1/events/{campaign}/winners/public");
    let (code, body) = app.get(&public, None).await;
    assert_eq!(
        (code, body["code"].as_str()),
        (404, Some("PART_008")),
        "{body}"
    );

    // The draw: 3 winners (published rules).
    let (code, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/end"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let (code, drawn) = app
        .post(
            &format!("/api/v1/events/{campaign}/draw-winners"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(code, 200, "{drawn}");
    let ranks: HashMap<String, u64> = drawn["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["entryNumber"].as_str().unwrap().to_string(),
                w["rank"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ranks.len(), 3);

    // After: in the list; winners with rank and a pending claim.
    for (name, phone, _) in ENTRANTS {
        let number = &numbers[phone];
        let (code, body) = status(&app, campaign, phone, number).await;
        assert_eq!(code, 200, "{body}");
        let expected = match ranks.get(number) {
            Some(rank) => json!({"entered": true, "inEntrantList": true, "isWinner": true,
                "rank": rank, "claimStatus": "PENDING"}),
            None => json!({"entered": true, "inEntrantList": true, "isWinner": false,
                "rank": null, "claimStatus": null}),
        };
        assert_eq!(body, expected, "{phone}");
        let text = body.to_string();
        assert!(
            !text.contains(name) && !text.contains(&phone[9..]),
            "{text}"
        );
    }
    assert_not_found(&status(&app, campaign, "010-5100-0002", first).await);

    // The public announcement: masked, in rank order, with the draw's link.
    let (code, body) = app.get(&public, None).await;
    assert_eq!(code, 200, "{body}");
    let winners = body["winners"].as_array().unwrap();
    assert_eq!(winners.len(), 3);
    for (i, winner) in winners.iter().enumerate() {
        assert_eq!(winner["rank"], i as u64 + 1);
        let number = winner["entryNumber"].as_str().unwrap();
        assert_eq!(ranks[number], i as u64 + 1);
        let (name, phone, _) = ENTRANTS
            .iter()
            .find(|(_, phone, _)| numbers[phone] == number)
            .unwrap();
        let first_char = name.chars().next().unwrap();
        assert_eq!(winner["name"], format!("{first_char}**"));
        assert_eq!(winner["phoneNumber"], format!("010-****-{}", &phone[9..]));
        assert_eq!(winner["claimStatus"], "PENDING");
        assert_eq!(
            winner.as_object().unwrap().len(),
            5,
            "nothing but rank, name, phoneNumber, entryNumber, claimStatus: {winner}"
        );
    }
    let draw_url = body["drawUrl"].as_str().unwrap();
    assert_eq!(
        draw_url,
        format!("http://{}/api/v1/events/{campaign}/draw", app.addr)
    );
    let record: Value = app
        .client
        .get(draw_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(record["eventId"], campaign.to_string());
    let (code, body) = app
        .get(
            &format!("/api/v1/events/{}/winners/public", Uuid::new_v4()),
            None,
        )
        .await;
    assert_eq!(
        (code, body["code"].as_str()),
        (404, Some("EVENT_NOT_FOUND"))
    );
    app.stop().await;
}

#[tokio::test]
async fn entry_status_checks_are_rate_limited_per_client_and_campaign() {
    let env = TestEnv::new().await;
    assert_eq!(RateLimits::default().status_per_ip_per_minute, 30);
    let mut config = env.config();
    config.rate_limits = RateLimits {
        status_per_ip_per_minute: 3,
        ..RateLimits::default()
    };
    let app = TestApp::spawn_with(&env, config, BuildOptions::default()).await;
    let campaign = app.active_campaign(OWNER).await;
    let other = app.active_campaign(OWNER).await;
    let (code, receipt) = app
        .enter(campaign, "김철수", "010-5200-0001", "KAKAO", false)
        .await;
    assert_eq!(code, 201, "{receipt}");
    let number = receipt["entryNumber"].as_str().unwrap();

    // Guessing phone numbers: three tries, then 429 with Retry-After.
    for i in 2..5 {
        assert_not_found(&status(&app, campaign, &format!("010-5200-{i:04}"), number).await);
    }
    for phone in ["010-5200-0009", "010-5200-0001"] {
        let response = app
            .client
            .post(app.url(&format!("/api/v1/events/{campaign}/entry-status")))
            .json(&json!({"phoneNumber": phone, "entryNumber": number}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 429);
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "RATE_LIMITED");
    }
    // The same id spelled in capitals shares the bucket.
    let shouted = campaign.to_string().to_uppercase();
    let (code, _) = app
        .post(
            &format!("/api/v1/events/{shouted}/entry-status"),
            None,
            &json!({"phoneNumber": "010-5200-0001", "entryNumber": number}),
        )
        .await;
    assert_eq!(code, 429);

    // Another campaign, entries and the rest of the API are not limited.
    assert_not_found(&status(&app, other, "010-5200-0001", number).await);
    let (code, body) = app
        .enter(campaign, "이영희", "010-5200-0002", "KAKAO", false)
        .await;
    assert_eq!(code, 201, "{body}");
    let (code, _) = app.get(&format!("/api/v1/events/{campaign}"), None).await;
    assert_eq!(code, 200);
    app.stop().await;
}
