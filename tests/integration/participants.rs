//! The owner's participant list: masking, order, paging, filters, CSV, and
//! the entry confirmations sent once per entry.

use promo_tests::{eventually, participants_projected, TestApp, TestEnv, SETTLE};

#[tokio::test]
async fn the_list_is_masked_newest_first_paged_and_filtered() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    let entrants = [
        ("김철수", "010-1000-0001", "URIDONGNETV", false),
        ("이영희", "010-1000-0002", "INSTAGRAM", true),
        ("박민수", "010-1000-0003", "INSTAGRAM", false),
        ("최지우", "010-1000-0004", "STORE_QR", true),
        ("정우성", "010-1000-0005", "KAKAO", false),
    ];
    let mut numbers = Vec::new();
    for (name, phone, channel, visited) in entrants {
        let (status, body) = app.enter(campaign, name, phone, channel, visited).await;
        assert_eq!(status, 201, "{body}");
        numbers.push(body["entryNumber"].as_str().unwrap().to_string());
    }
    participants_projected(&app, campaign, 5).await;
    let base = format!("/api/v1/events/{campaign}/participants");

    let (status, page) = app.get(&base, Some("owner")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["totalCount"], 5);
    assert_eq!(
        (page["page"].as_i64(), page["size"].as_i64()),
        (Some(1), Some(20))
    );
    let rows = page["participants"].as_array().unwrap();
    let listed: Vec<&str> = rows
        .iter()
        .map(|r| r["entryNumber"].as_str().unwrap())
        .collect();
    let newest_first: Vec<&str> = numbers.iter().rev().map(String::as_str).collect();
    assert_eq!(listed, newest_first);
    let first = &rows[0];
    assert_eq!(first["name"], "정**");
    assert_eq!(first["phoneNumber"], "010-****-0005");
    assert_eq!(first["channel"], "KAKAO");
    assert_eq!(first["isWinner"], false);
    assert!(first["winnerRank"].is_null());
    assert!(!page.to_string().contains("정우성"));

    let (_, second) = app
        .get(&format!("{base}?page=2&size=2"), Some("owner"))
        .await;
    let second: Vec<&str> = second["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["entryNumber"].as_str().unwrap())
        .collect();
    assert_eq!(second, newest_first[2..4]);

    let (_, instagram) = app
        .get(&format!("{base}?channel=INSTAGRAM"), Some("owner"))
        .await;
    assert_eq!(instagram["totalCount"], 2);
    let (_, visited) = app
        .get(&format!("{base}?storeVisited=true"), Some("owner"))
        .await;
    assert_eq!(visited["totalCount"], 2);
    assert!(visited["participants"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["bonusEntries"] == 3));
    let (_, not_winners) = app
        .get(&format!("{base}?isWinner=false"), Some("owner"))
        .await;
    assert_eq!(not_winners["totalCount"], 5);
    let (_, by_digits) = app.get(&format!("{base}?q=0003"), Some("owner")).await;
    assert_eq!(by_digits["totalCount"], 1);
    assert_eq!(by_digits["participants"][0]["name"], "박**");
    let (_, by_number) = app
        .get(&format!("{base}?q={}", &numbers[3]), Some("owner"))
        .await;
    assert_eq!(by_number["totalCount"], 1);
    let (_, by_initial) = app.get(&format!("{base}?q=이"), Some("owner")).await;
    assert_eq!(by_initial["totalCount"], 1);
    // An entry number in any case, and its sequence without leading zeros.
    let (_, lower_case) = app
        .get(
            &format!("{base}?q={}", numbers[3].to_lowercase()),
            Some("owner"),
        )
        .await;
    assert_eq!(lower_case["participants"][0]["entryNumber"], numbers[3]);
    let sequence = numbers[1]
        .rsplit('-')
        .next()
        .unwrap()
        .trim_start_matches('0');
    let (_, by_sequence) = app
        .get(&format!("{base}?q={sequence}"), Some("owner"))
        .await;
    assert_eq!(by_sequence["totalCount"], 1, "{by_sequence}");
    assert_eq!(by_sequence["participants"][0]["entryNumber"], numbers[1]);
    // A page past the end is empty and still carries the total.
    let (_, past_end) = app
        .get(&format!("{base}?page=9&size=2"), Some("owner"))
        .await;
    assert_eq!(past_end["totalCount"], 5);
    assert_eq!(past_end["participants"].as_array().map(Vec::len), Some(0));
    // Totals of combined filters come from the facet counters.
    let (_, combined) = app
        .get(
            &format!("{base}?channel=INSTAGRAM&storeVisited=false&isWinner=false"),
            Some("owner"),
        )
        .await;
    assert_eq!(combined["totalCount"], 1);
    assert_eq!(combined["participants"][0]["name"], "박**");

    for bad in [
        "page=0",
        "size=0",
        "size=101",
        "page=x",
        "channel=TV",
        "storeVisited=yes",
    ] {
        let (status, body) = app.get(&format!("{base}?{bad}"), Some("owner")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("VALIDATION_ERROR")),
            "{bad}: {body}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_csv_export_is_masked_with_a_header_row() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    app.enter(campaign, "김철수", "010-2000-0001", "NAVER", false)
        .await;
    app.enter(
        campaign,
        "=HYPERLINK(\"x\")",
        "010-2000-0002",
        "KAKAO",
        true,
    )
    .await;
    participants_projected(&app, campaign, 2).await;

    let response = app
        .client
        .get(app.url(&format!("/api/v1/events/{campaign}/participants/export")))
        .bearer_auth(TestApp::token("owner"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    // SPEC v2: a byte-order mark for Excel, and the marketing-consent column.
    assert_eq!(lines[0], "\u{feff}entryNumber,name,phoneNumber,channel,storeVisited,bonusEntries,participatedAt,isWinner,winnerRank,agreeMarketing");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].contains(",'=**************,010-****-0002,KAKAO,true,3,"),
        "{csv}"
    );
    assert!(
        lines[2].contains(",김**,010-****-0001,NAVER,false,1,"),
        "{csv}"
    );
    assert!(!csv.contains("철수") && !csv.contains("2000-0001"));
    app.stop().await;
}

#[tokio::test]
async fn each_entry_is_confirmed_once() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    let (_, body) = app
        .enter(campaign, "김철수", "010-3000-0001", "NAVER", false)
        .await;
    let number = body["entryNumber"].as_str().unwrap().to_string();
    app.enter(campaign, "김철수", "010-3000-0001", "NAVER", false)
        .await; // duplicate: no second message
    let pool = app.pool.clone();
    let (recipient, message): (String, String) = eventually(SETTLE, "confirmation recorded", || {
        let pool = pool.clone();
        async move {
            sqlx::query_as("SELECT recipient, message FROM notifications WHERE kind = 'ENTRY_CONFIRMATION'")
                .fetch_optional(&pool)
                .await
                .ok()
                .flatten()
        }
    })
    .await;
    assert_eq!(recipient, "010-****-0001");
    assert!(
        message.contains(&number)
            && message.contains("맛있는집")
            && message.contains("당첨자 발표"),
        "{message}"
    );
    app.stop().await;
    assert_eq!(
        promo_tests_count(&env, "SELECT count(*) FROM notifications").await,
        1
    );
}

