//! Building and running the service: connect, migrate, start the relay and
//! projectors, serve HTTP until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use promo_eventstore::group_commit::RegistrationBatcher;
use promo_eventstore::jetstream::{ensure_event_stream, EventStreamNames};
use promo_eventstore::metrics::Metrics;
use promo_eventstore::participation_log::ParticipationLog;
use promo_eventstore::relay::Relay;
use promo_eventstore::secrets::SecretStore;
use promo_eventstore::store;
use promo_projections::analytics::AnalyticsProjection;
use promo_projections::campaigns::CampaignsProjection;
use promo_projections::distribution::DistributionConsumer;
use promo_projections::notifications::{
    NotificationSender, NotificationsProjection, RecordingSender,
};
use promo_projections::participants::ParticipantsProjection;
use promo_projections::projector::{Projection, Projector};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::OpenApi;

use crate::auth::Auth;
use crate::config::Config;
use crate::error::ErrorBody;
use crate::openapi::ApiDoc;
use crate::routes;
use crate::state::{system_clock, AppState, Clock, Services, ServicesParts};

/// Concurrent group-commit writers: while one commits, the next collects.
pub const REGISTRATION_WRITERS: usize = 4;

/// Request bodies are small JSON documents.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The HTTP router with every route and layer.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(routes::campaigns::router())
        .merge(routes::analytics::router())
        .merge(routes::participations::router())
        .merge(routes::participants::router())
        .merge(routes::draws::router())
        .merge(routes::personal_data::router())
        .merge(routes::health::router())
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state)
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(ErrorBody {
            code: "NOT_FOUND",
            message: "요청한 경로를 찾을 수 없습니다".into(),
        }),
    )
        .into_response()
}

async fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(ErrorBody {
            code: "METHOD_NOT_ALLOWED",
            message: "허용되지 않는 요청 방식입니다".into(),
        }),
    )
        .into_response()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(ErrorBody {
            code: "INTERNAL_ERROR",
            message: "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요".into(),
        }),
    )
        .into_response()
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
    ]
}

/// Options tests and tools use to build a service differently.
pub struct BuildOptions {
    pub clock: Clock,
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

/// A built service, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    cancel: CancellationToken,
    background: Vec<JoinHandle<()>>,
    abuse: Arc<crate::abuse::AbuseGuard>,
}

impl Application {
    pub async fn build(config: Config, options: BuildOptions) -> anyhow::Result<Self> {
        let pool = store::connect(&config.database_url, config.max_db_connections)
            .await
            .context("connecting to Postgres (DATABASE_URL)")?;
        store::migrate(&pool).await.context("running migrations")?;
        let nats = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(5))
            .connect(&config.nats_url)
            .await
            .context("connecting to NATS (NATS_URL)")?;
        let jetstream = async_nats::jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(5))
            .build(nats.clone());
        let names = EventStreamNames::new(config.nats_prefix.clone());
        tokio::time::timeout(
            Duration::from_secs(30),
            ensure_event_stream(&jetstream, &names),
        )
        .await
        .context("timed out creating the JetStream stream")?
        .context("creating the JetStream stream")?;

        let cancel = CancellationToken::new();
        let metrics = Metrics::default();
        let secrets = Arc::new(SecretStore::new(pool.clone()));
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
        let mut background = vec![log_task];
        background.extend(writers);

        if config.run_background {
            background.push(tokio::spawn(
                Relay {
                    pool: pool.clone(),
                    jetstream: jetstream.clone(),
                    names: names.clone(),
                    wakeup: relay_wakeup.clone(),
                    metrics: metrics.clone(),
                }
                .run(cancel.child_token()),
            ));
            background.push(tokio::spawn(
                DistributionConsumer {
                    pool: pool.clone(),
                    jetstream: jetstream.clone(),
                    names: names.clone(),
                    wakeup: relay_wakeup.clone(),
                }
                .run(cancel.child_token()),
            ));
            let projections = read_models(&secrets, options.sender.clone());
            for projection in projections {
                background.push(tokio::spawn(
                    Projector {
                        pool: pool.clone(),
                        jetstream: jetstream.clone(),
                        names: names.clone(),
                        projection,
                        metrics: metrics.clone(),
                    }
                    .run(cancel.child_token()),
                ));
            }
        }

        let state = Arc::new(Services::new(ServicesParts {
            registrations,
            pool,
            secrets,
            participation_log,
            auth: Auth::new(&config.jwt_secret),
            metrics,
            relay_wakeup,
            clock: options.clock,
            nats,
        }));
        if let (true, Some(settings)) = (config.run_background, config.channel_stats.clone()) {
            let collector = crate::channel_stats::Collector::new(state.clone(), settings)?;
            background.push(tokio::spawn(collector.run(cancel.child_token())));
        }
        if config.run_background {
            background.push(tokio::spawn(crate::retention::run(
                state.clone(),
                config.pii_retention,
                config.pii_retention_sweep,
                cancel.child_token(),
            )));
        }
        let abuse = Arc::new(crate::abuse::AbuseGuard::new(config.rate_limits.clone()));
        let listener = TcpListener::bind(config.bind_addr)
            .await
            .with_context(|| format!("binding {}", config.bind_addr))?;
        Ok(Self {
            listener,
            state,
            cancel,
            background,
            abuse,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves, then stops the background tasks.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = router(self.state.clone()).layer(axum::middleware::from_fn_with_state(
            self.abuse.clone(),
            crate::abuse::guard,
        ));
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        self.cancel.cancel();
        for task in self.background {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        self.state.pool.close().await;
        served.context("serving HTTP")
    }
}
