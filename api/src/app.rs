//! Building and running the service: connect, migrate, start the relay and
//! projectors, serve HTTP until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use promo_application::commands::CommandService;
use promo_application::jobs::channel_stats::Collector;
use promo_application::jobs::distribution::DistributionConsumer;
use promo_application::jobs::notify::Delivery;
use promo_application::jobs::{claim_deadline, retention};
use promo_application::{system_clock, App, AppParts, Clock};
use promo_eventstore::group_commit::RegistrationBatcher;
use promo_eventstore::jetstream::{ensure_event_stream_within, EventStreamNames};
use promo_eventstore::metrics::Metrics;
use promo_eventstore::participation_log::ParticipationLog;
use promo_eventstore::relay::Relay;
use promo_eventstore::secrets::SecretStore;
use promo_eventstore::store;
use promo_projections::access_log::AccessLogProjection;
use promo_projections::analytics::AnalyticsProjection;
use promo_projections::campaigns::CampaignsProjection;
use promo_projections::notifications::outbox::OutboxSender;
use promo_projections::notifications::{
    NotificationSender, NotificationsProjection, RecordingSender,
};
use promo_projections::participants::ParticipantsProjection;
use promo_projections::prizes::PrizesProjection;
use promo_projections::projector::{Projection, Projector};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

use crate::auth::Auth;
use crate::config::{Config, MAX_BODY_BYTES};
use crate::error::ApiError;
use crate::openapi::ApiDoc;
use crate::routes;
use crate::state::AppState;

mod workers;
use workers::Workers;

/// How long in-flight requests may run after shutdown begins.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

/// Concurrent group-commit writers: while one commits, the next collects.
pub const REGISTRATION_WRITERS: usize = 4;

/// The HTTP router with every route and layer.
pub fn router(state: AppState) -> Router {
    router_with(state, true)
}

/// The metrics endpoint alone, for its own listener (`METRICS_ADDR`).
pub fn metrics_router(state: AppState) -> Router {
    routes::health::metrics_router()
        .fallback(not_found)
        .with_state(state)
}

/// The service's routes; `/metrics` among them unless it has its own listener.
fn router_with(state: AppState, with_metrics: bool) -> Router {
    let metrics = if with_metrics {
        routes::health::metrics_router()
    } else {
        Router::new()
    };
    Router::new()
        .merge(metrics)
        .merge(routes::campaigns::router())
        .merge(routes::analytics::router())
        .merge(routes::participations::router())
        .merge(routes::participants::router())
        .merge(routes::draws::router())
        .merge(routes::personal_data::router())
        .merge(routes::store_qr::router())
        .merge(routes::self_check::router())
        .merge(routes::prizes::router())
        .merge(routes::health::router())
        .merge(routes::pages::router())
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        // Outermost last: every request gets an `x-request-id` (kept if the
        // client sent one), its span carries it, so the one log line of an
        // internal error names the request; the answer echoes it.
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
    )
}

async fn not_found() -> ApiError {
    ApiError::RouteNotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("request handler panicked").into_response()
}

/// Every read model's projection, in the order their projectors start.
pub fn read_models(
    secrets: &Arc<SecretStore>,
    sender: Arc<dyn NotificationSender>,
) -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(CampaignsProjection),
        Arc::new(promo_projections::draws::DrawsProjection),
        Arc::new(AnalyticsProjection),
        Arc::new(ParticipantsProjection {
            secrets: secrets.clone(),
        }),
        Arc::new(NotificationsProjection {
            secrets: secrets.clone(),
            sender,
        }),
        Arc::new(PrizesProjection),
        Arc::new(AccessLogProjection),
    ]
}

/// Options tests and tools use to build a service differently.
pub struct BuildOptions {
    pub clock: Clock,
    /// How the notifications projector records notifications. With a
    /// gateway configured (`NOTIFY_URL`) the outbox sender is used instead,
    /// so that the delivery job sends what it records.
    pub sender: Arc<dyn NotificationSender>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            clock: system_clock(),
            sender: Arc::new(RecordingSender),
        }
    }
}

/// How notifications are recorded: for the delivery job when a gateway is
/// configured; otherwise by `sender` only, and the service says that
/// nothing leaves the system.
fn notification_sender(
    config: &Config,
    sender: Arc<dyn NotificationSender>,
) -> Arc<dyn NotificationSender> {
    match &config.prize_delivery.notify {
        Some(notify) => {
            tracing::info!(url = %notify.url, "notifications are delivered to NOTIFY_URL");
            Arc::new(OutboxSender)
        }
        None => {
            tracing::warn!(
                "NOTIFY_URL is not set: notifications are recorded only, nothing leaves the system"
            );
            sender
        }
    }
}

/// A built service, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    cancel: CancellationToken,
    background: Vec<JoinHandle<()>>,
    abuse: Arc<crate::abuse::AbuseGuard>,
    /// The separate `/metrics` listener (`METRICS_ADDR`).
    metrics_listener: Option<TcpListener>,
}

