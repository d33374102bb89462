//! The verifiable winner draw over HTTP: who may draw and when, RANDOM and
//! WEIGHTED draws, exactly once under concurrency, independent verification
//! from the published record and entrant list, winner marks in the
//! participant list, and winner notifications sent once. Draw rules are fixed
//! when the campaign is published (draw/v2): a draw on other terms is refused.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{Duration as ChronoDuration, Utc};
use promo_api::BuildOptions;
use promo_cli::verify::{self as verify_cmd, VerifyArgs};
use promo_domain::draw_protocol::{hex32, CanonicalList, Verification};
use promo_tests::{eventually, participants_projected, TestApp, TestEnv, SETTLE};
use serde_json::{json, Value};
use uuid::Uuid;

const OWNER: &str = "owner-draw";

/// Entrants as (name, phone, store visited).
fn entrants(n: usize) -> Vec<(String, String, bool)> {
    const NAMES: [&str; 6] = ["김철수", "이영희", "박민수", "최지우", "정우성", "한지민"];
    (0..n)
        .map(|i| {
            (
                NAMES[i % NAMES.len()].to_string(),
                format!("010-7000-{i:04}"),
                i % 2 == 1,
            )
        })
        .collect()
}

/// A campaign with these entrants, ended by its owner.
async fn ended_campaign(app: &TestApp, entrants: &[(String, String, bool)]) -> Uuid {
    let campaign = open_campaign(app, entrants).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/end"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "end: {body}");
    campaign
}

async fn open_campaign(app: &TestApp, entrants: &[(String, String, bool)]) -> Uuid {
    let campaign = app.active_campaign(OWNER).await;
    enter_all(app, campaign, entrants).await;
    campaign
}

/// A campaign published with these draw rules (merged into the usual
/// publish body), open from an hour ago for a day.
async fn campaign_with_rules(app: &TestApp, rules: Value) -> Uuid {
    let campaign = app.draft(OWNER).await;
    let now = Utc::now();
    let mut body = json!({
        "title": "가을 맞이 경품 이벤트",
        "prize": "KT 멤버십 5,000P",
        "startsAt": now - ChronoDuration::hours(1),
        "endsAt": now + ChronoDuration::days(1),
        "announcementAt": now + ChronoDuration::days(2),
        "channels": ["INSTAGRAM", "STORE_QR"],
        "targetParticipants": 100,
    });
    for (key, value) in rules.as_object().unwrap() {
        body[key] = value.clone();
    }
    let (status, published) = app
        .post(
            &format!("/api/v1/events/{campaign}/publish"),
            Some(OWNER),
            &body,
        )
        .await;
    assert_eq!(status, 200, "publish: {published}");
    campaign
}

/// Like [`ended_campaign`], with the campaign published with these rules.
async fn ended_campaign_with_rules(
    app: &TestApp,
    rules: Value,
    entrants: &[(String, String, bool)],
) -> Uuid {
    let campaign = campaign_with_rules(app, rules).await;
    enter_all(app, campaign, entrants).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/end"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "end: {body}");
    campaign
}

async fn enter_all(app: &TestApp, campaign: Uuid, entrants: &[(String, String, bool)]) {
    for (name, phone, visited) in entrants {
        let (status, body) = app
            .enter(campaign, name, phone, "INSTAGRAM", *visited)
            .await;
        assert_eq!(status, 201, "{body}");
    }
}

async fn draw(app: &TestApp, campaign: Uuid, owner: Option<&str>, body: Value) -> (u16, Value) {
    app.post(
        &format!("/api/v1/events/{campaign}/draw-winners"),
        owner,
        &body,
    )
    .await
}

