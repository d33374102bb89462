//! Hostile input against every endpoint, public and owner, with and without
//! valid tokens: random JSON of wrong types, huge strings, invalid UTF-8,
//! odd phone formats, decomposed Hangul, extreme numbers, unknown fields,
//! garbage paths and query strings. The property: never a 5xx, and every 4xx
//! is a JSON `{code, message}`.
//!
//! Cases come from proptest strategies drawn by a deterministic runner (so a
//! failure reproduces), sent over HTTP one by one; the failing request is
//! printed in full.

use std::collections::HashMap;

use chrono::{Duration as ChronoDuration, Utc};
use promo_tests::{TestApp, TestEnv};
use proptest::collection::{hash_map, vec};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Map, Value};
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

/// Requests per endpoint group; the whole file stays well under a minute.
const CASES: usize = 60;

#[derive(Debug, Clone, Copy)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}

/// Every endpoint of the API (routes not mounted answer the JSON 404
/// fallback, which satisfies the property as well).
const ENDPOINTS: &[(Method, &str)] = &[
    (Method::Post, "/api/v1/events/purposes"),
    (Method::Post, "/api/v1/events/{id}/publish"),
    (Method::Post, "/api/v1/events/{id}/end"),
    (Method::Get, "/api/v1/events/{id}"),
    (Method::Post, "/api/v1/participations"),
    (Method::Get, "/api/v1/events/{id}/participants"),
    (Method::Get, "/api/v1/events/{id}/participants/export"),
    (Method::Post, "/api/v1/events/{id}/personal-data/erase"),
    (Method::Post, "/api/v1/events/{id}/draw-winners"),
    (Method::Get, "/api/v1/events/{id}/winners"),
    (Method::Get, "/api/v1/events/{id}/draw"),
    (Method::Get, "/api/v1/events/{id}/draw/entrants"),
    (Method::Post, "/api/v1/events/{id}/costs"),
    (Method::Get, "/api/v1/events/{id}/analytics"),
    (Method::Get, "/api/v1/events/{id}/store-qr"),
    (Method::Post, "/api/v1/events/{id}/entry-status"),
    (Method::Get, "/api/v1/events/{id}/winners/public"),
    (Method::Get, "/health"),
    (Method::Get, "/ready"),
];

fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[가-힣]{0,12}",
        "[가-힣]{1,6}".prop_map(|s| s.nfd().collect::<String>()),
        "(\\+82|82|0)?[ ().-]{0,2}1[0-9][ ().-]{0,2}[0-9]{3,4}[ ().-]{0,2}[0-9]{4}",
        "[0-9+() .-]{0,40}",
        (0usize..40_000).prop_map(|n| "가".repeat(n)),
        (0usize..2_000).prop_map(|n| "\u{0}\u{202e}\u{feff}".repeat(n)),
        Just("'; DROP TABLE events; --".to_string()),
        Just("../../../etc/passwd".to_string()),
        Just("%00%ff%c0%af".to_string()),
        Just("00000000-0000-0000-0000-000000000000".to_string()),
        Just("9".repeat(400)),
        Just("1e400".to_string()),
        Just("-1".to_string()),
        Just("2025-13-45T25:61:61Z".to_string()),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN", |f| f.is_finite())
            .prop_map(Value::from),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(u32::MAX as u64 + 1)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        hostile_string().prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            hash_map("[a-zA-Z]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Good values for the known fields, so requests get past the first check.
fn good_values(campaign: Uuid) -> HashMap<&'static str, Vec<Value>> {
    let now = Utc::now();
    HashMap::from([
        ("eventId", vec![json!(campaign), json!(Uuid::new_v4())]),
        (
            "name",
            vec![json!("김철수"), json!("홍길동".nfd().collect::<String>())],
        ),
        (
            "phoneNumber",
            vec![
                json!("010-1234-5678"),
                json!("+82 10 9876 5432"),
                json!("01055556666"),
            ],
        ),
        ("channel", vec![json!("KAKAO"), json!("STORE_QR")]),
        ("storeVisited", vec![json!(true), json!(false)]),
        ("agreePrivacy", vec![json!(true)]),
        ("agreeMarketing", vec![json!(false)]),
        (
            "storeVisitToken",
            vec![json!("20251029.AAAAAAAAAAAAAAAAAAAAAA")],
        ),
        ("entryNumber", vec![json!("EVT00000000-20251029-001")]),
        ("userId", vec![json!("owner"), json!(12)]),
        (
            "objective",
            vec![json!("신규 고객 유치"), json!("매출 증대")],
        ),
        ("storeName", vec![json!("맛있는집")]),
        ("industry", vec![json!("음식점")]),
        ("address", vec![json!("서울시 강남구")]),
        ("title", vec![json!("가을 이벤트")]),
        ("prize", vec![json!("커피 쿠폰")]),
        ("startsAt", vec![json!(now - ChronoDuration::hours(1))]),
        ("endsAt", vec![json!(now + ChronoDuration::days(1))]),
        ("announcementAt", vec![json!(now + ChronoDuration::days(2))]),
        ("winnerCount", vec![json!(1), json!(3), json!(1000)]),
        (
            "channels",
            vec![json!(["KAKAO"]), json!(["NAVER", "INSTAGRAM"])],
        ),
        ("targetParticipants", vec![json!(100)]),
        ("visitBonus", vec![json!(true), json!(false)]),
        ("prizeCost", vec![json!(100000)]),
        ("contentCost", vec![json!(50000)]),
        ("operationCost", vec![json!(0)]),
        ("distributionCost", vec![json!(1)]),
        ("expectedRevenue", vec![json!(900000)]),
        ("salesGrowthRate", vec![json!(12.5)]),
    ])
}

