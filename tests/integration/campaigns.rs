//! Campaign lifecycle over HTTP.

use promo_tests::{TestApp, TestEnv};
use serde_json::json;

#[tokio::test]
async fn a_draft_is_published_shown_and_ended() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;

    let (status, draft) = app
        .post(
            "/api/v1/events/purposes",
            Some("owner-a"),
            &json!({"userId": "owner-a", "objective": "재방문 유도", "storeName": "맛있는집", "industry": "음식점", "address": "서울시 강남구"}),
        )
        .await;
    assert_eq!(status, 200, "{draft}");
    assert_eq!(draft["status"], "DRAFT");
    assert_eq!(draft["objective"], "재방문 유도");
    assert_eq!(draft["storeName"], "맛있는집");
    let id = draft["eventDraftId"].as_str().unwrap().to_string();

    let (status, shown) = app.get(&format!("/api/v1/events/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(shown["status"], "DRAFT");

    let now = chrono::Utc::now();
    let (status, published) = app
        .post(
            &format!("/api/v1/events/{id}/publish"),
            Some("owner-a"),
            &json!({
                "title": "오픈 기념", "prize": "커피 쿠폰",
                "startsAt": now - chrono::Duration::minutes(5),
                "endsAt": now + chrono::Duration::days(3),
                "announcementAt": now + chrono::Duration::days(4),
                "winnerCount": 2, "channels": ["KAKAO", "NAVER"], "targetParticipants": 50
            }),
        )
        .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["status"], "ACTIVE");
    let commitment = published["seedCommitment"].as_str().unwrap();
    assert_eq!(commitment.len(), 64);

    let (_, shown) = app.get(&format!("/api/v1/events/{id}"), None).await;
    assert_eq!(shown["status"], "ACTIVE");
    assert_eq!(shown["title"], "오픈 기념");
    assert_eq!(shown["winnerCount"], 2);
    assert_eq!(shown["channels"], json!(["KAKAO", "NAVER"]));
    assert_eq!(shown["seedCommitment"], commitment);

    let (status, again) = app
        .post(&format!("/api/v1/events/{id}/publish"), Some("owner-a"), &json!({
            "title": "x", "prize": "y", "startsAt": now, "endsAt": now + chrono::Duration::days(1),
            "announcementAt": now + chrono::Duration::days(1), "winnerCount": 1, "channels": ["KAKAO"]
        }))
        .await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["code"], "EVENT_ALREADY_PUBLISHED");

    let (status, ended) = app
        .post(
            &format!("/api/v1/events/{id}/end"),
            Some("owner-a"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended["status"], "ENDED");
    let (_, shown) = app.get(&format!("/api/v1/events/{id}"), None).await;
    assert_eq!(shown["status"], "ENDED");
    app.stop().await;
}

#[tokio::test]
async fn drafts_need_a_known_objective_and_store_information() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let (status, body) = app
        .post(
            "/api/v1/events/purposes",
            Some("o"),
            &json!({"objective": "세계 정복", "storeName": "a", "industry": "b", "address": "c"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("EVENT_001")),
        "{body}"
    );
    let (status, body) = app
        .post(
            "/api/v1/events/purposes",
            Some("o"),
            &json!({"objective": "매출 증대", "storeName": "a", "industry": "b"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("EVENT_002")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("address"),
        "{body}"
    );

    let id = app.draft("o").await;
    let (status, body) = app
        .post(&format!("/api/v1/events/{id}/publish"), Some("o"), &json!({
            "title": "t", "prize": "p", "startsAt": "2025-10-20T00:00:00Z", "endsAt": "2025-10-19T00:00:00Z",
            "announcementAt": "2025-10-21T00:00:00Z", "winnerCount": 1, "channels": ["KAKAO"]
        }))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("VALIDATION_ERROR")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("endsAt"),
        "{body}"
    );
    let (status, body) = app
        .post(&format!("/api/v1/events/{id}/publish"), Some("o"), &json!({
            "title": "t", "prize": "p", "startsAt": "2025-10-20T00:00:00Z", "endsAt": "2025-10-21T00:00:00Z",
            "announcementAt": "2025-10-21T00:00:00Z", "winnerCount": 1, "channels": ["TIKTOK"]
        }))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("VALIDATION_ERROR")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("channels[0]"),
        "{body}"
    );

    let (status, body) = app
        .get(&format!("/api/v1/events/{}", uuid::Uuid::new_v4()), None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("EVENT_NOT_FOUND"))
    );
    let (status, body) = app.get("/api/v1/events/not-a-uuid", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("EVENT_NOT_FOUND"))
    );
    app.stop().await;
}

#[tokio::test]
async fn health_readiness_metrics_and_openapi_answer() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    assert_eq!(app.get("/health", None).await.0, 200);
    let (status, ready) = app.get("/ready", None).await;
    assert_eq!(status, 200, "{ready}");
    let (status, doc) = app.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    for path in [
        "/api/v1/events/purposes",
        "/api/v1/events/{eventId}/publish",
        "/api/v1/participations",
        "/api/v1/events/{eventId}/participants",
        "/api/v1/events/{eventId}/participants/export",
    ] {
        assert!(doc["paths"][path].is_object(), "openapi lacks {path}");
    }
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("promo_relay_publish_delay_seconds"),
        "{metrics}"
    );
    assert!(metrics.contains("promo_events_appended"), "{metrics}");
    let (status, body) = app.get("/nope", None).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("NOT_FOUND")));
    app.stop().await;
}
