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

/// Postgres and NATS answer.
#[utoipa::path(get, path = "/ready", tag = "ops",
    responses((status = 200, description = "ready"), (status = 503, description = "a dependency is down")))]
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let database = sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(&state.app.pool)
        .await
        .is_ok();
    let nats = state.nats.connection_state() == async_nats::connection::State::Connected;
    let status = if database && nats {
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
        })),
    )
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
