//! `nats-secure.conf`: on a private nats-server started with it, the
//! distribution producer can publish its completion notice and nothing onto
//! `{prefix}.events.>`; the service user publishes events.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use async_nats::jetstream;
use promo_tests::eventually;
use uuid::Uuid;

const SERVICE_PASSWORD: &str = "service-password-for-tests";
const DISTRIBUTION_PASSWORD: &str = "distribution-password-for-tests";

struct SecuredNats {
    child: Child,
    store: std::path::PathBuf,
    port: u16,
}

impl Drop for SecuredNats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

fn start() -> SecuredNats {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = std::env::temp_dir().join(format!("promo-secure-nats-{}", Uuid::new_v4().simple()));
    let binary = if Path::new("/usr/sbin/nats-server").exists() {
        "/usr/sbin/nats-server"
    } else {
        "nats-server"
    };
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../nats-secure.conf");
    let child = Command::new(binary)
        .arg("-c")
        .arg(conf)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(&store)
        .env("PROMO_NATS_SERVICE_PASSWORD", SERVICE_PASSWORD)
        .env("PROMO_NATS_DISTRIBUTION_PASSWORD", DISTRIBUTION_PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts");
    SecuredNats { child, store, port }
}

async fn connect(port: u16, user: &str, password: &str) -> Option<async_nats::Client> {
    async_nats::ConnectOptions::with_user_and_password(user.into(), password.into())
        .connect(format!("nats://127.0.0.1:{port}"))
        .await
        .ok()
}

#[tokio::test]
async fn the_distribution_user_cannot_publish_events_and_the_service_user_can() {
    let nats = start();
    let port = nats.port;
    let service = eventually(
        Duration::from_secs(30),
        "secured nats-server",
        || async move { connect(port, "promo", SERVICE_PASSWORD).await },
    )
    .await;
    assert!(
        connect(port, "promo", "wrong").await.is_none(),
        "a wrong password is refused"
    );
    let prefix = format!("p{}", &Uuid::new_v4().simple().to_string()[..8]);
    let js = jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(2))
        .build(service.clone());
    let mut stream = js
        .create_stream(jetstream::stream::Config {
            name: format!("{prefix}_ALL"),
            subjects: vec![
                format!("{prefix}.events.>"),
                format!("{prefix}.distribution.completed"),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    js.publish(format!("{prefix}.events.Campaign.Published"), "{}".into())
        .await
        .unwrap()
        .await
        .expect("the service publishes events");

    let distribution = connect(port, "distribution", DISTRIBUTION_PASSWORD)
        .await
        .expect("the distribution user connects");
    let djs = jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(2))
        .build(distribution.clone());
    djs.publish(format!("{prefix}.distribution.completed"), "{}".into())
        .await
        .unwrap()
        .await
        .expect("the distribution user publishes its completion notice");
    let forged = async {
        djs.publish(
            format!("{prefix}.events.Participation.ParticipantRegistered"),
            "{}".into(),
        )
        .await
        .ok()?
        .await
        .ok()
    };
    assert!(
        forged.await.is_none(),
        "an event from the distribution user is refused"
    );
    let _ = distribution
        .publish(format!("{prefix}.events.Campaign.Ended"), "{}".into())
        .await;
    let _ = distribution.flush().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let info = stream.info().await.unwrap();
    assert_eq!(
        info.state.messages, 2,
        "only the service's event and the notice"
    );
}