/// A JSON object of known fields (good or hostile values, some missing)
/// plus unknown fields.
fn hostile_object(campaign: Uuid) -> impl Strategy<Value = Value> {
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = good_values(campaign)
        .into_iter()
        .map(|(key, good)| {
            let good = proptest::sample::select(good);
            prop_oneof![
                3 => good.prop_map(move |v| Some((key.to_string(), v))),
                2 => json_value().prop_map(move |v| Some((key.to_string(), v))),
                1 => Just(None),
            ]
            .boxed()
        })
        .collect();
    (fields, hash_map("[a-zA-Z_$]{1,16}", json_value(), 0..4)).prop_map(|(known, unknown)| {
        let mut object: Map<String, Value> = unknown.into_iter().collect();
        object.extend(known.into_iter().flatten());
        Value::Object(object)
    })
}

#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    /// Arbitrary bytes (often invalid UTF-8) labelled as JSON.
    Bytes(Vec<u8>),
    /// Valid JSON without a JSON content type.
    Untyped(Value),
    None,
}

#[derive(Debug, Clone)]
enum Auth {
    None,
    Owner,
    OtherOwner,
    Garbage(String),
}

#[derive(Debug, Clone)]
struct Case {
    endpoint: usize,
    method: Option<Method>,
    id: String,
    query: String,
    auth: Auth,
    body: Body,
}

fn path_id(campaigns: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(campaigns),
        1 => any::<u128>().prop_map(|n| Uuid::from_u128(n).to_string()),
        1 => "[a-zA-Z0-9%._~-]{0,40}",
        1 => Just("%FF%FE%00".to_string()),
        1 => Just("..%2F..%2Fetc".to_string()),
        1 => Just("%EA%B0%80".to_string()),
    ]
}

fn query_string() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        "[a-zA-Z0-9]{0,10}",
        any::<i64>().prop_map(|n| n.to_string()),
        Just("99999999999999999999999".to_string()),
        Just("%ZZ".to_string()),
        Just("%FF%FE".to_string()),
        Just("true".to_string()),
        Just("%EA%B9%80".to_string()),
        "[가-힣]{1,60}",
    ];
    let key = prop_oneof![
        Just("page"),
        Just("size"),
        Just("channel"),
        Just("storeVisited"),
        Just("isWinner"),
        Just("q"),
        Just("unknown"),
    ];
    vec((key, value), 0..5).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn case(campaign: Uuid, campaigns: Vec<String>) -> impl Strategy<Value = Case> {
    let body = prop_oneof![
        5 => hostile_object(campaign).prop_map(Body::Json),
        2 => json_value().prop_map(Body::Json),
        2 => vec(any::<u8>(), 0..512).prop_map(Body::Bytes),
        1 => hostile_object(campaign).prop_map(Body::Untyped),
        1 => Just(Body::None),
    ];
    let auth = prop_oneof![
        2 => Just(Auth::None),
        4 => Just(Auth::Owner),
        1 => Just(Auth::OtherOwner),
        1 => "[ -~]{0,80}".prop_map(Auth::Garbage),
    ];
    let method = prop_oneof![
        9 => Just(None),
        1 => proptest::sample::select(vec![Method::Get, Method::Post, Method::Put, Method::Delete])
            .prop_map(Some),
    ];
    (
        0..ENDPOINTS.len(),
        method,
        path_id(campaigns),
        query_string(),
        auth,
        body,
    )
        .prop_map(|(endpoint, method, id, query, auth, body)| Case {
            endpoint,
            method,
            id,
            query,
            auth,
            body,
        })
}

