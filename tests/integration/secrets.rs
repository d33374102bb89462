//! Start-up secrets and the operations surface: a short owner-token secret
//! is refused, and `/metrics` can live on its own address only.

use promo_api::{Application, BuildOptions};
use promo_tests::{TestApp, TestEnv};

#[tokio::test]
async fn an_owner_token_secret_under_32_bytes_is_refused_at_start() {
    let env = TestEnv::new().await;
    let mut config = env.config();
    config.jwt_secret = "x".repeat(31);
    let refused = Application::build(config, BuildOptions::default())
        .await
        .err()
        .expect("a 31-byte secret is refused");
    assert!(
        refused.to_string().contains("at least 32 bytes"),
        "{refused:#}"
    );
}

#[tokio::test]
async fn metrics_are_served_only_on_metrics_addr_when_it_is_set() {
    let env = TestEnv::new().await;
    let mut config = env.config();
    config.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
    let app = Application::build(config, BuildOptions::default())
        .await
        .expect("builds");
    let metrics_addr = app.metrics_addr().expect("a metrics listener");
    let addr = app.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    let main = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(main.status(), 404, "not on the public address");
    let health = client
        .get(format!("http://{addr}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let separate = client
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(separate.status(), 200);
    assert!(separate
        .text()
        .await
        .unwrap()
        .contains("promo_events_appended_total"));
    let other = client
        .get(format!("http://{metrics_addr}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404, "only /metrics there");
    let _ = tx.send(());
    let _ = server.await;

    // Without METRICS_ADDR it stays on the main address.
    let app = TestApp::spawn(&env).await;
    let (status, _) = app.get("/metrics", None).await;
    assert_eq!(status, 200);
    app.stop().await;
}
