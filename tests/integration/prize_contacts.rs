//! The winners' contacts: full name and phone of the current winners,
//! opened in memory and never stored; every call recorded first as a
//! `PersonalDataAccessed` event and listed in the access log; nothing after
//! the personal data was erased (410 `PII_ERASED`).

use promo_tests::{eventually, participants_projected, TestApp, TestEnv, SETTLE};
use serde_json::{json, Value};

use crate::prize_support::{code, drawn_campaign, forfeit, people, ranked, recorded, OWNER};

/// Every row of every table in the public schema, as text.
async fn database_text(pool: &sqlx::PgPool) -> Vec<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut rows = Vec::new();
    for table in tables {
        let texts: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM \"{table}\" t"))
            .fetch_all(pool)
            .await
            .unwrap();
        rows.extend(texts);
    }
    rows
}

async fn access_log(app: &TestApp, campaign: uuid::Uuid, expected: usize) -> Vec<Value> {
    let path = format!("/api/v1/events/{campaign}/access-log");
    eventually(SETTLE, "the access log to list every access", || async {
        let (status, body) = app.get(&path, Some(OWNER)).await;
        assert_eq!(status, 200, "{body}");
        let entries = body["entries"].as_array().unwrap().clone();
        (entries.len() == expected).then_some(entries)
    })
    .await
}

/// One story on purpose: the access log must list exactly the looks made
/// before it, and the erasure at the end must stop the next one.
#[tokio::test]
async fn contacts_show_the_current_winners_in_full_and_every_look_is_logged() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let entrants = people(5);
    let rules = json!({"winnerCount": 2, "alternateCount": 1});
    let (campaign, drawn, _) = drawn_campaign(&app, rules, &entrants).await;
    participants_projected(&app, campaign, 5).await;
    let contacts_path = format!("/api/v1/events/{campaign}/winners/contacts");
    let entry_of = |participant: &str| -> (String, String) {
        let entry = drawn["winners"]
            .as_array()
            .unwrap()
            .iter()
            .chain(drawn["alternates"].as_array().unwrap())
            .find(|e| e["participantId"] == participant)
            .unwrap();
        let number = entry["entryNumber"].as_str().unwrap().to_string();
        let index = (1..=entrants.len())
            .find(|i| number.ends_with(&format!("-{i:03}")))
            .unwrap();
        entrants[index - 1].clone()
    };

    // Others see nothing, and nothing is recorded for them.
    let (status, body) = app.get(&contacts_path, Some("intruder")).await;
    assert_eq!((status, code(&body)), (403, Some("FORBIDDEN")));
    let (status, body) = app.get(&contacts_path, None).await;
    assert_eq!((status, code(&body)), (401, Some("UNAUTHORIZED")));

    let (status, first) = app.get(&contacts_path, Some(OWNER)).await;
    assert_eq!(status, 200, "{first}");
    let winners = ranked(&drawn, "winners");
    let listed = first["winners"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    for (row, (rank, participant)) in listed.iter().zip(winners.iter().enumerate()) {
        let (name, phone) = entry_of(participant);
        assert_eq!(row["rank"], rank + 1);
        assert_eq!(row["participantId"], json!(participant));
        assert_eq!(
            (row["name"].as_str(), row["phoneNumber"].as_str()),
            (Some(name.as_str()), Some(phone.as_str()))
        );
        assert_eq!(row["claimStatus"], "PENDING");
        assert!(row["entryNumber"].as_str().unwrap().starts_with("EVT"));
    }
    let accessed = recorded(&app, "PersonalDataAccessed").await;
    assert_eq!(accessed.len(), 1);
    assert_eq!(accessed[0]["accessedBy"], OWNER);
    assert_eq!(accessed[0]["action"], "WINNER_CONTACTS");
    assert_eq!(accessed[0]["participantIds"], json!(winners));

    // After a forfeit the promoted alternate is a current winner.
    let alternate = ranked(&drawn, "alternates").remove(0);
    let (status, _) = forfeit(&app, campaign, &winners[1], "연락 두절").await;
    assert_eq!(status, 200);
    let (status, second) = app.get(&contacts_path, Some(OWNER)).await;
    assert_eq!(status, 200, "{second}");
    let ids: Vec<&Value> = second["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| &w["participantId"])
        .collect();
    assert_eq!(ids, [&json!(winners[0]), &json!(alternate)]);
    assert_eq!(second["winners"][1]["name"], json!(entry_of(&alternate).0));
    assert_eq!(second["winners"][1]["rank"], 2);

    // The access log lists both looks, oldest first, with whose data.
    let entries = access_log(&app, campaign, 2).await;
    assert_eq!(entries[0]["by"], OWNER);
    assert_eq!(entries[0]["action"], "WINNER_CONTACTS");
    assert_eq!(entries[0]["participantIds"], json!(winners));
    assert_eq!(
        entries[1]["participantIds"],
        json!([winners[0].clone(), alternate.clone()])
    );
    assert!(entries[0]["at"].as_str().unwrap() <= entries[1]["at"].as_str().unwrap());
    let (status, _) = app
        .get(
            &format!("/api/v1/events/{campaign}/access-log"),
            Some("intruder"),
        )
        .await;
    assert_eq!(status, 403);

    // The winner notice's status rides along (recorded only: no gateway).
    let notified = eventually(SETTLE, "the winner notice to be recorded", || async {
        let (_, body) = app.get(&contacts_path, Some(OWNER)).await;
        (!body["winners"][0]["notification"].is_null()).then_some(body)
    })
    .await;
    assert_eq!(notified["winners"][0]["notification"]["status"], "RECORDED");

    // Nothing unmasked was stored anywhere by all this.
    let text = database_text(&app.pool).await;
    for (name, phone) in &entrants {
        let digits = phone.replace('-', "");
        for row in &text {
            assert!(
                !row.contains(name.as_str())
                    && !row.contains(phone.as_str())
                    && !row.contains(&digits),
                "{row}"
            );
        }
    }

    // Erased (forced: winners may still claim): nothing left to show, and
    // nothing more is recorded.
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/personal-data/erase?force=true"),
            Some(OWNER),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let looks = recorded(&app, "PersonalDataAccessed").await.len();
    let (status, body) = app.get(&contacts_path, Some(OWNER)).await;
    assert_eq!((status, code(&body)), (410, Some("PII_ERASED")), "{body}");
    assert!(!body["message"].as_str().unwrap().is_empty());
    assert_eq!(recorded(&app, "PersonalDataAccessed").await.len(), looks);
    // The masked lists keep working.
    let listed = crate::prize_support::winners(&app, campaign).await;
    assert_eq!(listed["winners"].as_array().unwrap().len(), 2);
    app.stop().await;
}