/// A client without connection reuse: the server closes a connection whose
/// request body it refused unread, and a pooled client racing that close
/// reports a transport error that is not an answer of the server.
fn fresh_connections() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn send(app: &TestApp, case: &Case) -> (u16, String) {
    let (default_method, template) = ENDPOINTS[case.endpoint];
    let path = template.replace("{id}", &case.id);
    let url = if case.query.is_empty() {
        app.url(&path)
    } else {
        app.url(&format!("{path}?{}", case.query))
    };
    let method = match case.method.unwrap_or(default_method) {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Delete => reqwest::Method::DELETE,
    };
    thread_local! {
        static CLIENT: reqwest::Client = fresh_connections();
    }
    let mut request = CLIENT.with(|c| c.clone()).request(method, url);
    request = match &case.auth {
        Auth::None => request,
        Auth::Owner => request.bearer_auth(TestApp::token("owner")),
        Auth::OtherOwner => request.bearer_auth(TestApp::token("intruder")),
        Auth::Garbage(value) => request.header("Authorization", value.as_str()),
    };
    request = match &case.body {
        Body::Json(value) => request
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(value).unwrap()),
        Body::Bytes(bytes) => request
            .header("Content-Type", "application/json")
            .body(bytes.clone()),
        Body::Untyped(value) => request
            .header("Content-Type", "text/plain")
            .body(serde_json::to_vec(value).unwrap()),
        Body::None => request,
    };
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

fn check(case: &Case, status: u16, body: &str) {
    assert!(status < 500, "{status} for {case:?}: {body}");
    if (400..500).contains(&status) {
        let parsed: Value = serde_json::from_str(body)
            .unwrap_or_else(|e| panic!("{status} without JSON ({e}) for {case:?}: {body:?}"));
        assert!(
            parsed["code"].as_str().is_some_and(|c| !c.is_empty())
                && parsed["message"].as_str().is_some(),
            "{status} without {{code, message}} for {case:?}: {body}"
        );
    }
}

/// Campaigns in several states, all owned by "owner".
async fn campaigns(app: &TestApp) -> (Uuid, Vec<String>) {
    let active = app.active_campaign("owner").await;
    let draft = app.draft("owner").await;
    let now = Utc::now();
    let ended = app
        .campaign_with_period(
            "owner",
            now - ChronoDuration::hours(2),
            now + ChronoDuration::hours(1),
        )
        .await;
    for i in 0..3 {
        for campaign in [active, ended] {
            let (status, body) = app
                .enter(
                    campaign,
                    "김철수",
                    &format!("010-7777-{i:04}"),
                    "KAKAO",
                    false,
                )
                .await;
            assert_eq!(status, 201, "{body}");
        }
    }
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{ended}/end"),
            Some("owner"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (
        active,
        vec![active.to_string(), draft.to_string(), ended.to_string()],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hostile_request_gets_a_5xx_or_a_non_json_error() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let (active, ids) = campaigns(&app).await;
    let strategy = case(active, ids);
    let mut runner = TestRunner::deterministic();
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for _ in 0..CASES * 6 {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let (status, body) = send(&app, &case).await;
        check(&case, status, &body);
        *statuses.entry(status).or_default() += 1;
    }
    println!("hostile input: statuses {statuses:?}");
    assert!(statuses.keys().any(|s| *s < 300), "some requests succeed");
    let (status, _) = app.get("/health", None).await;
    assert_eq!(status, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_entries_never_fail_the_server_and_valid_ones_still_count_once() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let (active, ids) = campaigns(&app).await;
    let entries = hostile_object(active);
    let mut runner = TestRunner::deterministic();
    let mut accepted = 0;
    for _ in 0..CASES * 3 {
        let body = entries.new_tree(&mut runner).unwrap().current();
        let case = Case {
            endpoint: 4,
            method: None,
            id: ids[0].clone(),
            query: String::new(),
            auth: Auth::None,
            body: Body::Json(body),
        };
        let (status, text) = send(&app, &case).await;
        check(&case, status, &text);
        if status == 201 {
            accepted += 1;
        }
    }
    println!("hostile entries: {accepted} accepted");
    // The good phone values are few, so most valid entries are duplicates:
    // whatever was accepted is in the store exactly once.
    let stored = app
        .count(&format!(
            "SELECT count(*) FROM events WHERE event_type = 'ParticipantRegistered' \
             AND payload::text LIKE '%{active}%'"
        ))
        .await;
    assert_eq!(stored, accepted + 3);
    app.stop().await;
}

#[tokio::test]
async fn decomposed_and_composed_hangul_are_one_name_and_one_phone_is_one_entry() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    let decomposed: String = "홍길동".nfd().collect();
    assert_ne!(decomposed, "홍길동");
    let (status, body) = app
        .enter(campaign, &decomposed, "010-6060-7070", "KAKAO", false)
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .enter(campaign, "홍길동", "+82 10 6060 7070", "KAKAO", false)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("PART_001")),
        "{body}"
    );
    promo_tests::participants_projected(&app, campaign, 1).await;
    let (_, page) = app
        .get(
            &format!("/api/v1/events/{campaign}/participants"),
            Some("owner"),
        )
        .await;
    assert_eq!(page["participants"][0]["name"], "홍**", "{page}");
    app.stop().await;
}
