//! Wiring of issue 10/11 into the export, the dashboard and the check page,
//! over plain HTTP: the marketing contacts export (consenting entrants only,
//! full contacts, the access recorded, nothing after the erasure), the
//! dashboard's prize figures, and an entrant checking their win on
//! `/e/{id}/check` with the claim status the owner recorded.

use promo_tests::{eventually, participants_projected, TestApp, TestEnv, SETTLE};
use serde_json::{json, Value};

use crate::prize_support::{
    claim, code, drawn_campaign, forfeit, people, published, ranked, recorded, OWNER,
};

async fn export(app: &TestApp, campaign: uuid::Uuid) -> (u16, String) {
    let response = app
        .client
        .get(app.url(&format!(
            "/api/v1/events/{campaign}/participants/export?contacts=marketing"
        )))
        .bearer_auth(TestApp::token(OWNER))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn the_marketing_export_lists_only_consenting_entrants_in_full_and_is_logged() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let (campaign, _) = published(&app, json!({"winnerCount": 1})).await;
    let (status, body) = app
        .enter(campaign, "김거절", "010-7100-0001", "KAKAO", false)
        .await;
    assert_eq!(status, 201, "{body}");
    for (name, phone) in [("이동의", "01071000002"), ("박동의", "010-7100-0003")] {
        let (status, body) = app
            .post(
                "/api/v1/participations",
                None,
                &json!({"eventId": campaign, "name": name, "phoneNumber": phone,
                        "channel": "KAKAO", "agreePrivacy": true, "agreeMarketing": true}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    participants_projected(&app, campaign, 3).await;

    let (status, csv) = export(&app, campaign).await;
    assert_eq!(status, 200, "{csv}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "\u{feff}entryNumber,name,phoneNumber,participatedAt"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].contains(",이동의,010-7100-0002,"), "{csv}");
    assert!(lines[2].contains(",박동의,010-7100-0003,"), "{csv}");
    assert!(!csv.contains("김거절") && !csv.contains("0001"), "{csv}");
    let looks = recorded(&app, "PersonalDataAccessed").await;
    assert_eq!(looks.len(), 1, "{looks:?}");
    assert!(
        looks[0].to_string().contains("MARKETING_CONTACTS_EXPORT"),
        "{:?}",
        looks[0]
    );

    // Someone else: refused, and nothing more recorded.
    let (status, _) = app
        .get(
            &format!("/api/v1/events/{campaign}/participants/export?contacts=marketing"),
            Some("intruder"),
        )
        .await;
    assert_eq!(status, 403);

    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/end"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/personal-data/erase?force=true"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .get(
            &format!("/api/v1/events/{campaign}/participants/export?contacts=marketing"),
            Some(OWNER),
        )
        .await;
    assert_eq!((status, code(&body)), (410, Some("PII_ERASED")), "{body}");
    assert_eq!(recorded(&app, "PersonalDataAccessed").await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_dashboard_counts_prizes_and_a_winner_sees_their_claim_on_the_check_page() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let entrants = people(4);
    let rules = json!({"winnerCount": 2, "alternateCount": 0});
    let (campaign, drawn, _) = drawn_campaign(&app, rules, &entrants).await;
    let winners = ranked(&drawn, "winners");
    let (status, body) = claim(&app, campaign, &winners[0]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = forfeit(&app, campaign, &winners[1], "연락 두절").await;
    assert_eq!(status, 200, "{body}");

    let analytics = format!("/api/v1/events/{campaign}/analytics");
    eventually(SETTLE, "the dashboard to count the prizes", || async {
        let (status, body) = app.get(&analytics, Some(OWNER)).await;
        assert_eq!(status, 200, "{body}");
        (body["prizes"]
            == json!({"winners": 1, "claimed": 1, "pending": 0, "forfeited": 1, "unawarded": 1}))
        .then_some(())
    })
    .await;

    // The first winner checks on the page: 1st prize, claimed.
    let first: &Value = &drawn["winners"][0];
    let number = first["entryNumber"].as_str().unwrap();
    let index = (1..=entrants.len())
        .find(|i| number.ends_with(&format!("-{i:03}")))
        .unwrap();
    let phone = entrants[index - 1].1.clone();
    let page = app
        .client
        .post(app.url(&format!("/e/{campaign}/check")))
        .form(&[("phoneNumber", phone.as_str()), ("entryNumber", number)])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("1등") && html.contains("수령 완료"), "{html}");
    let page = app
        .client
        .post(app.url(&format!("/e/{campaign}/check")))
        .form(&[("phoneNumber", "010-9999-0000"), ("entryNumber", number)])
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(!html.contains("수령 완료"), "{html}");
    app.stop().await;
}