impl Application {
    /// Long on purpose: it is the composition root, read top to bottom as
    /// the order things are connected, built and started (the background
    /// side is in `workers`).
    pub async fn build(config: Config, options: BuildOptions) -> anyhow::Result<Self> {
        crate::config::check_jwt_secret(&config.jwt_secret)?;
        let master_keys = config.master_keys.clone().context(
            "PROMO_MASTER_KEY (64 hex digits) or PROMO_MASTER_KEY_FILE must be set: \
             the master key that wraps the campaign secrets",
        )?;
        let pool = store::connect(&config.database_url, config.max_db_connections)
            .await
            .context("connecting to Postgres (DATABASE_URL)")?;
        store::migrate(&pool).await.context("running migrations")?;
        // The user and password, if any, come from the URL (a secured server).
        let nats = promo_eventstore::nats_url::connect_with(
            &config.nats_url,
            async_nats::ConnectOptions::new()
                .retry_on_initial_connect()
                .connection_timeout(Duration::from_secs(5)),
        )
        .await
        .context("connecting to NATS (NATS_URL)")?;
        let jetstream = async_nats::jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(5))
            .build(nats.clone());
        let names = EventStreamNames::new(config.nats_prefix.clone())
            .with_replicas(config.nats_stream_replicas);
        ensure_event_stream_within(&jetstream, &names, Duration::from_secs(30))
            .await
            .context("creating the JetStream stream")?;

        let cancel = CancellationToken::new();
        let metrics = Metrics::default();
        metrics.health.set_stall_after(config.projector_stall);
        let relay_wakeup = Arc::new(Notify::new());
        let (participation_log, log_task) =
            ParticipationLog::start(pool.clone(), cancel.child_token());
        let (registrations, writers) = RegistrationBatcher::start(
            pool.clone(),
            REGISTRATION_WRITERS,
            metrics.clone(),
            relay_wakeup.clone(),
            cancel.child_token(),
        );
        let commands = CommandService::new(&pool, registrations, &metrics, &relay_wakeup);
        let secrets = Arc::new(SecretStore::new(pool.clone(), master_keys));
        let rewrapped = secrets
            .rewrap_all()
            .await
            .context("wrapping campaign secrets with the master key")?;
        if rewrapped > 0 {
            tracing::info!(
                rewrapped,
                "campaign secrets re-wrapped with the current master key"
            );
        }
        let app = Arc::new(App::new(AppParts {
            secrets,
            pool,
            commands,
            participation_log,
            metrics,
            clock: options.clock.clone(),
        }));
        let mut background = vec![log_task];
        background.extend(writers);
        let sender = notification_sender(&config, options.sender);
        if config.run_background {
            let workers = Workers {
                app: app.clone(),
                jetstream,
                names,
                relay_wakeup,
                cancel: cancel.clone(),
            };
            background.extend(workers.spawn(&config, sender)?);
        }
        let listener = TcpListener::bind(config.bind_addr)
            .await
            .with_context(|| format!("binding {}", config.bind_addr))?;
        let public_base_url = match &config.public_base_url {
            Some(url) => url.clone(),
            None => crate::config::default_public_base_url(listener.local_addr()?),
        };
        let state = AppState {
            app,
            auth: Arc::new(Auth::new(&config.jwt_secret)),
            nats,
            public_base_url: public_base_url.into(),
        };
        let abuse = Arc::new(crate::abuse::AbuseGuard::new(
            config.rate_limits.clone(),
            &state.app.pool,
            &config.jwt_secret,
        ));
        let metrics_listener = match config.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding METRICS_ADDR {addr}"))?,
            ),
            None => None,
        };
        Ok(Self {
            listener,
            state,
            cancel,
            background,
            abuse,
            metrics_listener,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Where `/metrics` is served when it has its own listener.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves, gives in-flight requests
    /// [`SHUTDOWN_DEADLINE`] to finish (a stalled client cannot hold the
    /// process), then stops the background tasks.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let separate_metrics = self.metrics_listener.is_some();
        let metrics_server = self.metrics_listener.map(|listener| {
            let stop = self.cancel.clone();
            let app = metrics_router(self.state.clone());
            tokio::spawn(async move {
                let served = axum::serve(listener, app)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "serving /metrics");
                }
            })
        });
        let app = router_with(self.state.clone(), !separate_metrics).layer(
            axum::middleware::from_fn_with_state(self.abuse.clone(), crate::abuse::guard),
        );
        let stopping = CancellationToken::new();
        let signal = stopping.clone();
        let serve = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            signal.cancel();
        });
        // In-flight requests get SHUTDOWN_DEADLINE after the signal; a
        // stalled client cannot hold the process open.
        let served = tokio::select! {
            served = std::future::IntoFuture::into_future(serve) => served,
            () = async {
                stopping.cancelled().await;
                tokio::time::sleep(SHUTDOWN_DEADLINE).await;
            } => {
                tracing::warn!(deadline = ?SHUTDOWN_DEADLINE, "requests still in flight at the shutdown deadline; closing them");
                Ok(())
            }
        };
        self.cancel.cancel();
        if let Some(task) = metrics_server {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        for task in self.background {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        self.state.app.pool.close().await;
        served.context("serving HTTP")
    }
}
