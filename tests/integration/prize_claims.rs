//! Claims and substitution over HTTP: a claim is recorded once; a forfeit
//! hands the prize to the first unused alternate of the published draw
//! record (checkable by anyone against `GET /draw`), until the alternates
//! run out and the prize is unawarded; the owner's winners list and the
//! participant list follow; the promoted alternate gets a winner notice.

use promo_tests::{eventually, participants_projected, TestApp, TestEnv, SETTLE};
use serde_json::{json, Value};

use crate::prize_support::{
    claim, code, drawn_campaign, forfeit, people, ranked, recorded, winners, OWNER,
};

/// One campaign walked through every step on purpose: each forfeit's
/// promotion depends on the ones before it (the published order).
#[tokio::test]
async fn a_forfeited_prize_goes_to_the_next_published_alternate_until_none_is_left() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let rules = json!({"winnerCount": 2, "visitBonus": false, "alternateCount": 2, "claimDays": 7});
    let (campaign, drawn, _) = drawn_campaign(&app, rules, &people(6)).await;
    participants_projected(&app, campaign, 6).await;
    let winners_drawn = ranked(&drawn, "winners");
    let alternates = ranked(&drawn, "alternates");
    assert_eq!((winners_drawn.len(), alternates.len()), (2, 2));

    // Rank 1 claims; a repeat answers the same.
    let (status, claimed) = claim(&app, campaign, &winners_drawn[0]).await;
    assert_eq!(status, 200, "{claimed}");
    assert_eq!(claimed["claimStatus"], "CLAIMED");
    assert_eq!(claimed["rank"], 1);
    let (status, again) = claim(&app, campaign, &winners_drawn[0]).await;
    assert_eq!((status, &again["claimedAt"]), (200, &claimed["claimedAt"]));
    assert_eq!(recorded(&app, "PrizeClaimed").await.len(), 1);

    // Rank 2 forfeits: the first alternate of the published order takes it.
    let (status, first) = forfeit(&app, campaign, &winners_drawn[1], "연락 두절").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["claimStatus"], "FORFEITED");
    assert_eq!(
        first["promoted"],
        json!({"rank": 2, "participantId": alternates[0], "entryNumber": drawn["alternates"][0]["entryNumber"]})
    );
    // A repeat answers the same promotion and records nothing.
    let (status, repeat) = forfeit(&app, campaign, &winners_drawn[1], "연락 두절").await;
    assert_eq!((status, &repeat["promoted"]), (200, &first["promoted"]));

    // Anyone can check it against the public record: the promoted entrant
    // is the first of `alternates` there.
    let (status, public) = app
        .get(&format!("/api/v1/events/{campaign}/draw"), None)
        .await;
    assert_eq!(status, 200, "{public}");
    let promotions = recorded(&app, "AlternatePromoted").await;
    assert_eq!(promotions.len(), 1);
    assert_eq!(promotions[0]["pid"], public["alternates"][0]);
    assert_eq!(promotions[0]["alternateRank"], 3);
    let forfeits = recorded(&app, "PrizeForfeited").await;
    assert_eq!(forfeits.len(), 1);
    assert_eq!(
        (
            &forfeits[0]["cause"],
            &forfeits[0]["reason"],
            &forfeits[0]["forfeitedBy"]
        ),
        (&json!("OWNER_DECISION"), &json!("연락 두절"), &json!(OWNER))
    );

    // The promoted one forfeits too: the second alternate; then the third
    // forfeit finds none left: unawarded.
    let (status, second) = forfeit(&app, campaign, &alternates[0], "수령 거부").await;
    assert_eq!(
        (status, &second["promoted"]["participantId"]),
        (200, &json!(alternates[1]))
    );
    let (status, last) = forfeit(&app, campaign, &alternates[1], "수령 거부").await;
    assert_eq!(status, 200, "{last}");
    assert_eq!(last["promoted"], Value::Null);
    assert_eq!(recorded(&app, "PrizeUnawarded").await.len(), 1);

    // The owner's list: rank 1 claimed, rank 2 unawarded (its last holder
    // shown forfeited), and who forfeited in order.
    let listed = winners(&app, campaign).await;
    let rows = listed["winners"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (
            &rows[0]["participantId"],
            &rows[0]["claimStatus"],
            &rows[0]["unawarded"]
        ),
        (&json!(winners_drawn[0]), &json!("CLAIMED"), &json!(false))
    );
    assert_eq!(
        (
            &rows[1]["rank"],
            &rows[1]["claimStatus"],
            &rows[1]["unawarded"]
        ),
        (&json!(2), &json!("FORFEITED"), &json!(true))
    );
    assert_eq!(rows[1]["participantId"], json!(alternates[1]));
    let gone: Vec<&Value> = listed["forfeited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["participantId"])
        .collect();
    assert_eq!(
        gone,
        [
            &json!(winners_drawn[1]),
            &json!(alternates[0]),
            &json!(alternates[1])
        ]
    );
    assert_eq!(listed["forfeited"][0]["replacedBy"], json!(alternates[0]));
    assert_eq!(listed["forfeited"][2]["replacedBy"], Value::Null);

    // The participant list follows: only rank 1 is a winner now.
    let base = format!("/api/v1/events/{campaign}/participants");
    let page = eventually(SETTLE, "winner marks to follow the forfeits", || async {
        let (_, page) = app.get(&format!("{base}?isWinner=true"), Some(OWNER)).await;
        (page["totalCount"] == 1).then_some(page)
    })
    .await;
    assert_eq!(
        page["participants"][0]["participantId"],
        json!(winners_drawn[0])
    );
    assert_eq!(page["participants"][0]["winnerRank"], 1);

    // Each promoted alternate was notified as a winner, once.
    let pool = app.pool.clone();
    eventually(SETTLE, "winner notices of the promoted", || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notifications WHERE kind = 'WINNER' AND participant_id::text = ANY($1)",
        )
        .bind(&alternates)
        .fetch_one(&pool)
        .await
        .ok()?;
        (n == 2).then_some(())
    })
    .await;
    app.stop().await;
}

