//! Claim deadlines: an unclaimed prize is forfeited automatically when its
//! deadline passes (by exactly one of several processes), the promoted
//! alternate gets a claim period of its own; erasure waits for winners who
//! may still claim unless forced; retention counts from the claim deadline.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use promo_tests::{eventually, TestApp, TestEnv, SETTLE};
use serde_json::json;
use uuid::Uuid;

use crate::prize_support::{
    claim, clocked, code, drawn_campaign, people, ranked, recorded, winners, OWNER,
};

const DAY: i64 = 24 * 3600;

async fn forfeits(app: &TestApp) -> Vec<serde_json::Value> {
    recorded(app, "PrizeForfeited").await
}

/// Long because the clock is walked past two deadlines in turn: the
/// second (the promoted alternate's own) exists only after the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unclaimed_prize_is_forfeited_at_its_deadline_by_exactly_one_process() {
    let env = TestEnv::new().await;
    let offset = Arc::new(AtomicI64::new(0));
    let mut config = env.config();
    config.prize_delivery.claim_deadline_sweep = Duration::from_millis(50);
    // Two processes, both sweeping.
    let app = TestApp::spawn_with(&env, config.clone(), clocked(&offset)).await;
    let other = TestApp::spawn_with(&env, config, clocked(&offset)).await;
    let rules = json!({"winnerCount": 2, "alternateCount": 2, "claimDays": 1});
    // Announced two days from now: the deadline is three days from now.
    let (campaign, drawn, announcement) = drawn_campaign(&app, rules, &people(6)).await;
    let winners_drawn = ranked(&drawn, "winners");
    let alternates = ranked(&drawn, "alternates");
    let (status, _) = claim(&app, campaign, &winners_drawn[0]).await;
    assert_eq!(status, 200);

    // An hour before the deadline nothing happens.
    let deadline = announcement + ChronoDuration::days(1);
    offset.store(
        (deadline - Utc::now()).num_seconds() - 3600,
        Ordering::SeqCst,
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(forfeits(&app).await.is_empty());

    // An hour after: the pending winner is forfeited once, the claimed one kept.
    offset.store(
        (deadline - Utc::now()).num_seconds() + 3600,
        Ordering::SeqCst,
    );
    let pool = app.pool.clone();
    eventually(
        SETTLE,
        "the deadline job to forfeit the unclaimed prize",
        || async {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM events WHERE event_type = 'PrizeForfeited'",
            )
            .fetch_one(&pool)
            .await
            .ok()?;
            (n >= 1).then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let recorded_forfeits = forfeits(&app).await;
    assert_eq!(recorded_forfeits.len(), 1, "{recorded_forfeits:?}");
    assert_eq!(
        recorded_forfeits[0]["participantId"],
        json!(winners_drawn[1])
    );
    assert_eq!(recorded_forfeits[0]["cause"], "CLAIM_DEADLINE_PASSED");
    assert_eq!(recorded_forfeits[0]["forfeitedBy"], "system:claim-deadline");
    let promoted = recorded(&app, "AlternatePromoted").await;
    assert_eq!(promoted.len(), 1);
    assert_eq!(promoted[0]["participantId"], json!(alternates[0]));
    // Its own claim period: one day from its promotion.
    let at: DateTime<Utc> = serde_json::from_value(promoted[0]["promotedAt"].clone()).unwrap();
    let own: DateTime<Utc> = serde_json::from_value(promoted[0]["claimDeadline"].clone()).unwrap();
    assert_eq!(own - at, ChronoDuration::days(1));

    let listed = winners(&app, campaign).await;
    assert_eq!(listed["winners"][0]["claimStatus"], "CLAIMED");
    assert_eq!(listed["winners"][1]["participantId"], json!(alternates[0]));
    assert_eq!(listed["winners"][1]["claimStatus"], "PENDING");
    assert_eq!(listed["winners"][1]["promoted"], true);
    assert_eq!(listed["forfeited"][0]["cause"], "CLAIM_DEADLINE_PASSED");

    // Past the promoted one's own deadline: the next alternate, once.
    offset.store((own - Utc::now()).num_seconds() + 3600, Ordering::SeqCst);
    let pool = app.pool.clone();
    eventually(SETTLE, "the promoted winner's deadline to pass", || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE event_type = 'AlternatePromoted'",
        )
        .fetch_one(&pool)
        .await
        .ok()?;
        (n >= 2).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(forfeits(&app).await.len(), 2);
    assert_eq!(
        recorded(&app, "AlternatePromoted").await[1]["participantId"],
        json!(alternates[1])
    );
    other.stop().await;
    app.stop().await;
}

async fn erase(app: &TestApp, campaign: Uuid, query: &str) -> (u16, serde_json::Value) {
    app.post(
        &format!("/api/v1/events/{campaign}/personal-data/erase{query}"),
        Some(OWNER),
        &json!({}),
    )
    .await
}

#[tokio::test]
async fn erasure_waits_for_winners_who_may_still_claim_unless_forced() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let rules = json!({"winnerCount": 2, "alternateCount": 0});

    // A pending winner before the deadline: refused, also with force=false.
    let (campaign, drawn, _) = drawn_campaign(&app, rules.clone(), &people(3)).await;
    for query in ["", "?force=false"] {
        let (status, body) = erase(&app, campaign, query).await;
        assert_eq!(
            (status, code(&body)),
            (409, Some("ERASE_NOT_ALLOWED")),
            "{body}"
        );
        assert!(
            body["message"].as_str().unwrap().contains("당첨자"),
            "{body}"
        );
    }
    assert!(recorded(&app, "PersonalDataErased").await.is_empty());
    // Once every winner claimed (or lost the prize), it goes through.
    let winners_drawn = ranked(&drawn, "winners");
    claim(&app, campaign, &winners_drawn[0]).await;
    let (status, body) = erase(&app, campaign, "").await;
    assert_eq!(
        (status, code(&body)),
        (409, Some("ERASE_NOT_ALLOWED")),
        "{body}"
    );
    crate::prize_support::forfeit(&app, campaign, &winners_drawn[1], "연락 두절").await;
    let (status, body) = erase(&app, campaign, "").await;
    assert_eq!(status, 200, "{body}");

    // Or the owner forces it.
    let (forced, _, _) = drawn_campaign(&app, rules, &people(3)).await;
    let (status, body) = erase(&app, forced, "?force=true").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = erase(&app, forced, "?force=maybe").await;
    assert_eq!(
        (status, code(&body)),
        (400, Some("VALIDATION_ERROR")),
        "{body}"
    );
    assert_eq!(recorded(&app, "PersonalDataErased").await.len(), 2);
    app.stop().await;
}

