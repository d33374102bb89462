//! The event stream is a copy; the event store is the truth. A foreign
//! message on the events subject is quarantined and never applied, a
//! projector that cannot move forward says so on `/ready`, and the relay
//! neither resumes from a foreign tail nor starts against a restored
//! database (and `promo recover-stream` brings everything back).

use std::time::Duration;

use async_nats::jetstream;
use promo_api::BuildOptions;
use promo_eventstore::store::{GlobalPosition, StoredEvent};
use promo_tests::{eventually, participants_projected, stream_events, TestApp, TestEnv, SETTLE};
use serde_json::Value;
use uuid::Uuid;

async fn enter_many(app: &TestApp, campaign: Uuid, from: usize, to: usize) {
    for i in from..to {
        let (status, body) = app
            .enter(
                campaign,
                "김철수",
                &format!("010-5000-{i:04}"),
                "NAVER",
                false,
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
}

/// A registration as a third-party client could forge it from a real one:
/// another participant, a plausible next position, `previous` chained to
/// the last real event.
fn forge(template: &StoredEvent, after: GlobalPosition, bump: u64) -> Vec<u8> {
    let mut envelope: Value = serde_json::to_value(template).unwrap();
    let pid: String = template.aggregate_id.chars().rev().collect();
    let registered = &mut envelope["payload"]["ParticipantRegistered"];
    registered["pid"] = Value::from(pid.clone());
    registered["participantId"] = Value::from(Uuid::new_v4().to_string());
    registered["entryNumber"] = Value::from("FORGED-0001");
    envelope["aggregateId"] = Value::from(pid);
    envelope["sequence"] = Value::from(1);
    envelope["previous"] = serde_json::to_value(after).unwrap();
    envelope["position"] = serde_json::to_value(GlobalPosition {
        transaction_id: after.transaction_id + bump,
        position: after.position + 1,
    })
    .unwrap();
    serde_json::to_vec(&envelope).unwrap()
}

async fn publish_plain(env: &TestEnv, subject: String, payload: Vec<u8>) {
    let client = promo_eventstore::nats_url::connect(&env.nats_url)
        .await
        .unwrap();
    client.publish(subject, payload.into()).await.unwrap();
    client.flush().await.unwrap();
}

async fn quarantined(env: &TestEnv) -> Vec<Vec<u8>> {
    let js = env.jetstream().await;
    let Ok(mut stream) = js.get_stream(env.names().quarantine_stream_name()).await else {
        return Vec::new();
    };
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut out = Vec::new();
    for seq in 1..=last {
        if let Ok(message) = stream.get_raw_message(seq).await {
            out.push(message.payload.to_vec());
        }
    }
    out
}

async fn total_participants(app: &TestApp, campaign: Uuid) -> Value {
    let (status, body) = app
        .get(
            &format!("/api/v1/events/{campaign}/analytics"),
            Some("owner"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["summary"]["participants"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_registration_on_the_events_subject_is_quarantined_and_never_applied() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    enter_many(&app, campaign, 0, 3).await;
    participants_projected(&app, campaign, 3).await;

    let events = stream_events(&env).await;
    let template = events
        .iter()
        .rfind(|e| e.event_type == "ParticipantRegistered")
        .expect("a registration on the stream")
        .clone();
    let last = events.last().unwrap().position;
    let forged = forge(&template, last, 1);
    let subject = format!("{}.events.Participation.ParticipantRegistered", env.prefix);
    publish_plain(&env, subject.clone(), forged.clone()).await;

    // Entries made after it arrive.
    enter_many(&app, campaign, 3, 6).await;
    participants_projected(&app, campaign, 6).await;
    eventually(SETTLE, "analytics to count the real entries", || async {
        (total_participants(&app, campaign).await == 6).then_some(())
    })
    .await;
    eventually(SETTLE, "the forged message in quarantine", || async {
        quarantined(&env).await.contains(&forged).then_some(())
    })
    .await;
    let (_, list) = app
        .get(
            &format!("/api/v1/events/{campaign}/participants?size=100"),
            Some("owner"),
        )
        .await;
    assert_eq!(list["totalCount"], 6, "{list}");
    assert!(!list.to_string().contains("FORGED"), "{list}");
    assert_eq!(
        app.count("SELECT count(*) FROM participants WHERE entry_number = 'FORGED-0001'")
            .await,
        0
    );

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
        metrics.contains("promo_quarantined_total{projector=\"participants\"}"),
        "{metrics}"
    );
    // A foreign message at the very tail, far ahead: a restarted relay must
    // not resume after it.
    publish_plain(&env, subject, forge(&template, last, 1_000_000)).await;
    app.stop().await;
    let app = TestApp::spawn(&env).await;
    enter_many(&app, campaign, 6, 7).await;
    participants_projected(&app, campaign, 7).await;
    eventually(
        SETTLE,
        "analytics to count the entry after the restart",
        || async { (total_participants(&app, campaign).await == 7).then_some(()) },
    )
    .await;
    let (status, ready) = app.get("/ready", None).await;
    assert_eq!(status, 200, "{ready}");
    app.stop().await;
}

async fn not_ready_naming(app: &TestApp, name: &str, state: &str) -> Value {
    eventually(SETTLE, "/ready to report the problem", || async {
        let (status, body) = app.get("/ready", None).await;
        let named = body["problems"]
            .as_array()?
            .iter()
            .any(|p| p["name"] == name && p["state"] == state);
        (status == 503 && named).then_some(body)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_waiting_on_a_gap_that_never_fills_is_reported_stalled() {
    let env = TestEnv::new().await;
    let mut config = env.config();
    config.projector_stall = Duration::from_secs(1);
    let app = TestApp::spawn_with(&env, config, BuildOptions::default()).await;
    let campaign = app.active_campaign("owner").await;
    enter_many(&app, campaign, 0, 1).await;
    participants_projected(&app, campaign, 1).await;

    // An open transaction keeps the relay from publishing a later row; a
    // copy of that row arrives on the stream with a `previous` no projector
    // has reached: a gap that does not fill.
    let mut held = app.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *held)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         VALUES ('RelayProbe', 'gap', 1, 'Held', '1', '{}', '{}')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let row = promo_eventstore::store::read_range(
        &app.pool,
        GlobalPosition::START,
        GlobalPosition {
            transaction_id: i64::MAX as u64,
            position: i64::MAX,
        },
        10_000,
    )
    .await
    .unwrap()
    .into_iter()
    .find(|e| e.aggregate_type == "RelayProbe")
    .unwrap();
    let mut copy = row.clone();
    copy.previous = GlobalPosition {
        transaction_id: 1,
        position: 1,
    };
    let js = env.jetstream().await;
    js.send_publish(
        format!("{}.events.RelayProbe.Held", env.prefix),
        jetstream::message::PublishMessage::build()
            .payload(serde_json::to_vec(&copy).unwrap().into())
            .message_id(copy.message_id()),
    )
    .await
    .unwrap()
    .await
    .unwrap();

    let ready = not_ready_naming(&app, "participants", "stalled").await;
    let problem = ready["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "participants")
        .unwrap()
        .clone();
    assert!(problem["lagEvents"].as_i64().unwrap() >= 1, "{ready}");
    eventually(SETTLE, "the stalled metric", || async {
        let metrics = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        metrics
            .contains("promo_projector_stalled{projector=\"participants\"} 1")
            .then_some(())
    })
    .await;
    held.rollback().await.unwrap();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_event_that_cannot_be_applied_halts_its_projector_loudly() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         VALUES ('Campaign', $1, 1000, 'CampaignEnded', '1', '{\"CampaignEnded\": {}}', '{}')",
    )
    .bind(Uuid::new_v4().to_string())
    .execute(&app.pool)
    .await
    .unwrap();
    let ready = not_ready_naming(&app, "campaigns", "halted").await;
    assert!(ready["problems"].to_string().contains("decode"), "{ready}");
    // The service goes on: entries are taken and published.
    enter_many(&app, campaign, 0, 2).await;
    eventually(SETTLE, "the entries on the stream", || async {
        let published = stream_events(&env).await;
        (published
            .iter()
            .filter(|e| e.event_type == "ParticipantRegistered")
            .count()
            == 2)
            .then_some(())
    })
    .await;
    app.stop().await;
}

/// A campaign with three entries, every event published to the stream, and
/// the service stopped: where both restore scenarios start.
async fn three_entries_published_then_stopped(env: &TestEnv) -> Uuid {
    let app = TestApp::spawn(env).await;
    let campaign = app.active_campaign("owner").await;
    enter_many(&app, campaign, 0, 3).await;
    participants_projected(&app, campaign, 3).await;
    eventually(SETTLE, "everything published", || async {
        let stored = app.count("SELECT count(*) FROM events").await as usize;
        (stream_events(env).await.len() == stored).then_some(())
    })
    .await;
    app.stop().await;
    campaign
}

/// The relay refused to start: `/ready` names it with `why`, and the
/// metric says so.
async fn relay_refused_saying(app: &TestApp, why: &str) {
    let ready = not_ready_naming(app, "relay", "refused").await;
    assert!(ready["problems"].to_string().contains(why), "{ready}");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("promo_relay_refused 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_database_is_refused_and_recover_stream_loses_and_doubles_nothing() {
    let env = TestEnv::new().await;
    let campaign = three_entries_published_then_stopped(&env).await;

    // The restore: the backup predates the last entry.
    let pool = promo_eventstore::store::connect(&env.database_url, 2)
        .await
        .unwrap();
    sqlx::query(
        "DELETE FROM events WHERE (transaction_id, position) = \
         (SELECT transaction_id, position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1)",
    )
    .execute(&pool)
    .await
    .unwrap();

    let app = TestApp::spawn(&env).await;
    relay_refused_saying(&app, "restored").await;
    app.stop().await;

    let report = promo_cli::recover_stream::run(
        &env.database_url,
        &env.nats_url,
        &env.names(),
        promo_tests::master_keys(),
    )
    .await
    .unwrap();
    assert_eq!(report.set_aside, 1, "{report:?}");

    let app = TestApp::spawn(&env).await;
    enter_many(&app, campaign, 3, 4).await;
    participants_projected(&app, campaign, 3).await;
    let stored = app.count("SELECT count(*) FROM events").await as usize;
    let events = eventually(SETTLE, "the new generation to hold every event", || async {
        let events = stream_events(&env).await;
        (events.len() >= stored).then_some(events)
    })
    .await;
    assert_eq!(events.len(), stored, "nothing doubled");
    assert_eq!(events[0].previous, GlobalPosition::START);
    for pair in events.windows(2) {
        assert_eq!(pair[1].previous, pair[0].position, "previous chain");
    }
    eventually(SETTLE, "/ready", || async {
        (app.get("/ready", None).await.0 == 200).then_some(())
    })
    .await;
    eventually(
        SETTLE,
        "analytics rebuilt without the lost entry",
        || async { (total_participants(&app, campaign).await == 3).then_some(()) },
    )
    .await;
    app.stop().await;
}

/// How far ahead of this cluster the "old" cluster's transaction ids were.
const OLD_CLUSTER_AHEAD: i64 = 1 << 40;

/// A logical restore (`pg_dump` of a database from a cluster far ahead into this one): every
/// stored transaction id, the relay cursor and the projector checkpoints keep the old
/// cluster's ids, and the stream holds what the old cluster's relay published from them.
async fn restore_from_a_cluster_ahead(env: &TestEnv, pool: &sqlx::PgPool) {
    for sql in [
        "UPDATE events SET transaction_id = (transaction_id::text::int8 + $1)::text::xid8",
        "UPDATE relay_cursor SET transaction_id = (transaction_id::text::int8 + $1)::text::xid8 \
         WHERE position > 0",
        "UPDATE projector_checkpoints \
         SET transaction_id = (transaction_id::text::int8 + $1)::text::xid8 WHERE position > 0",
    ] {
        sqlx::query(sql)
            .bind(OLD_CLUSTER_AHEAD)
            .execute(pool)
            .await
            .unwrap();
    }
    let js = env.jetstream().await;
    js.delete_stream(env.names().stream_name()).await.unwrap();
    promo_eventstore::jetstream::ensure_event_stream(&js, &env.names())
        .await
        .unwrap();
    let everything = GlobalPosition {
        transaction_id: u64::MAX,
        position: i64::MAX,
    };
    let events =
        promo_eventstore::store::read_range(pool, GlobalPosition::START, everything, 10_000)
            .await
            .unwrap();
    // Published as the relay publishes: in order, `previous` chained, `Nats-Msg-Id` set; the
    // stream sequences are the ones the projectors' checkpoints recorded.
    let mut previous = GlobalPosition::START;
    for mut event in events {
        event.previous = previous;
        previous = event.position;
        let message = jetstream::message::PublishMessage::build()
            .payload(serde_json::to_vec(&event).unwrap().into())
            .message_id(event.message_id());
        js.send_publish(env.names().event_subject(&event), message)
            .await
            .unwrap()
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_behind_its_events_transaction_ids_is_refused_and_recover_stream_restamps_them()
{
    let env = TestEnv::new().await;
    let campaign = three_entries_published_then_stopped(&env).await;
    let pool = promo_eventstore::store::connect(&env.database_url, 2)
        .await
        .unwrap();
    restore_from_a_cluster_ahead(&env, &pool).await;

    // The stream's last event is in the store, unchanged, but from a transaction id this
    // database has not reached.
    let app = TestApp::spawn(&env).await;
    relay_refused_saying(&app, "transaction id").await;
    // Entries are still taken while the relay refuses; they wait in the store.
    enter_many(&app, campaign, 3, 4).await;
    app.stop().await;

    let report = promo_cli::recover_stream::run(
        &env.database_url,
        &env.nats_url,
        &env.names(),
        promo_tests::master_keys(),
    )
    .await
    .unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(report.set_aside, 0, "the restore lost nothing: {report:?}");
    assert_eq!(report.restamped, stored as u64, "{report:?}");

    let app = TestApp::spawn(&env).await;
    enter_many(&app, campaign, 4, 5).await;
    participants_projected(&app, campaign, 5).await;
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT aggregate_type || ':' || aggregate_id || ':' || sequence FROM events \
         ORDER BY position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let events = eventually(SETTLE, "the new generation to hold every event", || async {
        let events = stream_events(&env).await;
        (events.len() >= stored.len()).then_some(events)
    })
    .await;
    let published: Vec<String> = events.iter().map(|e| e.message_id()).collect();
    assert_eq!(
        published, stored,
        "every stored event once, in position order"
    );
    assert_eq!(events[0].previous, GlobalPosition::START);
    for pair in events.windows(2) {
        assert_eq!(pair[1].previous, pair[0].position, "previous chain");
    }
    eventually(SETTLE, "/ready", || async {
        (app.get("/ready", None).await.0 == 200).then_some(())
    })
    .await;
    eventually(SETTLE, "analytics to count every entry once", || async {
        (total_participants(&app, campaign).await == 5).then_some(())
    })
    .await;
    app.stop().await;
    pool.close().await;
}
