//! The embedded nats-server exactly as `promo serve` and `promo with-infra` start it (the
//! default config file, the passwords from the data folder): anonymous clients are refused, the
//! distribution producer can publish its completion notice but nothing onto the events
//! subject, the service user can, and a second start reuses the server with the same login.
//! Needs only `nats-server` (installed by `scripts/test`), not PostgreSQL.

use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;
use promo_eventstore::jetstream::{ensure_event_stream, EventStreamNames};

use super::credentials::DISTRIBUTION_USER;
use super::*;

/// Removes the scratch data folder even when an assertion fails.
struct ScratchDir(PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_server_refuses_anonymous_clients_and_events_from_the_distribution_user() {
    let dir = ScratchDir(std::env::temp_dir().join(format!(
        "promo-secured-nats-{}",
        uuid::Uuid::new_v4().simple()
    )));
    std::fs::create_dir_all(&dir.0).unwrap();
    let conf = crate::settings::Settings::from_vars(|_| None).nats_conf;
    assert!(conf.ends_with("nats-secure.conf"), "{}", conf.display());
    let conf = std::fs::canonicalize(conf).unwrap();
    let mut nats = Nats::start_or_reuse(&dir.0, &conf, None)
        .await
        .expect("the embedded nats-server starts with nats-secure.conf");
    let port = nats.port();
    let credentials = NatsCredentials::load_or_create(&dir.0).unwrap();
    assert_eq!(
        nats.service_url(),
        format!("nats://promo:{}@127.0.0.1:{port}", credentials.service)
    );

    let anonymous = async_nats::connect(nats_url(port)).await;
    assert!(anonymous.is_err(), "an anonymous client is refused");
    let wrong = async_nats::ConnectOptions::with_user_and_password("promo".into(), "x".into())
        .connect(nats_url(port))
        .await;
    assert!(wrong.is_err(), "a wrong password is refused");

    let service = promo_eventstore::nats_url::connect(&nats.service_url())
        .await
        .expect("the service logs in with the URL it is given");
    let js = jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(2))
        .build(service.clone());
    let names = EventStreamNames::new("promo");
    let mut stream = ensure_event_stream(&js, &names).await.unwrap();
    let mut completions = service
        .subscribe(names.distribution_completed_subject())
        .await
        .unwrap();
    service.flush().await.unwrap();

    let distribution = async_nats::ConnectOptions::with_user_and_password(
        DISTRIBUTION_USER.into(),
        credentials.distribution.clone(),
    )
    .connect(nats_url(port))
    .await
    .expect("the distribution user logs in");
    distribution
        .publish(names.distribution_completed_subject(), "{}".into())
        .await
        .unwrap();
    let notice = tokio::time::timeout(Duration::from_secs(10), completions.next()).await;
    assert!(
        matches!(notice, Ok(Some(_))),
        "the completion notice arrives"
    );

    let djs = jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(2))
        .build(distribution.clone());
    let forged = async {
        djs.publish(
            "promo.events.Participation.ParticipantRegistered",
            "{}".into(),
        )
        .await
        .ok()?
        .await
        .ok()
    };
    assert!(
        forged.await.is_none(),
        "the distribution user's event is refused"
    );
    let _ = distribution
        .publish("promo.events.Campaign.CampaignEnded", "{}".into())
        .await;
    // The round trip makes the server handle the forged publishes before the sentinel below.
    let _ = distribution.flush().await;
    js.publish("promo.events.Campaign.CampaignPublished", "{}".into())
        .await
        .unwrap()
        .await
        .expect("the service publishes events");
    assert_eq!(
        stream.info().await.unwrap().state.messages,
        1,
        "only the service's event is on the stream"
    );

    // A later start on the same data folder reuses the running server and its passwords.
    let again = Nats::start_or_reuse(&dir.0, &conf, Some((port, nats.pid())))
        .await
        .expect("reuse");
    assert!(!again.started_here());
    assert_eq!(again.service_url(), nats.service_url());
    let _ = service.drain().await;
    let _ = distribution.drain().await;
    nats.stop().await.unwrap();
}
