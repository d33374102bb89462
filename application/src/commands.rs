//! The command service, built once at start: one cqrs-es framework per
//! aggregate plus the registration batcher (group commit). It is the single
//! place that executes commands, so it is also the single place that counts
//! appended events and wakes the relay.
//!
//! The count is the true number of events committed: cqrs-es hands every
//! committed batch to its queries, and [`AppendObserver`] is that query.

use std::sync::Arc;

use async_trait::async_trait;
use cqrs_es::{Aggregate, AggregateError, EventEnvelope, Query};
use postgres_es::PostgresCqrs;
use promo_domain::access::{AccessError, PersonalDataAccess, RecordAccess};
use promo_domain::campaign::{Campaign, CampaignCommand, CampaignError};
use promo_domain::draw::{Draw, DrawCommand, DrawError};
use promo_domain::notification::{NotificationDelivery, NotificationError, RecordAttempt};
use promo_domain::participation::RegisterParticipant;
use promo_domain::performance::{CampaignPerformance, PerformanceCommand, PerformanceError};
use promo_eventstore::group_commit::{RegistrationBatcher, RegistrationError};
use promo_eventstore::metrics::Metrics;
use sqlx::PgPool;
use tokio::sync::Notify;

/// Counts committed events and wakes the relay (a cqrs-es query, so it runs
/// only after a commit, with exactly the events committed).
struct AppendObserver {
    metrics: Metrics,
    relay_wakeup: Arc<Notify>,
}

#[async_trait]
impl<A: Aggregate> Query<A> for AppendObserver {
    async fn dispatch(&self, _aggregate_id: &str, events: &[EventEnvelope<A>]) {
        if !events.is_empty() {
            self.metrics.events_appended.inc_by(events.len() as u64);
            self.relay_wakeup.notify_one();
        }
    }
}

pub struct CommandService {
    campaigns: PostgresCqrs<Campaign>,
    draws: PostgresCqrs<Draw>,
    performance: PostgresCqrs<CampaignPerformance>,
    access: PostgresCqrs<PersonalDataAccess>,
    notifications: PostgresCqrs<NotificationDelivery>,
    registrations: RegistrationBatcher,
}

fn framework<A>(pool: &PgPool, metrics: &Metrics, relay_wakeup: &Arc<Notify>) -> PostgresCqrs<A>
where
    A: Aggregate<Services = ()>,
{
    let observer = AppendObserver {
        metrics: metrics.clone(),
        relay_wakeup: relay_wakeup.clone(),
    };
    postgres_es::postgres_cqrs(pool.clone(), vec![Box::new(observer)], ())
}

impl CommandService {
    /// `registrations` counts and wakes for its own batches.
    pub fn new(
        pool: &PgPool,
        registrations: RegistrationBatcher,
        metrics: &Metrics,
        relay_wakeup: &Arc<Notify>,
    ) -> Self {
        Self {
            campaigns: framework(pool, metrics, relay_wakeup),
            draws: framework(pool, metrics, relay_wakeup),
            performance: framework(pool, metrics, relay_wakeup),
            access: framework(pool, metrics, relay_wakeup),
            notifications: framework(pool, metrics, relay_wakeup),
            registrations,
        }
    }

    pub async fn campaign(
        &self,
        campaign_id: uuid::Uuid,
        command: CampaignCommand,
    ) -> Result<(), AggregateError<CampaignError>> {
        self.campaigns
            .execute(&campaign_id.to_string(), command)
            .await
    }

    pub async fn draw(
        &self,
        campaign_id: uuid::Uuid,
        command: DrawCommand,
    ) -> Result<(), AggregateError<DrawError>> {
        self.draws.execute(&campaign_id.to_string(), command).await
    }

    pub async fn performance(
        &self,
        campaign_id: uuid::Uuid,
        command: PerformanceCommand,
    ) -> Result<(), AggregateError<PerformanceError>> {
        self.performance
            .execute(&campaign_id.to_string(), command)
            .await
    }

    /// Records a look at unmasked personal data (aggregate id = access id).
    pub async fn access(&self, command: RecordAccess) -> Result<(), AggregateError<AccessError>> {
        self.access
            .execute(&command.access_id.to_string(), command)
            .await
    }

    /// Records a delivery attempt's outcome (aggregate id =
    /// [`promo_domain::notification::delivery_id`]).
    pub async fn notification(
        &self,
        delivery_id: &str,
        command: RecordAttempt,
    ) -> Result<(), AggregateError<NotificationError>> {
        self.notifications.execute(delivery_id, command).await
    }

    /// Group-committed; answers the entry number assigned at commit.
    pub async fn register(
        &self,
        command: RegisterParticipant,
    ) -> Result<String, RegistrationError> {
        self.registrations.register(command).await
    }
}