/// Every refusal in one test: they share the drawn campaigns they refuse on.
#[tokio::test]
async fn claims_and_forfeits_refuse_what_the_rules_forbid() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let path = |campaign, participant: &str, action: &str| {
        format!("/api/v1/events/{campaign}/winners/{participant}/{action}")
    };

    // Before the draw: no winners yet.
    let (campaign, _) = crate::prize_support::published(&app, json!({"winnerCount": 1})).await;
    let someone = uuid::Uuid::new_v4().to_string();
    let (status, body) = claim(&app, campaign, &someone).await;
    assert_eq!((status, code(&body)), (404, Some("PART_008")), "{body}");

    let rules = json!({"winnerCount": 1, "alternateCount": 1});
    let (campaign, drawn, _) = drawn_campaign(&app, rules, &people(3)).await;
    let winner = ranked(&drawn, "winners").remove(0);
    let alternate = ranked(&drawn, "alternates").remove(0);

    // Not a winner: an alternate not promoted, an unknown id, a malformed id.
    for participant in [alternate.as_str(), someone.as_str(), "not-a-uuid"] {
        let (status, body) = claim(&app, campaign, participant).await;
        assert_eq!((status, code(&body)), (404, Some("PART_003")), "{body}");
    }
    // Only the owner.
    let (status, body) = app
        .post(
            &path(campaign, &winner, "claim"),
            Some("intruder"),
            &json!({}),
        )
        .await;
    assert_eq!((status, code(&body)), (403, Some("FORBIDDEN")));
    let (status, body) = app
        .post(
            &path(campaign, &winner, "forfeit"),
            None,
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!((status, code(&body)), (401, Some("UNAUTHORIZED")));
    // A forfeit needs a reason.
    for body in [
        json!({}),
        json!({"reason": "  "}),
        json!({"reason": "가".repeat(201)}),
    ] {
        let (status, answer) = app
            .post(&path(campaign, &winner, "forfeit"), Some(OWNER), &body)
            .await;
        assert_eq!(
            (status, code(&answer)),
            (400, Some("VALIDATION_ERROR")),
            "{answer}"
        );
        assert!(answer["message"].as_str().unwrap().starts_with("reason: "));
    }
    // A claimed prize cannot be forfeited; a forfeited winner cannot claim.
    let (status, _) = claim(&app, campaign, &winner).await;
    assert_eq!(status, 200);
    let (status, body) = forfeit(&app, campaign, &winner, "변심").await;
    assert_eq!(
        (status, code(&body)),
        (409, Some("CLAIM_NOT_ALLOWED")),
        "{body}"
    );
    let (status, body) = forfeit(&app, campaign, &alternate, "변심").await;
    assert_eq!((status, code(&body)), (404, Some("PART_003")), "{body}");

    let rules = json!({"winnerCount": 1, "alternateCount": 0});
    let (campaign, drawn, _) = drawn_campaign(&app, rules, &people(2)).await;
    let winner = ranked(&drawn, "winners").remove(0);
    let (status, body) = forfeit(&app, campaign, &winner, "연락 두절").await;
    assert_eq!((status, &body["promoted"]), (200, &Value::Null), "{body}");
    let (status, body) = claim(&app, campaign, &winner).await;
    assert_eq!(
        (status, code(&body)),
        (409, Some("CLAIM_NOT_ALLOWED")),
        "{body}"
    );
    app.stop().await;
}

