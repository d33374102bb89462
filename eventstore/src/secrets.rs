//! Per-campaign secrets kept out of every event: the draw's server seed
//! (committed to at publish, revealed at the draw) and the root secret of
//! the personal-data keys (destroyed to crypto-shred names and phones), from
//! which the store-visit token key is derived too.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use promo_domain::privacy::CampaignSecret;
use sqlx::{PgPool, Row};
use tokio::sync::RwLock;
use uuid::Uuid;

pub mod master_key;
pub use master_key::{MasterKey, MasterKeys};

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
    #[error("the master key must be 64 hex digits (32 bytes)")]
    BadMasterKey,
    #[error(
        "a campaign secret is wrapped by another master key (PROMO_MASTER_KEY_PREVIOUS missing?)"
    )]
    WrongMasterKey,
}

/// How long a cached secret is used before it is read again, so a key
/// destroyed by another process is forgotten here within this time.
pub const CACHE_TTL: Duration = Duration::from_secs(60);

struct Cached {
    secrets: Arc<CampaignSecrets>,
    loaded: Instant,
}

/// Reads and creates campaign secrets, wrapped by the master key in the
/// database ([`master_key`]) and cached in memory for [`CACHE_TTL`]. A
/// campaign forgotten after an erasure is never cached again by this process.
pub struct SecretStore {
    pool: PgPool,
    keys: MasterKeys,
    cache: RwLock<HashMap<Uuid, Cached>>,
    erased: RwLock<HashSet<Uuid>>,
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], SecretsError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|e| SecretsError::Randomness(e.to_string()))?;
    Ok(bytes)
}

const DRAW_SEED: &str = "draw_seed";
const DATA_SECRET: &str = "data_secret";

/// A row as stored: wrapped (or, from before wrapping, plain) bytes.
struct StoredRow {
    draw_seed: Vec<u8>,
    data: Option<Vec<u8>>,
    key_id: Option<String>,
}

impl SecretStore {
    pub fn new(pool: PgPool, keys: MasterKeys) -> Self {
        Self {
            pool,
            keys,
            cache: RwLock::new(HashMap::new()),
            erased: RwLock::new(HashSet::new()),
        }
    }