async fn promo_tests_count(env: &TestEnv, sql: &str) -> i64 {
    let pool = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

#[tokio::test]
async fn the_csv_export_applies_the_filters_in_korean_time_with_consent() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    app.enter(campaign, "김철수", "010-2100-0001", "NAVER", false)
        .await;
    let (status, body) = app
        .post(
            "/api/v1/participations",
            None,
            &serde_json::json!({"eventId": campaign, "name": "이영희", "phoneNumber": "010-2100-0002",
                    "channel": "KAKAO", "agreePrivacy": true, "agreeMarketing": true}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    participants_projected(&app, campaign, 2).await;

    let csv = app
        .client
        .get(app.url(&format!(
            "/api/v1/events/{campaign}/participants/export?channel=KAKAO"
        )))
        .bearer_auth(TestApp::token("owner"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with('\u{feff}'), "a byte-order mark first");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "only the KAKAO entrant: {csv}");
    assert!(lines[1].contains(",이**,010-****-0002,KAKAO,"), "{csv}");
    assert!(lines[1].ends_with(",true"), "consented to marketing: {csv}");
    assert!(
        lines[1].contains("+09:00,"),
        "Korean time with its offset: {csv}"
    );
    let (status, body) = app
        .get(
            &format!("/api/v1/events/{campaign}/participants/export?channel=NOPE"),
            Some("owner"),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("VALIDATION_ERROR"))
    );
    app.stop().await;
}