/// Every row of `table` as text, sorted.
async fn rows(pool: &sqlx::PgPool, table: &str) -> Vec<String> {
    sqlx::query_scalar(&format!("SELECT t::text FROM {table} t ORDER BY 1"))
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_prize_read_models_rebuild_from_the_event_store_to_the_same_rows() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let rules = json!({"winnerCount": 2, "alternateCount": 1});
    let (campaign, drawn, _) = drawn_campaign(&app, rules, &people(4)).await;
    let winners_drawn = ranked(&drawn, "winners");
    claim(&app, campaign, &winners_drawn[0]).await;
    forfeit(&app, campaign, &winners_drawn[1], "연락 두절").await;
    let alternate = ranked(&drawn, "alternates").remove(0);
    forfeit(&app, campaign, &alternate, "수령 거부").await;
    let (status, _) = app
        .get(
            &format!("/api/v1/events/{campaign}/winners/contacts"),
            Some(OWNER),
        )
        .await;
    assert_eq!(status, 200);
    let tables = [
        "prize_campaigns",
        "prize_winners",
        "prize_unawarded",
        "personal_data_access_log",
    ];
    let pool = app.pool.clone();
    eventually(SETTLE, "the live read models to catch up", || async {
        let unawarded = rows(&pool, "prize_unawarded").await.len();
        let looks = rows(&pool, "personal_data_access_log").await.len();
        (unawarded == 1 && looks == 1).then_some(())
    })
    .await;
    let mut live = Vec::new();
    for table in tables {
        live.push(rows(&app.pool, table).await);
    }
    assert_eq!(live[1].len(), 3, "{:?}", live[1]);

    let secrets = std::sync::Arc::new(promo_eventstore::secrets::SecretStore::new(
        app.pool.clone(),
        promo_tests::master_keys(),
    ));
    for name in ["prizes", "access_log"] {
        let projection = promo_api::app::read_models(
            &secrets,
            std::sync::Arc::new(promo_projections::notifications::RecordingSender),
        )
        .into_iter()
        .find(|p| p.name() == name)
        .expect("a replayable read model");
        promo_projections::replay::replay(&app.pool, projection, &mut |_: u64, _: u64| {})
            .await
            .expect("replay");
    }
    for (table, before) in tables.iter().zip(&live) {
        assert_eq!(&rows(&app.pool, table).await, before, "{table}");
    }
    app.stop().await;
}
