//! Entry-number sequences per campaign and Korean day, allocated hi/lo: the
//! database hands out blocks, numbers within a block come from memory. Numbers
//! are unique across processes; a restart leaves a gap, never a repeat.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::PgPool;
use tokio::sync::Mutex;
use uuid::Uuid;

const BLOCK_SIZE: i32 = 50;

pub struct EntryNumberAllocator {
    pool: PgPool,
    blocks: Mutex<HashMap<(Uuid, NaiveDate), (i32, i32)>>,
}

impl EntryNumberAllocator {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            blocks: Mutex::new(HashMap::new()),
        }
    }

    /// The next sequence number for the campaign on that day (starting at 1).
    pub async fn next(&self, campaign_id: Uuid, day: NaiveDate) -> Result<u32, sqlx::Error> {
        let mut blocks = self.blocks.lock().await;
        let key = (campaign_id, day);
        if let Some((next, end)) = blocks.get_mut(&key) {
            if *next < *end {
                *next += 1;
                return Ok((*next - 1) as u32);
            }
        }
        let start: i32 = sqlx::query_scalar(
            "INSERT INTO entry_number_blocks (campaign_id, day, next_value) VALUES ($1, $2, 1 + $3) \
             ON CONFLICT (campaign_id, day) DO UPDATE SET next_value = entry_number_blocks.next_value + $3 \
             RETURNING next_value - $3",
        )
        .bind(campaign_id)
        .bind(day)
        .bind(BLOCK_SIZE)
        .fetch_one(&self.pool)
        .await?;
        // Old days' blocks are never needed again.
        blocks.retain(|(_, d), _| *d >= day);
        blocks.insert(key, (start + 1, start + BLOCK_SIZE));
        Ok(start as u32)
    }
}
