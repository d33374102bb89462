//! Graceful shutdown has a deadline: a client that never finishes its
//! request cannot keep the service from stopping.

use std::time::{Duration, Instant};

use promo_tests::{TestApp, TestEnv};
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_request_does_not_hold_shutdown_past_the_deadline() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    // A request whose body never completes: in flight for ever.
    let mut stalled = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stalled
        .write_all(
            b"POST /api/v1/participations HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"eventId\":",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    app.stop().await;
    let took = started.elapsed();
    assert!(
        took < promo_api::app::SHUTDOWN_DEADLINE + Duration::from_secs(5),
        "shutdown took {took:?}"
    );
    drop(stalled);
}
