//! Liveness, readiness and metrics.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
}

/// `/metrics` alone: merged into the main router, or served on its own
/// listener when `METRICS_ADDR` is set.
pub fn metrics_router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "ops", responses((status = 200, description = "alive")))]
pub async fn health() -> impl IntoResponse {
    Json(json!({"status": "UP"}))
}

/// Postgres and NATS answer, the relay runs and no projector is stalled or
/// halted (each problem is named, with the projector's lag in events).
#[utoipa::path(get, path = "/ready", tag = "ops",
    responses((status = 200, description = "ready"),
        (status = 503, description = "a dependency is down, the relay refused to start, or a projector is stalled or halted")))]
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let database = sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(&state.app.pool)
        .await
        .is_ok();
    let nats = state.nats.connection_state() == async_nats::connection::State::Connected;
    let mut problems = Vec::new();
    for problem in state.app.metrics.health.problems() {
        let lag = if problem.component == "projector" {
            projector_lag(&state, &problem.name).await
        } else {
            None
        };
        problems.push(json!({
            "component": problem.component,
            "name": problem.name,
            "state": problem.state,
            "reason": problem.reason,
            "forSecs": problem.for_secs,
            "lagEvents": lag,
        }));
    }
    let status = if database && nats && problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "status": if status == StatusCode::OK { "READY" } else { "NOT_READY" },
            "database": database,
            "nats": nats,
            "problems": problems,
        })),
    )
}

/// Events in the store after the projector's checkpoint.
async fn projector_lag(state: &AppState, projector: &str) -> Option<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM events e, projector_checkpoints c WHERE c.projector = $1 \
         AND (e.transaction_id, e.position) > (c.transaction_id, c.position)",
    )
    .bind(projector)
    .fetch_one(&state.app.pool)
    .await
    .ok()
}

/// Prometheus metrics: appends, relay lag, projector lag.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, description = "Prometheus text")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.app.metrics.encode(),
    )
}
