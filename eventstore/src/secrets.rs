//! Per-campaign secrets kept out of every event: the draw's server seed
//! (committed to at publish, revealed at the draw) and the root secret of
//! the personal-data keys (destroyed to crypto-shred names and phones), from
//! which the store-visit token key is derived too.

use std::collections::HashMap;
use std::sync::Arc;

use promo_domain::privacy::CampaignSecret;
use sqlx::{PgPool, Row};
use tokio::sync::RwLock;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct CampaignSecrets {
    pub draw_seed: [u8; 32],
    /// `None` once shredded.
    pub data: Option<CampaignSecret>,
}

impl CampaignSecrets {
    /// The key that signs the campaign's store-visit tokens (the in-store QR
    /// code): derived from the root secret under its own label, never the
    /// data key itself. `None` once shredded (the campaign takes no entries).
    pub fn store_visit_key(&self) -> Option<[u8; 32]> {
        self.data.as_ref().map(CampaignSecret::store_visit_key)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("operating system randomness unavailable: {0}")]
    Randomness(String),
    #[error("stored secret has the wrong length")]
    Corrupt,
}

/// Reads and creates campaign secrets, caching them in memory (they never
/// change except by shredding, which goes through [`SecretStore::forget`]).
pub struct SecretStore {
    pool: PgPool,
    cache: RwLock<HashMap<Uuid, Arc<CampaignSecrets>>>,
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], SecretsError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|e| SecretsError::Randomness(e.to_string()))?;
    Ok(bytes)
}

impl SecretStore {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// Creates the campaign's secrets once; later calls return the stored ones.
    pub async fn ensure(&self, campaign_id: Uuid) -> Result<Arc<CampaignSecrets>, SecretsError> {
        sqlx::query(
            "INSERT INTO campaign_secrets (campaign_id, draw_seed, data_secret) VALUES ($1, $2, $3) \
             ON CONFLICT (campaign_id) DO NOTHING",
        )
        .bind(campaign_id)
        .bind(random_bytes::<32>()?.to_vec())
        .bind(random_bytes::<32>()?.to_vec())
        .execute(&self.pool)
        .await?;
        self.get(campaign_id)
            .await?
            .ok_or(SecretsError::Database(sqlx::Error::RowNotFound))
    }

    pub async fn get(
        &self,
        campaign_id: Uuid,
    ) -> Result<Option<Arc<CampaignSecrets>>, SecretsError> {
        if let Some(found) = self.cache.read().await.get(&campaign_id) {
            return Ok(Some(found.clone()));
        }
        let Some(row) = sqlx::query(
            "SELECT draw_seed, data_secret FROM campaign_secrets WHERE campaign_id = $1",
        )
        .bind(campaign_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let draw_seed: Vec<u8> = row.try_get("draw_seed")?;
        let data: Option<Vec<u8>> = row.try_get("data_secret")?;
        let secrets = Arc::new(CampaignSecrets {
            draw_seed: draw_seed.try_into().map_err(|_| SecretsError::Corrupt)?,
            data: match data {
                Some(bytes) => Some(CampaignSecret(
                    bytes.try_into().map_err(|_| SecretsError::Corrupt)?,
                )),
                None => None,
            },
        });
        self.cache
            .write()
            .await
            .insert(campaign_id, secrets.clone());
        Ok(Some(secrets))
    }

    /// Drops a cached entry (after shredding).
    pub async fn forget(&self, campaign_id: Uuid) {
        self.cache.write().await.remove(&campaign_id);
    }

    /// Crypto-shreds the campaign's personal data: destroys the root secret
    /// of its data and pid keys (the draw seed stays) and forgets the cached
    /// copy. Idempotent; returns whether a secret was destroyed by this call.
    pub async fn shred(&self, campaign_id: Uuid) -> Result<bool, SecretsError> {
        let mut conn = self.pool.acquire().await?;
        let destroyed = shred_in(&mut conn, campaign_id).await?;
        self.forget(campaign_id).await;
        Ok(destroyed)
    }
}

/// The shredding statement, for callers inside a transaction (who must call
/// [`SecretStore::forget`] too).
pub async fn shred_in(
    conn: &mut sqlx::PgConnection,
    campaign_id: Uuid,
) -> Result<bool, SecretsError> {
    let destroyed = sqlx::query(
        "UPDATE campaign_secrets SET data_secret = NULL, shredded_at = coalesce(shredded_at, now()) \
         WHERE campaign_id = $1 AND data_secret IS NOT NULL",
    )
    .bind(campaign_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(destroyed > 0)
}