    /// Creates the campaign's secrets once; later calls return the stored ones.
    pub async fn ensure(&self, campaign_id: Uuid) -> Result<Arc<CampaignSecrets>, SecretsError> {
        let key = &self.keys.current;
        sqlx::query(
            "INSERT INTO campaign_secrets (campaign_id, draw_seed, data_secret, key_id) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (campaign_id) DO NOTHING",
        )
        .bind(campaign_id)
        .bind(key.wrap(campaign_id, DRAW_SEED, &random_bytes::<32>()?)?)
        .bind(key.wrap(campaign_id, DATA_SECRET, &random_bytes::<32>()?)?)
        .bind(key.id())
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
            if found.loaded.elapsed() < CACHE_TTL {
                return Ok(Some(found.secrets.clone()));
            }
        }
        let Some(row) = self.read_row(campaign_id).await? else {
            return Ok(None);
        };
        let secrets = Arc::new(self.open_and_rewrap(campaign_id, row).await?);
        // Checked under the cache's write lock, which `forget` also takes:
        // a campaign erased meanwhile is not cached.
        let mut cache = self.cache.write().await;
        if !self.erased.read().await.contains(&campaign_id) {
            cache.insert(
                campaign_id,
                Cached {
                    secrets: secrets.clone(),
                    loaded: Instant::now(),
                },
            );
        }
        Ok(Some(secrets))
    }

    async fn read_row(&self, campaign_id: Uuid) -> Result<Option<StoredRow>, SecretsError> {
        let row = sqlx::query(
            "SELECT draw_seed, data_secret, key_id FROM campaign_secrets WHERE campaign_id = $1",
        )
        .bind(campaign_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(StoredRow {
                draw_seed: row.try_get("draw_seed")?,
                data: row.try_get("data_secret")?,
                key_id: row.try_get("key_id")?,
            })
        })
        .transpose()
    }

    /// Opens a row; one not wrapped by the current key (from before
    /// wrapping, or by the previous key) is re-wrapped by it.
    async fn open_and_rewrap(
        &self,
        campaign_id: Uuid,
        row: StoredRow,
    ) -> Result<CampaignSecrets, SecretsError> {
        let plain = |bytes: Vec<u8>| -> Result<[u8; 32], SecretsError> {
            bytes.try_into().map_err(|_| SecretsError::Corrupt)
        };
        let (draw_seed, data) = match row.key_id.as_deref() {
            None => (plain(row.draw_seed)?, row.data.map(plain).transpose()?),
            Some(id) => {
                let key = self.keys.by_id(id).ok_or(SecretsError::WrongMasterKey)?;
                (
                    key.unwrap(campaign_id, DRAW_SEED, &row.draw_seed)?,
                    row.data
                        .map(|d| key.unwrap(campaign_id, DATA_SECRET, &d))
                        .transpose()?,
                )
            }
        };
        if row.key_id.as_deref() != Some(self.keys.current.id()) {
            self.rewrap(
                campaign_id,
                row.key_id.as_deref(),
                &draw_seed,
                data.as_ref(),
            )
            .await?;
        }
        Ok(CampaignSecrets {
            draw_seed,
            data: data.map(CampaignSecret),
        })
    }

    /// Writes the row wrapped by the current key, if it is still wrapped by
    /// `was` (another process may have re-wrapped it); a data secret
    /// destroyed meanwhile stays destroyed.
    async fn rewrap(
        &self,
        campaign_id: Uuid,
        was: Option<&str>,
        draw_seed: &[u8; 32],
        data: Option<&[u8; 32]>,
    ) -> Result<(), SecretsError> {
        let key = &self.keys.current;
        let data = data
            .map(|d| key.wrap(campaign_id, DATA_SECRET, d))
            .transpose()?;
        sqlx::query(
            "UPDATE campaign_secrets SET draw_seed = $2, key_id = $4, \
               data_secret = CASE WHEN data_secret IS NULL THEN NULL ELSE $3 END \
             WHERE campaign_id = $1 AND key_id IS NOT DISTINCT FROM $5",
        )
        .bind(campaign_id)
        .bind(key.wrap(campaign_id, DRAW_SEED, draw_seed)?)
        .bind(data)
        .bind(key.id())
        .bind(was)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Re-wraps every row not wrapped by the current key (rows from before
    /// wrapping, or wrapped by the previous key during a rotation); returns
    /// how many. Run at every start, so a rotation is: start with the new
    /// `PROMO_MASTER_KEY` and the old one as `PROMO_MASTER_KEY_PREVIOUS`.
    pub async fn rewrap_all(&self) -> Result<u64, SecretsError> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT campaign_id FROM campaign_secrets WHERE key_id IS DISTINCT FROM $1",
        )
        .bind(self.keys.current.id())
        .fetch_all(&self.pool)
        .await?;
        let mut done = 0;
        for campaign_id in ids {
            if let Some(row) = self.read_row(campaign_id).await? {
                if row.key_id.as_deref() != Some(self.keys.current.id()) {
                    self.open_and_rewrap(campaign_id, row).await?;
                    done += 1;
                }
            }
        }
        Ok(done)
    }

    /// Drops a cached entry after shredding (call it after the shredding
    /// committed); this process caches the campaign no more.
    pub async fn forget(&self, campaign_id: Uuid) {
        let mut cache = self.cache.write().await;
        self.erased.write().await.insert(campaign_id);
        cache.remove(&campaign_id);
    }

    /// Crypto-shreds the campaign's personal data: destroys the root secret
    /// of its data and pid keys (the draw seed stays), then, once that has
    /// committed, forgets the cached copy. Idempotent; returns whether a
    /// secret was destroyed by this call.
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
