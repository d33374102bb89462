//! The proof's verdicts, one per place an acknowledged entry must be found
//! exactly once, and the draw's.

use std::collections::HashSet;
use std::time::Duration;

use async_nats::jetstream;
use promo_eventstore::store::StoredEvent;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::checks::{self, Store};
use crate::traffic::{end_and_draw, get};
use crate::{poll, WINNERS};

/// Where the test reaches the APIs, as the campaign's owner.
pub struct Http<'a> {
    pub client: &'a reqwest::Client,
    pub api: &'a [String; 2],
    pub campaign: Uuid,
    pub token: &'a str,
}

/// Each acknowledged entry once; nothing more than what failed requests
/// may have committed. Returns how many entries are stored.
pub fn in_the_store(store: &Store, acknowledged: &HashSet<String>, failed: usize) -> i64 {
    for entrant in acknowledged {
        assert_eq!(
            store.registered.get(entrant),
            Some(&1),
            "entrant {entrant} in the store"
        );
    }
    assert!(store.registered.len() >= acknowledged.len());
    assert!(store.registered.len() <= acknowledged.len() + failed);
    store.registered.len() as i64
}

/// Every stored event exactly once, in commit order, each linked to the one
/// before it. Returns the stream's events.
pub async fn on_the_stream(
    js: &jetstream::Context,
    stream_name: &str,
    store: &Store,
) -> Vec<StoredEvent> {
    let events = poll(
        Duration::from_secs(30),
        "the whole stream to be readable",
        || checks::stream(js, stream_name),
    )
    .await;
    let on_stream: Vec<String> = events.iter().map(|e| e.message_id()).collect();
    assert_eq!(
        on_stream, store.message_ids,
        "the stream holds the store's events once, in order"
    );
    for pair in events.windows(2) {
        assert_eq!(pair[1].previous, pair[0].position, "an unbroken chain");
    }
    events
}

/// Each read model counts every stored entry once, in its tables and in
/// the answers of the API.
pub async fn in_each_read_model(
    pool: &PgPool,
    http: &Http<'_>,
    acknowledged: &HashSet<String>,
    stored: i64,
) {
    for (read_model, count) in checks::read_model_counts(pool).await {
        assert_eq!(count, stored, "{read_model}");
    }
    let pids: HashSet<String> = sqlx::query_scalar("SELECT pid FROM participants")
        .fetch_all(pool)
        .await
        .expect("participant pids")
        .into_iter()
        .collect();
    assert!(
        acknowledged.is_subset(&pids),
        "every acknowledged entrant is listed"
    );
    let (api, campaign) = (http.api, http.campaign);
    let (_, list) = get(
        http.client,
        &format!("{}/api/v1/events/{campaign}/participants?size=1", api[1]),
        http.token,
    )
    .await;
    assert_eq!(list["totalCount"], json!(stored), "{list}");
    let (_, dashboard) = get(
        http.client,
        &format!("{}/api/v1/events/{campaign}/analytics", api[1]),
        http.token,
    )
    .await;
    assert_eq!(
        dashboard["summary"]["participants"],
        json!(stored),
        "{dashboard}"
    );
    let (_, owned) = get(
        http.client,
        &format!("{}/api/v1/events", api[0]),
        http.token,
    )
    .await;
    assert_eq!(owned["events"][0]["participants"], json!(stored), "{owned}");
}

/// Ends the campaign and draws; the frozen list is exactly the stored
/// entrants, `promo verify` recomputes the same winners from the published
/// record and list (as a single machine would), and the participant list
/// marks them.
pub async fn the_draw_verifies(pool: &PgPool, http: &Http<'_>, store: &Store) {
    let (api, campaign) = (http.api, http.campaign);
    let draw = end_and_draw(http.client, api, campaign, http.token).await;
    let entrants = http
        .client
        .get(format!("{}/api/v1/events/{campaign}/draw/entrants", api[0]))
        .send()
        .await
        .expect("entrant list")
        .text()
        .await
        .expect("entrant list text");
    let listed: HashSet<String> = entrants
        .lines()
        .filter_map(|line| line.split(',').next())
        .map(str::to_string)
        .collect();
    let registered: HashSet<String> = store.registered.keys().cloned().collect();
    assert_eq!(
        listed, registered,
        "the frozen list is exactly the stored entrants"
    );
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_promo"))
        .args([
            "verify",
            &format!("{}/api/v1/events/{campaign}/draw", api[1]),
        ])
        .output()
        .expect("promo verify runs");
    let verdict = String::from_utf8_lossy(&verify.stdout).to_string();
    assert!(
        verify.status.success() && verdict.lines().any(|l| l == "MATCH"),
        "promo verify: {verdict}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let winners: HashSet<String> = draw["winners"]
        .as_array()
        .expect("winners")
        .iter()
        .map(|w| {
            w["participantId"]
                .as_str()
                .expect("participantId")
                .to_string()
        })
        .collect();
    assert_eq!(winners.len() as u64, WINNERS);
    poll(
        Duration::from_secs(30),
        "the winners in the participant list",
        || async {
            let marked: Vec<Uuid> =
                sqlx::query_scalar("SELECT participant_id FROM participants WHERE is_winner")
                    .fetch_all(pool)
                    .await
                    .ok()?;
            let marked: HashSet<String> = marked.iter().map(Uuid::to_string).collect();
            (marked == winners).then_some(())
        },
    )
    .await;
}