async fn entrant_list_text(app: &TestApp, campaign: Uuid) -> String {
    let response = app
        .client
        .get(app.url(&format!("/api/v1/events/{campaign}/draw/entrants")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    response.text().await.unwrap()
}

fn code(body: &Value) -> Option<&str> {
    body["code"].as_str()
}

fn is_masked_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some() && chars.all(|c| c == '*') && name.chars().count() >= 2
}

fn is_masked_phone(phone: &str) -> bool {
    phone.len() == 13
        && phone.starts_with("010-****-")
        && phone[9..].chars().all(|c| c.is_ascii_digit())
}

#[tokio::test]
async fn a_campaign_is_drawn_only_after_it_ended() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = open_campaign(&app, &entrants(4)).await;

    let (status, body) = draw(
        &app,
        campaign,
        Some(OWNER),
        json!({"winnerCount": 1, "visitBonus": false}),
    )
    .await;
    assert_eq!(
        (status, code(&body)),
        (409, Some("DRAW_NOT_ALLOWED")),
        "{body}"
    );
    let draft = app.draft(OWNER).await;
    let (status, body) = draw(&app, draft, Some(OWNER), json!({"winnerCount": 1})).await;
    assert_eq!(
        (status, code(&body)),
        (409, Some("DRAW_NOT_ALLOWED")),
        "{body}"
    );

    // No draw yet: nothing to show.
    let (status, body) = app
        .get(&format!("/api/v1/events/{campaign}/draw"), None)
        .await;
    assert_eq!((status, code(&body)), (404, Some("PART_008")), "{body}");
    let (status, body) = app
        .get(&format!("/api/v1/events/{campaign}/draw/entrants"), None)
        .await;
    assert_eq!((status, code(&body)), (404, Some("PART_008")), "{body}");
    let (status, body) = app
        .get(&format!("/api/v1/events/{campaign}/winners"), Some(OWNER))
        .await;
    assert_eq!((status, code(&body)), (404, Some("PART_008")), "{body}");
    assert_eq!(
        app.count("SELECT count(*) FROM events WHERE aggregate_type = 'Draw'")
            .await,
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn a_campaign_past_its_end_time_is_drawn_without_being_ended() {
    let env = TestEnv::new().await;
    let offset = Arc::new(AtomicI64::new(0));
    let clock_offset = offset.clone();
    let options = BuildOptions {
        clock: Arc::new(move || {
            Utc::now() + ChronoDuration::seconds(clock_offset.load(Ordering::SeqCst))
        }),
        ..BuildOptions::default()
    };
    let app = TestApp::spawn_with(&env, env.config(), options).await;
    let campaign = open_campaign(&app, &entrants(3)).await;
    let (status, body) = draw(&app, campaign, Some(OWNER), json!({"winnerCount": 1})).await;
    assert_eq!(
        (status, code(&body)),
        (409, Some("DRAW_NOT_ALLOWED")),
        "{body}"
    );

    offset.store(2 * 24 * 3600, Ordering::SeqCst); // past endsAt (a day after start)
    let (status, body) = draw(&app, campaign, Some(OWNER), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["winners"].as_array().unwrap().len(),
        3,
        "the published count"
    );
    app.stop().await;
}

#[tokio::test]
async fn only_the_owner_draws_and_reads_the_winners() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = ended_campaign(&app, &entrants(3)).await;

    let (status, body) = draw(&app, campaign, None, json!({"winnerCount": 1})).await;
    assert_eq!((status, code(&body)), (401, Some("UNAUTHORIZED")), "{body}");
    let (status, body) = draw(
        &app,
        campaign,
        Some("another-owner"),
        json!({"winnerCount": 1}),
    )
    .await;
    assert_eq!((status, code(&body)), (403, Some("FORBIDDEN")), "{body}");
    let (status, body) = draw(&app, Uuid::new_v4(), Some(OWNER), json!({"winnerCount": 1})).await;
    assert_eq!(
        (status, code(&body)),
        (404, Some("EVENT_NOT_FOUND")),
        "{body}"
    );

    let (status, body) = draw(&app, campaign, Some(OWNER), json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .get(
            &format!("/api/v1/events/{campaign}/winners"),
            Some("another-owner"),
        )
        .await;
    assert_eq!((status, code(&body)), (403, Some("FORBIDDEN")), "{body}");
    let (status, body) = app
        .get(&format!("/api/v1/events/{campaign}/winners"), None)
        .await;
    assert_eq!((status, code(&body)), (401, Some("UNAUTHORIZED")), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn fewer_entrants_than_winners_is_refused_without_using_up_the_draw() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    // Published for 3 winners, entered by 2: the fixed rules cannot be met.
    let campaign = ended_campaign(&app, &entrants(2)).await;
    for body in [json!({}), json!({"winnerCount": 3, "visitBonus": true})] {
        let (status, body) = draw(&app, campaign, Some(OWNER), body).await;
        assert_eq!((status, code(&body)), (400, Some("PART_007")), "{body}");
    }
    for bad in [
        json!({"winnerCount": 0}),
        json!({"winnerCount": 1001}),
        json!({"winnerCount": -1}),
        json!({"winnerCount": "3"}),
    ] {
        let (status, body) = draw(&app, campaign, Some(OWNER), bad.clone()).await;
        assert_eq!(
            (status, code(&body)),
            (400, Some("VALIDATION_ERROR")),
            "{bad}: {body}"
        );
        assert!(
            body["message"].as_str().unwrap().contains("winnerCount"),
            "{body}"
        );
    }

    // Refusals record nothing: a campaign published for 2 winners, refused
    // a draw on other terms, is still drawn on its own.
    let campaign = ended_campaign_with_rules(&app, json!({"winnerCount": 2}), &entrants(2)).await;
    let (status, body) = draw(&app, campaign, Some(OWNER), json!({"winnerCount": 3})).await;
    assert_eq!(
        (status, code(&body)),
        (409, Some("DRAW_RULES_FIXED")),
        "{body}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM events WHERE aggregate_type = 'Draw'")
            .await,
        0
    );
    let (status, body) = draw(&app, campaign, Some(OWNER), json!({"winnerCount": 2})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["winners"].as_array().unwrap().len(), 2);
    assert!(body["alternates"].as_array().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_random_draw_is_published_and_verified_bit_exact() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let people = entrants(12);
    let campaign = ended_campaign_with_rules(
        &app,
        json!({"winnerCount": 3, "visitBonus": false}),
        &people,
    )
    .await;

    let (status, drawn) = draw(
        &app,
        campaign,
        Some(OWNER),
        json!({"winnerCount": 3, "visitBonus": false}),
    )
    .await;
    assert_eq!(status, 200, "{drawn}");
    assert_eq!(drawn["algorithm"], "RANDOM");
    assert_eq!(drawn["bonusApplied"], false);
    assert_eq!(drawn["totalParticipants"], 12);
    assert_eq!(drawn["eventId"], campaign.to_string());
    assert!(drawn["drawId"].as_str().unwrap().parse::<Uuid>().is_ok());
    let winners = drawn["winners"].as_array().unwrap();
    let alternates = drawn["alternates"].as_array().unwrap();
    assert_eq!(winners.len(), 3);
    assert_eq!(
        alternates.len(),
        3,
        "alternateCount defaults to winnerCount"
    );
    let ranks: Vec<i64> = winners
        .iter()
        .chain(alternates)
        .map(|w| w["rank"].as_i64().unwrap())
        .collect();
    assert_eq!(ranks, (1..=6).collect::<Vec<_>>());
    for ranked in winners.iter().chain(alternates) {
        assert!(is_masked_name(ranked["name"].as_str().unwrap()), "{ranked}");
        assert!(
            is_masked_phone(ranked["phoneNumber"].as_str().unwrap()),
            "{ranked}"
        );
        assert!(
            ranked["entryNumber"].as_str().unwrap().starts_with("EVT"),
            "{ranked}"
        );
    }
    for (name, phone, _) in &people {
        assert!(
            !drawn.to_string().contains(name.as_str()) && !drawn.to_string().contains(&phone[4..])
        );
    }

    // The commitment recorded at publication opens with the revealed seed.
    let (_, shown) = app.get(&format!("/api/v1/events/{campaign}"), None).await;
    let seed_commitment = shown["seedCommitment"].as_str().unwrap().to_string();
    let verification = &drawn["verification"];
    assert_eq!(verification["commitment"], seed_commitment.as_str());
    assert_eq!(verification["protocolVersion"], "draw/v2");
    assert_eq!(
        verification["params"],
        format!(
            "draw/v2;campaign={campaign};winners=3;alternates=3;algorithm=RANDOM;claim_days=7;\
             entrants=12"
        )
    );
    // The rules were published with the campaign.
    assert_eq!(
        (
            &shown["winnerCount"],
            &shown["visitBonus"],
            &shown["alternateCount"],
            &shown["claimDays"],
            &shown["drawProtocolVersion"]
        ),
        (
            &json!(3),
            &json!(false),
            &json!(3),
            &json!(7),
            &json!("draw/v2")
        )
    );

    // The public record and entrant list.
    let (status, record) = app
        .get(&format!("/api/v1/events/{campaign}/draw"), None)
        .await;
    assert_eq!(status, 200, "{record}");
    for field in ["listHash", "seed", "serverSeed", "commitment", "params"] {
        assert_eq!(record[field], verification[field], "{field}");
    }
    assert_eq!(record["drawnBy"], OWNER);
    assert_eq!(record["totalParticipants"], 12);
    assert_eq!(record["winnerCount"], 3);
    assert_eq!(record["alternateCount"], 3);
    assert_eq!(record["claimDays"], 7);
    assert_eq!(
        record["rules"],
        "winners=3;alternates=3;algorithm=RANDOM;claim_days=7"
    );
    assert_eq!(record["bonusApplied"], false);
    let winner_entries: Vec<&str> = record["winnerEntries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["entryNumber"].as_str().unwrap())
        .collect();
    let drawn_entries: Vec<&str> = winners
        .iter()
        .map(|w| w["entryNumber"].as_str().unwrap())
        .collect();
    assert_eq!(winner_entries, drawn_entries);
    let text = entrant_list_text(&app, campaign).await;
    let list = CanonicalList::parse_text(&text).expect("canonical list text");
    assert_eq!(list.len(), 12);
    assert_eq!(record["listHash"], hex32(&list.hash()));
    assert!(
        text.lines().all(|line| line.ends_with(",1")),
        "RANDOM weights are all 1"
    );

    // Anyone re-runs it: from the documents, and from the URL alone.
    let document = record.to_string();
    assert_eq!(
        verify_cmd::verify_document(&document, Some(&text), Some(&seed_commitment)).unwrap(),
        Verification::Match
    );
    let args = VerifyArgs {
        source: app.url(&format!("/api/v1/events/{campaign}/draw")),
        entrants: None,
        commitment: Some(seed_commitment.clone()),
    };
    assert_eq!(verify_cmd::run(&args).await.unwrap(), Verification::Match);

    // Tampering is detected.
    let mismatch = |v: Verification| verify_cmd::verdict_line(&v);
    let fewer: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let verdict = mismatch(verify_cmd::verify_document(&document, Some(&fewer), None).unwrap());
    assert!(
        verdict.starts_with("MISMATCH: entrantCount differs"),
        "{verdict}"
    );
    let mut other_pid = text.clone();
    other_pid.replace_range(0..1, if text.starts_with('0') { "1" } else { "0" });
    let verdict = verify_cmd::verify_document(&document, Some(&other_pid), None).unwrap();
    assert!(!verdict.is_match(), "a changed entrant must not verify");
    let mut forged = record.clone();
    forged["serverSeed"] = json!("11".repeat(32));
    let verdict =
        mismatch(verify_cmd::verify_document(&forged.to_string(), Some(&text), None).unwrap());
    assert!(
        verdict.starts_with("MISMATCH: commitment does not match serverSeed"),
        "{verdict}"
    );
    let mut swapped = record.clone();
    let w = swapped["winners"].as_array_mut().unwrap();
    w.swap(0, 1);
    let verdict =
        mismatch(verify_cmd::verify_document(&swapped.to_string(), Some(&text), None).unwrap());
    assert!(
        verdict.starts_with("MISMATCH: winner rank 1 differs"),
        "{verdict}"
    );
    let verdict = mismatch(
        verify_cmd::verify_document(&document, Some(&text), Some(&"ab".repeat(32))).unwrap(),
    );
    assert!(
        verdict.starts_with("MISMATCH: commitment differs"),
        "{verdict}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_weighted_draw_counts_store_visits_as_bonus_entries() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let people = entrants(10);
    // visitBonus defaults to true.
    let campaign = ended_campaign_with_rules(&app, json!({"winnerCount": 2}), &people).await;

    let (status, drawn) = draw(
        &app,
        campaign,
        Some(OWNER),
        json!({"winnerCount": 2, "visitBonus": true}),
    )
    .await;
    assert_eq!(status, 200, "{drawn}");
    assert_eq!(drawn["algorithm"], "WEIGHTED");
    assert_eq!(drawn["bonusApplied"], true);
    assert!(drawn["verification"]["params"]
        .as_str()
        .unwrap()
        .contains(";winners=2;alternates=2;algorithm=WEIGHTED;claim_days=7;entrants=10"));

    let (_, record) = app
        .get(&format!("/api/v1/events/{campaign}/draw"), None)
        .await;
    assert_eq!(record["algorithm"], "WEIGHTED");
    assert_eq!(record["bonusApplied"], true);
    let text = entrant_list_text(&app, campaign).await;
    let mut weights: Vec<&str> = text
        .lines()
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    weights.sort_unstable();
    assert_eq!(weights, ["1", "1", "1", "1", "1", "3", "3", "3", "3", "3"]);
    assert_eq!(
        verify_cmd::verify_document(&record.to_string(), Some(&text), None).unwrap(),
        Verification::Match
    );
    // The same entrants without their bonus do not reproduce it.
    let unweighted = text.replace(",3\n", ",1\n");
    assert!(
        !verify_cmd::verify_document(&record.to_string(), Some(&unweighted), None)
            .unwrap()
            .is_match()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_draw_requests_draw_exactly_once() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = ended_campaign_with_rules(&app, json!({"winnerCount": 2}), &entrants(6)).await;

    // Half of them name the published terms, half another method.
    let requests = (0..100).map(|i| {
        let app = &app;
        async move {
            draw(
                app,
                campaign,
                Some(OWNER),
                json!({"winnerCount": 2, "visitBonus": i % 2 == 0}),
            )
            .await
        }
    });
    let outcomes = futures::future::join_all(requests).await;
    let ok: Vec<&Value> = outcomes
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(ok.len(), 1, "exactly one draw succeeds");
    assert_eq!(ok[0]["algorithm"], "WEIGHTED", "on the published terms");
    for (i, (status, body)) in outcomes.iter().enumerate().filter(|(_, (s, _))| *s != 200) {
        match code(body) {
            Some("PART_006") => {
                assert_eq!(body["message"], "이미 당첨자 추첨이 완료되었습니다")
            }
            // Before the draw is recorded, other terms are refused as such.
            Some("DRAW_RULES_FIXED") => assert!(i % 2 == 1, "{body}"),
            _ => panic!("{status}: {body}"),
        }
        assert_eq!(*status, 409, "{body}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM events WHERE aggregate_type = 'Draw'")
            .await,
        1
    );

    // The one recorded draw is the published one, and its list is served.
    let (_, record) = app
        .get(&format!("/api/v1/events/{campaign}/draw"), None)
        .await;
    assert_eq!(record["drawId"], ok[0]["drawId"]);
    let text = entrant_list_text(&app, campaign).await;
    assert_eq!(
        verify_cmd::verify_document(&record.to_string(), Some(&text), None).unwrap(),
        Verification::Match
    );

    let (status, body) = draw(&app, campaign, Some(OWNER), json!({"winnerCount": 2})).await;
    assert_eq!((status, code(&body)), (409, Some("PART_006")), "{body}");
    app.stop().await;
}

/// Rows of `notifications` of kind WINNER.
async fn winner_notifications(app: &TestApp) -> Vec<(Uuid, String, String)> {
    sqlx::query_as("SELECT participant_id, recipient, message FROM notifications WHERE kind = 'WINNER' ORDER BY participant_id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn winners_are_listed_marked_and_notified_exactly_once() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let people = entrants(8);
    let campaign = ended_campaign(&app, &people).await;
    participants_projected(&app, campaign, 8).await;

    let (status, drawn) = draw(&app, campaign, Some(OWNER), json!({"winnerCount": 3})).await;
    assert_eq!(status, 200, "{drawn}");
    let winners: Vec<(String, i64, String, String)> = drawn["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["participantId"].as_str().unwrap().to_string(),
                w["rank"].as_i64().unwrap(),
                w["name"].as_str().unwrap().to_string(),
                w["phoneNumber"].as_str().unwrap().to_string(),
            )
        })
        .collect();

    // The owner's winners endpoint, rank 1 first.
    let (status, listed) = app
        .get(&format!("/api/v1/events/{campaign}/winners"), Some(OWNER))
        .await;
    assert_eq!(status, 200, "{listed}");
    let listed = listed["winners"].as_array().unwrap();
    assert_eq!(listed.len(), 3);
    for (row, (id, rank, name, phone)) in listed.iter().zip(&winners) {
        assert_eq!(
            (
                row["participantId"].as_str().unwrap(),
                row["rank"].as_i64().unwrap()
            ),
            (id.as_str(), *rank)
        );
        assert_eq!(
            (
                row["name"].as_str().unwrap(),
                row["phoneNumber"].as_str().unwrap()
            ),
            (name.as_str(), phone.as_str())
        );
        assert_eq!(row["wonAt"], drawn["drawnAt"]);
    }

    // The participant list marks them (once the projection has the draw).
    let base = format!("/api/v1/events/{campaign}/participants");
    let page = eventually(SETTLE, "winners marked in the participant list", || async {
        let (_, page) = app.get(&format!("{base}?isWinner=true"), Some(OWNER)).await;
        (page["totalCount"] == 3).then_some(page)
    })
    .await;
    let mut marked: Vec<(String, i64)> = page["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["isWinner"], true);
            (
                p["participantId"].as_str().unwrap().to_string(),
                p["winnerRank"].as_i64().unwrap(),
            )
        })
        .collect();
    marked.sort_by_key(|(_, rank)| *rank);
    let expected: Vec<(String, i64)> = winners
        .iter()
        .map(|(id, rank, _, _)| (id.clone(), *rank))
        .collect();
    assert_eq!(marked, expected);
    let (_, others) = app
        .get(&format!("{base}?isWinner=false"), Some(OWNER))
        .await;
    assert_eq!(others["totalCount"], 5);
    assert!(others["participants"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["winnerRank"].is_null()));

    // The draw log read model.
    let logged: (i64, i32, bool, String, String) = eventually(SETTLE, "draw log projected", || async {
        sqlx::query_as(
            "SELECT total_participants, winner_count, apply_store_visit_bonus, algorithm, list_hash FROM draw_logs WHERE campaign_id = $1",
        )
        .bind(campaign)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
    })
    .await;
    assert_eq!(
        logged,
        (
            8,
            3,
            true,
            "WEIGHTED".to_string(),
            drawn["verification"]["listHash"]
                .as_str()
                .unwrap()
                .to_string()
        )
    );

    // One WINNER notification per winner, to the masked number.
    let notified = eventually(SETTLE, "winner notifications", || async {
        let rows = winner_notifications(&app).await;
        (rows.len() >= 3).then_some(rows)
    })
    .await;
    assert_eq!(notified.len(), 3);
    let expected: HashSet<(String, String)> = winners
        .iter()
        .map(|(id, _, _, phone)| (id.clone(), phone.clone()))
        .collect();
    let got: HashSet<(String, String)> = notified
        .iter()
        .map(|(id, recipient, _)| (id.to_string(), recipient.clone()))
        .collect();
    assert_eq!(got, expected);
    assert!(notified
        .iter()
        .all(|(_, _, message)| message.contains("당첨") && message.contains("맛있는집")));

    // The event itself names nobody.
    let payload: String =
        sqlx::query_scalar("SELECT payload::text FROM events WHERE aggregate_type = 'Draw'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    for (name, phone, _) in &people {
        assert!(
            !payload.contains(name.as_str()) && !payload.contains(&phone.replace('-', "")),
            "{payload}"
        );
    }

    // Restart with every event redelivered to the notifications projector:
    // still exactly one notification per winner.
    app.stop().await;
    let pool = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    sqlx::query(
        "UPDATE projector_checkpoints SET transaction_id = '0', position = 0, stream_sequence = 0 WHERE projector = 'notifications'",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let app = TestApp::spawn(&env).await;
    eventually(SETTLE, "notifications projector to re-apply every event", || async {
        let caught_up: bool = sqlx::query_scalar(
            "SELECT c.position >= (SELECT max(position) FROM events) FROM projector_checkpoints c WHERE projector = 'notifications'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        caught_up.then_some(())
    })
    .await;
    assert_eq!(winner_notifications(&app).await.len(), 3);
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE kind = 'ENTRY_CONFIRMATION'")
            .await,
        8
    );
    app.stop().await;
}

/// Appends a registration for `phone` inside `tx`, sealed like the service
/// does, as a group-commit batch that read the campaign while it was open.
async fn append_registration(
    tx: &mut sqlx::PgConnection,
    campaign: Uuid,
    name: &str,
    phone: &str,
) -> Uuid {
    use promo_domain::channel::Channel;
    use promo_domain::participation::ParticipationEvent;
    use promo_domain::privacy::{pseudonymous_id, seal, CampaignSecret, PersonalData};

    let wrapped: Vec<u8> =
        sqlx::query_scalar("SELECT data_secret FROM campaign_secrets WHERE campaign_id = $1")
            .bind(campaign)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    let secret = CampaignSecret(
        promo_tests::master_keys()
            .current
            .unwrap(campaign, "data_secret", &wrapped)
            .unwrap(),
    );
    let pid = hex32(&pseudonymous_id(&secret.pid_key(), campaign, phone));
    let participant_id = Uuid::new_v4();
    let event = ParticipationEvent::ParticipantRegistered {
        participant_id,
        campaign_id: campaign,
        pid: pid.clone(),
        entry_number: "EVT-LATE-001".into(),
        channel: Channel::Kakao,
        store_visited: false,
        bonus_entries: 1,
        agree_marketing: false,
        personal_data: seal(
            &secret.data_key(),
            [5; 12],
            participant_id,
            &PersonalData {
                name: name.into(),
                phone: phone.into(),
            },
        ),
        registered_at: Utc::now(),
    };
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         VALUES ('Participation', $1, 1, 'ParticipantRegistered', '1', $2, '{}')",
    )
    .bind(pid)
    .bind(serde_json::to_value(&event).unwrap())
    .execute(&mut *tx)
    .await
    .unwrap();
    participant_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_still_committing_when_the_draw_starts_is_in_the_frozen_list() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = ended_campaign_with_rules(&app, json!({"winnerCount": 4}), &entrants(3)).await;

    // A registration batch that holds the campaign (as every batch does,
    // see eventstore::group_commit) and has not committed yet.
    let mut late = app.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(promo_eventstore::group_commit::campaign_lock_key(campaign))
        .execute(&mut *late)
        .await
        .unwrap();

    let (client, url) = (
        app.client.clone(),
        app.url(&format!("/api/v1/events/{campaign}/draw-winners")),
    );
    let drawing = tokio::spawn(async move {
        let response = client
            .post(url)
            .bearer_auth(TestApp::token(OWNER))
            .json(&json!({"winnerCount": 4}))
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    });
    // The draw is waiting for the batch.
    eventually(
        SETTLE,
        "the draw to wait for the batch holding the campaign",
        || async {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()",
            )
            .fetch_one(&app.pool)
            .await
            .unwrap();
            (waiting > 0).then_some(())
        },
    )
    .await;
    assert!(!drawing.is_finished());
    let participant = append_registration(&mut late, campaign, "윤서연", "01077778888").await;
    late.commit().await.unwrap();

    let (status, drawn) = drawing.await.unwrap();
    assert_eq!(status, 200, "{drawn}");
    assert_eq!(drawn["totalParticipants"], 4);
    let late_winner = drawn["winners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["participantId"] == participant.to_string())
        .expect("the late entrant is in the draw");
    assert_eq!(late_winner["name"], "윤**");
    assert_eq!(late_winner["phoneNumber"], "010-****-8888");
    app.stop().await;
}

#[tokio::test]
async fn a_draw_on_other_terms_than_the_published_rules_is_refused() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let rules =
        json!({"winnerCount": 2, "visitBonus": false, "alternateCount": 1, "claimDays": 14});
    let campaign = ended_campaign_with_rules(&app, rules, &entrants(6)).await;
    let (_, shown) = app.get(&format!("/api/v1/events/{campaign}"), None).await;
    assert_eq!(
        (
            &shown["winnerCount"],
            &shown["visitBonus"],
            &shown["alternateCount"],
            &shown["claimDays"]
        ),
        (&json!(2), &json!(false), &json!(1), &json!(14)),
        "{shown}"
    );

    for wrong in [
        json!({"winnerCount": 3}),
        json!({"visitBonus": true}),
        json!({"winnerCount": 2, "visitBonus": true}),
        json!({"winnerCount": 1, "visitBonus": false}),
    ] {
        let (status, body) = draw(&app, campaign, Some(OWNER), wrong.clone()).await;
        assert_eq!(
            (status, code(&body)),
            (409, Some("DRAW_RULES_FIXED")),
            "{wrong}: {body}"
        );
        assert_eq!(
            body["message"],
            "추첨 조건은 이벤트 발행 시 확정되어 변경할 수 없습니다"
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM events WHERE aggregate_type = 'Draw'")
            .await,
        0,
        "a refused draw records nothing"
    );

    // No body at all (no Content-Type either): the published rules apply.
    let response = app
        .client
        .post(app.url(&format!("/api/v1/events/{campaign}/draw-winners")))
        .bearer_auth(TestApp::token(OWNER))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let drawn: Value = response.json().await.unwrap();
    assert_eq!(drawn["algorithm"], "RANDOM");
    assert_eq!(drawn["winners"].as_array().unwrap().len(), 2);
    assert_eq!(drawn["alternates"].as_array().unwrap().len(), 1);
    let (_, record) = app
        .get(&format!("/api/v1/events/{campaign}/draw"), None)
        .await;
    assert_eq!(
        record["rules"],
        "winners=2;alternates=1;algorithm=RANDOM;claim_days=14"
    );
    assert_eq!(record["commitment"], shown["seedCommitment"]);

    // `promo verify <URL>` fetches the campaign's seedCommitment itself and
    // checks it with everything else.
    let args = VerifyArgs {
        source: app.url(&format!("/api/v1/events/{campaign}/draw")),
        entrants: None,
        commitment: None,
    };
    let checks = verify_cmd::run_checks(&args).await.unwrap();
    assert!(checks.passed(), "{checks:?}");
    let published = checks
        .checks
        .iter()
        .find(|c| c.label.starts_with("commitment = campaign's published"))
        .unwrap();
    assert_eq!(published.detail, shown["seedCommitment"].as_str().unwrap());
    assert_eq!(verify_cmd::run(&args).await.unwrap(), Verification::Match);
    // A seedCommitment that differs from the record's fails the verification.
    let args = VerifyArgs {
        commitment: Some("ab".repeat(32)),
        ..args
    };
    assert!(!verify_cmd::run(&args).await.unwrap().is_match());
    app.stop().await;
}

#[tokio::test]
async fn publishing_checks_each_draw_rule_and_names_it() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let now = Utc::now();
    for (rules, field) in [
        (json!({}), "winnerCount"),
        (json!({"winnerCount": 0}), "winnerCount"),
        (json!({"winnerCount": 3, "visitBonus": "yes"}), "visitBonus"),
        (
            json!({"winnerCount": 3, "alternateCount": 101}),
            "alternateCount",
        ),
        (
            json!({"winnerCount": 3, "alternateCount": -1}),
            "alternateCount",
        ),
        (json!({"winnerCount": 3, "claimDays": 0}), "claimDays"),
        (json!({"winnerCount": 3, "claimDays": 91}), "claimDays"),
    ] {
        let campaign = app.draft(OWNER).await;
        let mut body = json!({
            "title": "t", "prize": "p", "startsAt": now, "endsAt": now + ChronoDuration::days(1),
            "announcementAt": now + ChronoDuration::days(2), "channels": ["KAKAO"],
        });
        for (key, value) in rules.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, answer) = app
            .post(
                &format!("/api/v1/events/{campaign}/publish"),
                Some(OWNER),
                &body,
            )
            .await;
        assert_eq!(
            (status, code(&answer)),
            (400, Some("VALIDATION_ERROR")),
            "{rules}: {answer}"
        );
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{rules}: {answer}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unrelated_long_transaction_does_not_delay_a_draw() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = ended_campaign_with_rules(&app, json!({"winnerCount": 1}), &entrants(3)).await;
    // Like a stalled export, pg_dump or replay: open, holding a snapshot.
    let mut unrelated = app.pool.begin().await.unwrap();
    sqlx::query("SELECT count(*) FROM events")
        .execute(&mut *unrelated)
        .await
        .unwrap();
    let drawn = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        draw(&app, campaign, Some(OWNER), json!({})),
    )
    .await
    .expect("the draw does not wait for unrelated transactions");
    assert_eq!(drawn.0, 200, "{}", drawn.1);
    unrelated.rollback().await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn an_api_clock_running_ahead_cannot_let_an_entry_commit_after_the_freeze() {
    // Instance A's clock runs two days ahead: for it the campaign has ended
    // and it draws. Instance B (correct clock, same database) still sees the
    // campaign open and takes an entry after the draw. The batch decides on
    // the campaign as recorded under its lock, which the draw ended, so the
    // entry is refused and the frozen list stays final.
    let env = TestEnv::new().await;
    let ahead = BuildOptions {
        clock: Arc::new(|| Utc::now() + ChronoDuration::days(2)),
        ..BuildOptions::default()
    };
    let a = TestApp::spawn_with(&env, env.config(), ahead).await;
    let mut api_only = env.config();
    api_only.run_background = false;
    let b = TestApp::spawn_with(&env, api_only, BuildOptions::default()).await;
    let campaign = campaign_with_rules(&b, json!({"winnerCount": 1})).await;
    enter_all(&b, campaign, &entrants(2)).await;

    let (status, body) = draw(&a, campaign, Some(OWNER), json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = b
        .post(
            "/api/v1/participations",
            None,
            &json!({"eventId": campaign, "name": "늦은참여", "phoneNumber": "010-5555-0000",
                    "channel": "INSTAGRAM", "agreePrivacy": true}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        b.count("SELECT count(*) FROM events WHERE event_type = 'ParticipantRegistered'")
            .await,
        2
    );
    let (_, log) = b
        .get(&format!("/api/v1/events/{campaign}/draw"), None)
        .await;
    assert_eq!(log["entrantCount"], 2, "{log}");
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn the_entrant_list_is_streamed_revalidated_by_etag_and_rate_limited_per_ip() {
    let env = TestEnv::new().await;
    let mut config = env.config();
    config.rate_limits.heavy_per_ip_per_minute = 3;
    let app = TestApp::spawn_with(&env, config, BuildOptions::default()).await;
    let people = entrants(5);
    let campaign = ended_campaign_with_rules(
        &app,
        json!({"winnerCount": 1, "visitBonus": false}),
        &people,
    )
    .await;
    let (status, drawn) = draw(&app, campaign, Some(OWNER), json!({})).await;
    assert_eq!(status, 200, "{drawn}");
    let list_hash = drawn["verification"]["listHash"]
        .as_str()
        .unwrap()
        .to_string();
    let url = app.url(&format!("/api/v1/events/{campaign}/draw/entrants"));

    let response = app.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(etag, format!("\"{list_hash}\""));
    let text = response.text().await.unwrap();
    assert_eq!(text.lines().count(), 5);
    assert_eq!(
        hex32(&CanonicalList::parse_text(&text).unwrap().hash()),
        list_hash
    );

    let response = app
        .client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
    assert!(response.text().await.unwrap().is_empty());

    // The third request in the minute is the last one allowed.
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 200);
    let response = app.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    app.stop().await;
}
