//! Crypto-shredding (PIPA): after a campaign's personal data is erased, no
//! plaintext name or phone number exists anywhere (every table of the
//! database, every message of the JetStream stream), the sealed copies no
//! longer open, and counts, lists and exports keep working.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use promo_api::BuildOptions;
use promo_domain::privacy::{self, CampaignSecret, SealedPersonalData};
use promo_projections::participants::ERASED;
use promo_tests::{eventually, participants_projected, TestApp, TestEnv, SETTLE};
use serde_json::{json, Value};
use sqlx::Row;
use uuid::Uuid;

/// Entrants with distinctive numbers, each given in another format.
const ENTRANTS: [(&str, &str, &str); 3] = [
    ("홍길동", "010-9731-4862", "01097314862"),
    ("성춘향", "01086421357", "01086421357"),
    ("이몽룡", "+82 10-5173-2948", "01051732948"),
];

/// Every form in which a plaintext name or phone could be stored.
fn forbidden_strings() -> Vec<String> {
    let mut forbidden = Vec::new();
    for (name, _, normalised) in ENTRANTS {
        forbidden.push(name.to_string());
        let (middle, last) = (&normalised[3..7], &normalised[7..]);
        forbidden.push(normalised.to_string());
        forbidden.push(format!("010-{middle}-{last}"));
        forbidden.push(format!("{middle}-{last}"));
        forbidden.push(format!("{middle}{last}"));
        forbidden.push(format!("10-{middle}-{last}"));
    }
    forbidden
}

/// Every row of every table in the public schema, as text.
async fn database_as_text(pool: &sqlx::PgPool) -> Vec<(String, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(tables.iter().any(|t| t == "events"), "{tables:?}");
    let mut rows = Vec::new();
    for table in tables {
        let texts: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM \"{table}\" t"))
            .fetch_all(pool)
            .await
            .unwrap();
        rows.extend(texts.into_iter().map(|text| (table.clone(), text)));
    }
    rows
}

/// Every message on the test's stream, raw.
async fn stream_as_text(env: &TestEnv) -> Vec<String> {
    let js = env.jetstream().await;
    let mut stream = js.get_stream(env.names().stream_name()).await.unwrap();
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut messages = Vec::new();
    for seq in 1..=last {
        let message = stream.get_raw_message(seq).await.unwrap();
        messages.push(String::from_utf8_lossy(&message.payload).into_owned());
    }
    messages
}

fn assert_no_plaintext(place: &str, texts: &[(String, String)]) {
    for forbidden in forbidden_strings() {
        for (table, text) in texts {
            assert!(
                !text.contains(&forbidden),
                "{place}: {forbidden:?} found in {table}: {text}"
            );
        }
    }
}

