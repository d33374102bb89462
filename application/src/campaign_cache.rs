//! A short-lived cache of ACTIVE campaigns for the entry path's early checks
//! only: the registration batch re-reads the campaign inside its own
//! transaction and decides, so a stale entry can only make an early check
//! pass that the batch then refuses.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use promo_domain::campaign::Campaign;
use tokio::sync::RwLock;
use uuid::Uuid;

/// How long the entry path may trust a cached ACTIVE campaign.
pub const CAMPAIGN_CACHE_TTL: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct CampaignCache {
    entries: RwLock<HashMap<Uuid, (Instant, Arc<Campaign>)>>,
}

impl CampaignCache {
    pub async fn get(&self, id: Uuid) -> Option<Arc<Campaign>> {
        let entries = self.entries.read().await;
        let (at, campaign) = entries.get(&id)?;
        (at.elapsed() < CAMPAIGN_CACHE_TTL).then(|| campaign.clone())
    }

    pub async fn put(&self, id: Uuid, campaign: Arc<Campaign>) {
        let mut entries = self.entries.write().await;
        if entries.len() > 10_000 {
            entries.retain(|_, (at, _)| at.elapsed() < CAMPAIGN_CACHE_TTL);
        }
        entries.insert(id, (Instant::now(), campaign));
    }
}
