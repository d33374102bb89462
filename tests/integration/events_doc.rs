//! Reads the event stream the way docs/events.md tells an outside consumer
//! to, with a plain NATS client and plain JSON: stream `{PREFIX}_EVENTS`
//! (the prefix upper-cased) over `{prefix}.events.>`, `Nats-Msg-Id`, the
//! `previous` chain from the zero position, and a registration's
//! `payload.ParticipantRegistered.pid == aggregateId`.

use async_nats::jetstream::consumer::{self, DeliverPolicy};
use futures::StreamExt;
use promo_tests::{participants_projected, TestApp, TestEnv};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_reads_as_docs_events_md_describes() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    for i in 0..3 {
        let (status, body) = app
            .enter(
                campaign,
                "이영희",
                &format!("010-7000-{i:04}"),
                "KAKAO",
                false,
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    participants_projected(&app, campaign, 3).await;
    let stored = app.count("SELECT count(*) FROM events").await as usize;

    let client = promo_eventstore::nats_url::connect(&env.nats_url)
        .await
        .unwrap();
    let js = async_nats::jetstream::new(client);
    let stream_name = format!("{}_EVENTS", env.prefix.to_uppercase());
    let stream = js.get_stream(&stream_name).await.expect("{PREFIX}_EVENTS");
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: format!("{}.events.>", env.prefix),
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();

    let mut previous = json!({"transactionId": 0, "position": 0});
    let mut registrations = 0;
    for _ in 0..stored {
        let message = tokio::time::timeout(std::time::Duration::from_secs(30), messages.next())
            .await
            .expect("a message within 30 s")
            .expect("stream open")
            .expect("a message");
        let envelope: Value = serde_json::from_slice(&message.payload).unwrap();
        let (aggregate_type, event_type) = (
            envelope["aggregateType"].as_str().unwrap(),
            envelope["eventType"].as_str().unwrap(),
        );
        assert_eq!(
            message.subject.as_str(),
            format!("{}.events.{aggregate_type}.{event_type}", env.prefix)
        );
        let message_id = message
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.as_str().to_string());
        assert_eq!(
            message_id,
            Some(format!(
                "{aggregate_type}:{}:{}",
                envelope["aggregateId"].as_str().unwrap(),
                envelope["sequence"]
            ))
        );
        assert_eq!(envelope["previous"], previous, "previous chain");
        previous = envelope["position"].clone();
        assert!(
            envelope["payload"].get(event_type).is_some(),
            "externally tagged payload"
        );
        if event_type == "ParticipantRegistered" {
            registrations += 1;
            assert_eq!(
                envelope["payload"]["ParticipantRegistered"]["pid"],
                envelope["aggregateId"]
            );
        }
    }
    assert_eq!(registrations, 3);
    app.stop().await;
}
