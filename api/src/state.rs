//! Shared state handed to every request handler.

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::EventStore;
use postgres_es::{PostgresCqrs, PostgresEventRepository};
use promo_domain::campaign::{Campaign, CampaignStatus};
use promo_eventstore::entry_numbers::EntryNumberAllocator;
use promo_eventstore::group_commit::RegistrationBatcher;
use promo_eventstore::metrics::Metrics;
use promo_eventstore::participation_log::ParticipationLog;
use promo_eventstore::secrets::SecretStore;
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::ApiError;

pub type AppState = Arc<Services>;

/// The time source; tests may substitute a fixed clock.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

pub struct Services {
    pub pool: PgPool,
    pub campaigns: PostgresCqrs<Campaign>,
    /// Group-committed registrations (see `promo_eventstore::group_commit`).
    pub registrations: RegistrationBatcher,
    campaign_cache: CampaignCache,
    campaign_loader: PersistedEventStore<PostgresEventRepository, Campaign>,
    pub secrets: Arc<SecretStore>,
    pub entry_numbers: EntryNumberAllocator,
    pub participation_log: ParticipationLog,
    pub auth: Auth,
    pub metrics: Metrics,
    /// Wakes the relay right after a commit.
    pub relay_wakeup: Arc<Notify>,
    pub clock: Clock,
    pub nats: async_nats::Client,
}

pub struct ServicesParts {
    pub registrations: RegistrationBatcher,
    pub pool: PgPool,
    pub secrets: Arc<SecretStore>,
    pub participation_log: ParticipationLog,
    pub auth: Auth,
    pub metrics: Metrics,
    pub relay_wakeup: Arc<Notify>,
    pub clock: Clock,
    pub nats: async_nats::Client,
}

impl Services {
    pub fn new(parts: ServicesParts) -> Self {
        let pool = parts.pool;
        Self {
            campaigns: postgres_es::postgres_cqrs(pool.clone(), vec![], ()),
            registrations: parts.registrations,
            campaign_cache: CampaignCache::default(),
            campaign_loader: PersistedEventStore::new_event_store(PostgresEventRepository::new(
                pool.clone(),
            )),
            entry_numbers: EntryNumberAllocator::new(pool.clone()),
            pool,
            secrets: parts.secrets,
            participation_log: parts.participation_log,
            auth: parts.auth,
            metrics: parts.metrics,
            relay_wakeup: parts.relay_wakeup,
            clock: parts.clock,
            nats: parts.nats,
        }
    }

    /// Now, to the microsecond: the precision Postgres stores, so an event's
    /// time reads back identically from its JSON and from a timestamptz
    /// column (set-based replay relies on that).
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)().trunc_subsecs(6)
    }

    /// The campaign's current state from the event store (the source of
    /// truth, so a campaign is usable the moment it is written).
    pub async fn load_campaign(&self, campaign_id: Uuid) -> Result<Campaign, ApiError> {
        let context = self
            .campaign_loader
            .load_aggregate(&campaign_id.to_string())
            .await
            .map_err(|e| {
                crate::error::from_aggregate_error(e, || ApiError::internal("conflict on load"))
            })?;
        let campaign = context.aggregate;
        if !campaign.exists() {
            return Err(ApiError::campaign_not_found());
        }
        Ok(campaign)
    }

    /// Like [`Services::load_campaign`], but an ACTIVE campaign may come from
    /// a cache up to [`CAMPAIGN_CACHE_TTL`] old. Only for the entry path's
    /// early checks: the batch transaction re-reads the campaign and decides.
    pub async fn load_active_campaign_cached(
        &self,
        campaign_id: Uuid,
    ) -> Result<Arc<Campaign>, ApiError> {
        if let Some(hit) = self.campaign_cache.get(campaign_id).await {
            return Ok(hit);
        }
        let campaign = Arc::new(self.load_campaign(campaign_id).await?);
        if campaign.status == CampaignStatus::Active {
            self.campaign_cache.put(campaign_id, campaign.clone()).await;
        }
        Ok(campaign)
    }

    /// The campaign, if `owner` owns it: 404 when unknown, 403 otherwise.
    pub async fn owned_campaign(
        &self,
        campaign_id: Uuid,
        owner: &str,
    ) -> Result<Campaign, ApiError> {
        let campaign = self.load_campaign(campaign_id).await?;
        if campaign.owner_id != owner {
            return Err(ApiError::forbidden());
        }
        Ok(campaign)
    }

    /// Called after every successful append.
    pub fn appended(&self, events: u64) {
        self.metrics.events_appended.inc_by(events);
        self.relay_wakeup.notify_one();
    }
}

/// How long the entry path may trust a cached ACTIVE campaign.
pub const CAMPAIGN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Default)]
struct CampaignCache {
    entries:
        tokio::sync::RwLock<std::collections::HashMap<Uuid, (std::time::Instant, Arc<Campaign>)>>,
}

impl CampaignCache {
    async fn get(&self, id: Uuid) -> Option<Arc<Campaign>> {
        let entries = self.entries.read().await;
        let (at, campaign) = entries.get(&id)?;
        (at.elapsed() < CAMPAIGN_CACHE_TTL).then(|| campaign.clone())
    }

    async fn put(&self, id: Uuid, campaign: Arc<Campaign>) {
        let mut entries = self.entries.write().await;
        if entries.len() > 10_000 {
            entries.retain(|_, (at, _)| at.elapsed() < CAMPAIGN_CACHE_TTL);
        }
        entries.insert(id, (std::time::Instant::now(), campaign));
    }
}