/// `(participant id, sealed data)` of every registration in the event store.
async fn sealed_entries(pool: &sqlx::PgPool) -> Vec<(Uuid, SealedPersonalData)> {
    let payloads: Vec<Value> = sqlx::query_scalar(
        "SELECT payload FROM events WHERE event_type = 'ParticipantRegistered' ORDER BY position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    payloads
        .into_iter()
        .map(|p| {
            let inner = &p["ParticipantRegistered"];
            (
                inner["participantId"].as_str().unwrap().parse().unwrap(),
                serde_json::from_value(inner["personalData"].clone()).unwrap(),
            )
        })
        .collect()
}

async fn data_secret(pool: &sqlx::PgPool, campaign: Uuid) -> Option<Vec<u8>> {
    sqlx::query_scalar("SELECT data_secret FROM campaign_secrets WHERE campaign_id = $1")
        .bind(campaign)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn everything_erased(app: &TestApp, campaign: Uuid) {
    let pool = app.pool.clone();
    eventually(SETTLE, "read models to show erased data", || {
        let pool = pool.clone();
        async move {
            let left: i64 = sqlx::query_scalar(
                "SELECT (SELECT count(*) FROM participants WHERE campaign_id = $1 AND \
                   (name_masked <> $2 OR phone_masked <> $2 OR phone_last4 <> '')) \
                 + (SELECT count(*) FROM notifications WHERE campaign_id = $1 AND recipient <> $2)",
            )
            .bind(campaign)
            .bind(ERASED)
            .fetch_one(&pool)
            .await
            .ok()?;
            (left == 0).then_some(())
        }
    })
    .await;
}

async fn notifications_sent(app: &TestApp, campaign: Uuid, expected: i64) {
    let pool = app.pool.clone();
    eventually(SETTLE, "entry confirmations", || {
        let pool = pool.clone();
        async move {
            let n: i64 =
                sqlx::query_scalar("SELECT count(*) FROM notifications WHERE campaign_id = $1")
                    .bind(campaign)
                    .fetch_one(&pool)
                    .await
                    .ok()?;
            (n == expected).then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn erasing_personal_data_leaves_no_plaintext_in_the_database_or_the_stream() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    for (name, phone, _) in ENTRANTS {
        let (status, body) = app.enter(campaign, name, phone, "NAVER", true).await;
        assert_eq!(status, 201, "{body}");
    }
    participants_projected(&app, campaign, 3).await;
    notifications_sent(&app, campaign, 3).await;
    let erase = format!("/api/v1/events/{campaign}/personal-data/erase");

    // While the campaign runs, erasure is refused.
    let (status, body) = app.post(&erase, Some("owner"), &json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("ERASE_NOT_ALLOWED")),
        "{body}"
    );

    // The key opens every sealed entry before the erasure.
    let secret = promo_tests::unwrapped_data_secret(&app.pool, campaign)
        .await
        .expect("a live key");
    let sealed = sealed_entries(&app.pool).await;
    assert_eq!(sealed.len(), 3);
    for (participant, data) in &sealed {
        privacy::open(&secret.data_key(), *participant, data).expect("opens before erasure");
    }

    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/end"),
            Some("owner"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app.post(&erase, Some("intruder"), &json!({})).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")));
    let (status, body) = app.post(&erase, None, &json!({})).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("UNAUTHORIZED")));
    let (status, first) = app.post(&erase, Some("owner"), &json!({})).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["personalDataErased"], true);
    assert_eq!(first["eventId"], campaign.to_string());
    // Idempotent: a repeat answers the first erasure.
    let (status, again) = app.post(&erase, Some("owner"), &json!({})).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["erasedAt"], first["erasedAt"]);

    // The key is gone; the shredding is recorded once, as a domain event.
    assert_eq!(data_secret(&app.pool, campaign).await, None);
    let row = sqlx::query("SELECT shredded_at IS NOT NULL AS shredded, length(draw_seed) AS seed FROM campaign_secrets WHERE campaign_id = $1")
        .bind(campaign)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(row.get::<bool, _>("shredded"));
    assert_eq!(
        row.get::<i32, _>("seed"),
        promo_eventstore::secrets::master_key::WRAPPED_LEN as i32,
        "the draw seed stays (wrapped)"
    );
    let recorded: Vec<Value> = sqlx::query_scalar(
        "SELECT payload FROM events WHERE aggregate_id = $1 AND event_type = 'PersonalDataErased'",
    )
    .bind(campaign.to_string())
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["PersonalDataErased"]["reason"], "OWNER_REQUEST");
    assert_eq!(recorded[0]["PersonalDataErased"]["erasedBy"], "owner");

    everything_erased(&app, campaign).await;

    // Nothing readable is left anywhere.
    assert_no_plaintext("database", &database_as_text(&app.pool).await);
    let stream: Vec<(String, String)> = stream_as_text(&env)
        .await
        .into_iter()
        .map(|m| ("stream".to_string(), m))
        .collect();
    assert!(stream.iter().any(|(_, m)| m.contains("PersonalDataErased")));
    assert_no_plaintext("JetStream", &stream);
    // The sealed copies are still there, and no key that exists opens them.
    let remaining: Vec<(Uuid, Vec<u8>)> = sqlx::query_as(
        "SELECT campaign_id, data_secret FROM campaign_secrets WHERE data_secret IS NOT NULL",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for (participant, data) in sealed_entries(&app.pool).await {
        for other in &remaining {
            let (id, wrapped) = other;
            let opened = promo_tests::master_keys()
                .current
                .unwrap(*id, "data_secret", wrapped)
                .unwrap();
            let other = CampaignSecret(opened);
            assert!(privacy::open(&other.data_key(), participant, &data).is_err());
        }
    }

    // Counts, the list and the export keep working, masked as erased.
    let (status, page) = app
        .get(
            &format!("/api/v1/events/{campaign}/participants"),
            Some("owner"),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["totalCount"], 3);
    for row in page["participants"].as_array().unwrap() {
        assert_eq!(
            (row["name"].as_str(), row["phoneNumber"].as_str()),
            (Some(ERASED), Some(ERASED))
        );
        assert!(row["entryNumber"].as_str().is_some());
    }
    // A search by a real initial finds no one now; the erased marker's
    // initial finds all three (the facet counters were recounted).
    let initial: String = ENTRANTS[0].0.chars().take(1).collect();
    let marker: String = ERASED.chars().take(1).collect();
    for (q, expected) in [(initial, 0), (marker, 3)] {
        let (_, page) = app
            .get(
                &format!(
                    "/api/v1/events/{campaign}/participants?q={}",
                    urlencoding(&q)
                ),
                Some("owner"),
            )
            .await;
        assert_eq!(page["totalCount"], expected, "q={q}: {page}");
        assert_eq!(
            page["participants"].as_array().map(Vec::len),
            Some(expected),
            "q={q}"
        );
    }
    let csv = app
        .client
        .get(app.url(&format!("/api/v1/events/{campaign}/participants/export")))
        .bearer_auth(TestApp::token("owner"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert_no_plaintext("export", &[("csv".into(), csv)]);

    // Entries stay closed.
    let (status, body) = app
        .enter(campaign, "홍길동", "010-9731-4862", "NAVER", false)
        .await;
    assert!(status == 409, "{status} {body}");
    app.stop().await;
}

#[tokio::test]
async fn personal_data_is_erased_automatically_after_the_retention_period() {
    let env = TestEnv::new().await;
    // A clock the test moves forward.
    let offset = Arc::new(AtomicI64::new(0));
    let clock_offset = offset.clone();
    let options = BuildOptions {
        clock: Arc::new(move || {
            Utc::now() + ChronoDuration::seconds(clock_offset.load(Ordering::SeqCst))
        }),
        ..BuildOptions::default()
    };
    let mut config = env.config();
    config.pii_retention = Duration::from_secs(24 * 3600);
    config.pii_retention_sweep = Duration::from_millis(100);
    let app = TestApp::spawn_with(&env, config, options).await;

    // Announced one day after it ends (TestApp's campaigns), claims close 7
    // days (the default claim period) after that, so due for erasure nine
    // days after it ends.
    let now = Utc::now();
    let expiring = app
        .campaign_with_period(
            "owner",
            now - ChronoDuration::hours(1),
            now + ChronoDuration::hours(1),
        )
        .await;
    let kept = app
        .campaign_with_period(
            "owner",
            now - ChronoDuration::hours(1),
            now + ChronoDuration::days(30),
        )
        .await;
    for (name, phone, _) in ENTRANTS {
        for campaign in [expiring, kept] {
            let (status, body) = app.enter(campaign, name, phone, "KAKAO", false).await;
            assert_eq!(status, 201, "{body}");
        }
    }
    participants_projected(&app, expiring, 3).await;
    participants_projected(&app, kept, 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        data_secret(&app.pool, expiring).await.is_some(),
        "not due yet"
    );

    // Ten days later: the first campaign is past its claim deadline + 1 day.
    offset.store(10 * 24 * 3600, Ordering::SeqCst);
    let pool = app.pool.clone();
    eventually(
        SETTLE,
        "the retention task to erase the expired campaign",
        || {
            let pool = pool.clone();
            async move { data_secret(&pool, expiring).await.is_none().then_some(()) }
        },
    )
    .await;
    everything_erased(&app, expiring).await;
    let reason: Value = sqlx::query_scalar(
        "SELECT payload FROM events WHERE aggregate_id = $1 AND event_type = 'PersonalDataErased'",
    )
    .bind(expiring.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(reason["PersonalDataErased"]["reason"], "RETENTION_EXPIRED");
    assert_eq!(reason["PersonalDataErased"]["erasedBy"], "system:retention");

    // The other campaign is untouched.
    assert!(data_secret(&app.pool, kept).await.is_some());
    let intact: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM participants WHERE campaign_id = $1 AND name_masked <> $2",
    )
    .bind(kept)
    .bind(ERASED)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(intact, 3);
    let (status, page) = app
        .get(
            &format!("/api/v1/events/{expiring}/participants"),
            Some("owner"),
        )
        .await;
    assert_eq!((status, page["totalCount"].as_i64()), (200, Some(3)));
    app.stop().await;
}

/// Percent-encodes a query value (UTF-8 bytes outside the unreserved set).
fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
