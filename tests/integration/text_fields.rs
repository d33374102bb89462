//! The one text rule: a NUL or another control character in any free-text
//! field or query parameter is a 400 `VALIDATION_ERROR` naming the field
//! (a NUL used to reach Postgres and come back as a 500).

use chrono::{Duration, Utc};
use promo_tests::{TestApp, TestEnv};
use serde_json::{json, Value};

fn assert_refused(status: u16, body: &Value, field: &str) {
    assert_eq!(status, 400, "{field}: {body}");
    assert_eq!(body["code"], "VALIDATION_ERROR", "{field}: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.starts_with(&format!("{field}:")), "{field}: {body}");
    assert!(message.contains("제어 문자"), "{field}: {body}");
}

#[tokio::test]
async fn control_characters_are_refused_in_every_text_field_and_query() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let draft = json!({"objective": "신규 고객 유치", "storeName": "맛있는집", "industry": "음식점", "address": "서울시 강남구"});
    let id = app.draft("owner").await;
    for field in ["storeName", "industry", "address"] {
        for bad in ["맛있는\u{0}집", "\u{1b}[31m", "끝\u{85}"] {
            let mut body = draft.clone();
            body[field] = json!(bad);
            let (status, answer) = app
                .post("/api/v1/events/purposes", Some("owner"), &body)
                .await;
            assert_refused(status, &answer, field);
            let (status, answer) = app
                .patch(
                    &format!("/api/v1/events/{id}"),
                    Some("owner"),
                    &json!({ field: bad }),
                )
                .await;
            assert_refused(status, &answer, field);
        }
    }
    // Line breaks and tabs are text, not controls.
    let (status, answer) = app
        .patch(
            &format!("/api/v1/events/{id}"),
            Some("owner"),
            &json!({"address": "서울시 강남구\n1층\t창가"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");

    let now = Utc::now();
    let publish = json!({
        "title": "오픈 기념", "prize": "커피 쿠폰",
        "startsAt": now, "endsAt": now + Duration::days(1),
        "announcementAt": now + Duration::days(2), "winnerCount": 1, "channels": ["KAKAO"]
    });
    for field in ["title", "prize"] {
        let mut body = publish.clone();
        body[field] = json!("경품\u{0}");
        let (status, answer) = app
            .post(
                &format!("/api/v1/events/{id}/publish"),
                Some("owner"),
                &body,
            )
            .await;
        assert_refused(status, &answer, field);
    }
    let (status, answer) = app
        .post(
            &format!("/api/v1/events/{id}/publish"),
            Some("owner"),
            &publish,
        )
        .await;
    assert_eq!(status, 200, "the draft was left unchanged: {answer}");

    for query in ["q=%00", "q=%ED%99%8D%00", "q=a%C2%9F", "page=1%00"] {
        let (status, answer) = app
            .get(
                &format!("/api/v1/events/{id}/participants?{query}"),
                Some("owner"),
            )
            .await;
        let field = query.split('=').next().unwrap();
        assert_refused(status, &answer, field);
    }
    let (status, answer) = app
        .get("/api/v1/events?status=DRAFT%00", Some("owner"))
        .await;
    assert_refused(status, &answer, "status");

    let (status, answer) = app
        .post(
            "/api/v1/participations",
            None,
            &json!({"eventId": id, "name": "홍\u{0}길동", "phone": "010-1234-5678", "channel": "KAKAO"}),
        )
        .await;
    assert_refused(status, &answer, "name");
    app.stop().await;
}
