//! [`App`]: what every use case works with, built once at start. It holds
//! the command service, the event store's keys and entry numbers, the
//! participation log, metrics and the clock; no HTTP, no NATS.

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, EventStore};
use postgres_es::PostgresEventRepository;
use promo_eventstore::metrics::Metrics;
use promo_eventstore::participation_log::ParticipationLog;
use promo_eventstore::secrets::SecretStore;
use sqlx::PgPool;

use crate::campaign_cache::CampaignCache;
use crate::commands::CommandService;
use crate::error::{AppError, AppResult};

/// The time source; tests may substitute a fixed clock.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

pub struct App {
    pub pool: PgPool,
    pub commands: CommandService,
    pub secrets: Arc<SecretStore>,
    pub participation_log: ParticipationLog,
    pub metrics: Metrics,
    clock: Clock,
    pub(crate) campaign_cache: CampaignCache,
}

pub struct AppParts {
    pub pool: PgPool,
    pub commands: CommandService,
    pub secrets: Arc<SecretStore>,
    pub participation_log: ParticipationLog,
    pub metrics: Metrics,
    pub clock: Clock,
}

impl App {
    pub fn new(parts: AppParts) -> Self {
        Self {
            pool: parts.pool,
            commands: parts.commands,
            secrets: parts.secrets,
            participation_log: parts.participation_log,
            metrics: parts.metrics,
            clock: parts.clock,
            campaign_cache: Default::default(),
        }
    }

    /// Now, to the microsecond: the precision Postgres stores, so an event's
    /// time reads back identically from its JSON and from a timestamptz
    /// column (set-based replay relies on that).
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)().trunc_subsecs(6)
    }

    /// An aggregate's current state from the event store, the source of
    /// truth (so what was just written is visible at once).
    pub async fn load<A: Aggregate>(&self, aggregate_id: &str) -> AppResult<A> {
        PersistedEventStore::<PostgresEventRepository, A>::new_event_store(
            PostgresEventRepository::new(self.pool.clone()),
        )
        .load_aggregate(aggregate_id)
        .await
        .map(|context| context.aggregate)
        .map_err(|e| AppError::internal(format!("loading {} {aggregate_id}: {e}", A::TYPE)))
    }
}