async fn data_secret(pool: &sqlx::PgPool, campaign: Uuid) -> Option<Vec<u8>> {
    sqlx::query_scalar("SELECT data_secret FROM campaign_secrets WHERE campaign_id = $1")
        .bind(campaign)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn retention_counts_from_the_claim_deadline() {
    let env = TestEnv::new().await;
    let offset = Arc::new(AtomicI64::new(0));
    let mut config = env.config();
    config.pii_retention = Duration::from_secs(24 * 3600);
    config.pii_retention_sweep = Duration::from_millis(50);
    config.prize_delivery.claim_deadline_sweep = Duration::from_millis(50);
    let app = TestApp::spawn_with(&env, config, clocked(&offset)).await;
    // Announced in two days, two claim days: claims close in four days,
    // retention ends a day later.
    let rules = json!({"winnerCount": 1, "alternateCount": 0, "claimDays": 2});
    let (campaign, _, announcement) = drawn_campaign(&app, rules, &people(2)).await;
    let at =
        |days: f64| ((announcement - Utc::now()).num_seconds() as f64 + days * DAY as f64) as i64;

    // Retention after the announcement would have erased by now; the
    // winner may still claim.
    offset.store(at(1.5), Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(data_secret(&app.pool, campaign).await.is_some());
    // Past the deadline (the prize is forfeited, unawarded), within retention.
    offset.store(at(2.5), Ordering::SeqCst);
    let pool = app.pool.clone();
    eventually(SETTLE, "the unclaimed prize to be unawarded", || async {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'PrizeUnawarded'")
                .fetch_one(&pool)
                .await
                .ok()?;
        (n == 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(data_secret(&app.pool, campaign).await.is_some());
    // A day after the claims closed: erased.
    offset.store(at(3.1), Ordering::SeqCst);
    let pool = app.pool.clone();
    eventually(
        SETTLE,
        "retention to erase after the claims closed",
        || async { data_secret(&pool, campaign).await.is_none().then_some(()) },
    )
    .await;
    let erased = recorded(&app, "PersonalDataErased").await;
    assert_eq!(erased[0]["reason"], "RETENTION_EXPIRED");
    app.stop().await;
}
