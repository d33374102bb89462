//! Campaign lifecycle over HTTP.

use chrono::{Duration, Utc};
use promo_tests::{eventually, TestApp, TestEnv, SETTLE};
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

/// The served document links create → publish → enter → end → draw → winners → claim (what
/// schemathesis' stateful phase follows), and every link names an operation that exists.
#[tokio::test]
async fn the_openapi_document_links_the_campaign_flow_to_existing_operations() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let (status, doc) = app.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    let mut operation_ids = std::collections::HashSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            if let Some(id) = operation["operationId"].as_str() {
                assert!(operation_ids.insert(id.to_owned()), "{id} twice");
            }
        }
    }
    let mut links = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                for (name, link) in response["links"].as_object().into_iter().flatten() {
                    let target = link["operationId"].as_str().unwrap_or_default();
                    assert!(
                        operation_ids.contains(target),
                        "{method} {path} {status} link {name} names no operation: {link}"
                    );
                    links.push((
                        path.clone(),
                        method.clone(),
                        status.clone(),
                        target.to_owned(),
                    ));
                }
            }
        }
    }
    for (path, method, status, target) in [
        ("/api/v1/events/purposes", "post", "200", "publish"),
        (
            "/api/v1/events/{eventId}/publish",
            "post",
            "200",
            "participate",
        ),
        ("/api/v1/participations", "post", "201", "entry_status"),
        ("/api/v1/participations", "post", "201", "list_participants"),
        (
            "/api/v1/events/{eventId}/end",
            "post",
            "200",
            "draw_winners",
        ),
        (
            "/api/v1/events/{eventId}/draw-winners",
            "post",
            "200",
            "winners",
        ),
        ("/api/v1/events/{eventId}/winners", "get", "200", "claim"),
    ] {
        assert!(
            links
                .iter()
                .any(|l| l == &(path.into(), method.into(), status.into(), target.into())),
            "{method} {path} {status} should link to {target}"
        );
    }
    let publish = &doc["paths"]["/api/v1/events/purposes"]["post"]["responses"]["200"]["links"]
        ["PublishCampaign"];
    assert_eq!(
        publish["parameters"]["eventId"], "$response.body#/eventDraftId",
        "{publish}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_owner_lists_their_campaigns_newest_first_and_edits_a_draft() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let first = app.draft("owner-a").await;
    let second = app.active_campaign("owner-a").await;
    let _theirs = app.draft("owner-b").await;
    let (status, _) = app
        .enter(second, "김철수", "010-1111-2222", "KAKAO", false)
        .await;
    assert_eq!(status, 201);

    let (status, list) = eventually(SETTLE, "both campaigns listed", || async {
        let (status, list) = app.get("/api/v1/events", Some("owner-a")).await;
        (list["totalCount"] == 2 && list["events"][0]["participants"] == 1)
            .then_some((status, list))
    })
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["events"][0]["eventId"], second.to_string());
    assert_eq!(list["events"][0]["status"], "ACTIVE");
    assert_eq!(list["events"][1]["eventId"], first.to_string());
    assert_eq!(list["events"][1]["status"], "DRAFT");
    let (_, drafts) = app
        .get("/api/v1/events?status=DRAFT", Some("owner-a"))
        .await;
    assert_eq!(drafts["totalCount"], 1, "{drafts}");
    let (status, body) = app.get("/api/v1/events?status=NOPE", Some("owner-a")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("VALIDATION_ERROR"))
    );
    let (status, _) = app.get("/api/v1/events", None).await;
    assert_eq!(status, 401);

    let path = format!("/api/v1/events/{first}");
    let (status, edited) = app
        .patch(
            &path,
            Some("owner-a"),
            &json!({"storeName": "새이름 식당", "objective": "재방문 유도"}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["storeName"], "새이름 식당");
    assert_eq!(edited["objective"], "재방문 유도");
    let (status, body) = app
        .patch(&path, Some("owner-b"), &json!({"storeName": "x"}))
        .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")));
    let (status, body) = app
        .patch(
            &format!("/api/v1/events/{second}"),
            Some("owner-a"),
            &json!({"storeName": "x"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("EVENT_NOT_DRAFT")),
        "{body}"
    );
    let (status, body) = app
        .patch(&path, Some("owner-a"), &json!({"objective": "아무거나"}))
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("EVENT_001")));
    app.stop().await;
}

#[tokio::test]
async fn publishing_with_an_end_in_the_past_is_refused_and_an_ended_campaign_shows_when() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.draft("owner").await;
    let now = Utc::now();
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/publish"),
            Some("owner"),
            &json!({"title": "지난 이벤트", "prize": "커피", "startsAt": now - Duration::days(3),
                    "endsAt": now - Duration::days(1), "announcementAt": now + Duration::days(1),
                    "winnerCount": 1, "channels": ["KAKAO"]}),
        )
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

    let active = app.active_campaign("owner").await;
    let (_, shown) = app.get(&format!("/api/v1/events/{active}"), None).await;
    assert!(shown["endedAt"].is_null(), "{shown}");
    let (status, _) = app
        .post(
            &format!("/api/v1/events/{active}/end"),
            Some("owner"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, shown) = app.get(&format!("/api/v1/events/{active}"), None).await;
    assert_eq!(shown["status"], "ENDED");
    assert!(shown["endedAt"].is_string(), "{shown}");
    app.stop().await;
}
