//! A fake notification gateway: a real HTTP server (axum on port 0) that
//! records every request and answers as a test scripts it (2xx, an error
//! status, or an answer too late for the client's timeout). Like a real
//! gateway it de-duplicates by `Idempotency-Key`: a key it has accepted
//! before is answered 200 again and not delivered twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// How the gateway answers one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 202, delivered.
    Accept,
    /// This status, not delivered.
    Status(u16),
    /// Delivered, but answered 202 only after this long (past the client's timeout).
    LateAccept(Duration),
}

/// Decides the answer from the request body and how many requests with the
/// same idempotency key came before this one (0 for the first).
pub type Script = Arc<dyn Fn(&Value, usize) -> Answer + Send + Sync>;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub idempotency_key: Option<String>,
    pub authorization: Option<String>,
    pub body: Value,
    pub answer: Answer,
}

#[derive(Default)]
struct Log {
    received: Vec<Received>,
    /// Bodies delivered, by idempotency key (once each).
    delivered: HashMap<String, Value>,
}

#[derive(Clone)]
struct GatewayState {
    script: Script,
    log: Arc<Mutex<Log>>,
}

pub struct FakeGateway {
    pub url: String,
    log: Arc<Mutex<Log>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeGateway {
    pub async fn start(script: Script) -> Self {
        let log = Arc::new(Mutex::new(Log::default()));
        let state = GatewayState {
            script,
            log: log.clone(),
        };
        let app = Router::new()
            .route("/notify", post(receive))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("gateway binds");
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, log, server }
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().received.clone()
    }

    /// What was delivered, once per idempotency key.
    pub fn delivered(&self) -> HashMap<String, Value> {
        self.log.lock().unwrap().delivered.clone()
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn receive(
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let key = header("idempotency-key");
    let answer = {
        let mut log = state.log.lock().unwrap();
        let before = log
            .received
            .iter()
            .filter(|r| r.idempotency_key == key)
            .count();
        let answer = (state.script)(&body, before);
        log.received.push(Received {
            idempotency_key: key.clone(),
            authorization: header("authorization"),
            body: body.clone(),
            answer,
        });
        if !matches!(answer, Answer::Status(_)) {
            if let Some(key) = &key {
                log.delivered.entry(key.clone()).or_insert(body);
            }
        }
        answer
    };
    match answer {
        Answer::Accept => (StatusCode::ACCEPTED, Json(json!({"accepted": true}))),
        Answer::LateAccept(wait) => {
            tokio::time::sleep(wait).await;
            (StatusCode::ACCEPTED, Json(json!({"accepted": true})))
        }
        Answer::Status(code) => (
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Json(json!({"error": code})),
        ),
    }
}
