//! Rebuilding a read model from the event store without taking it offline.
//!
//! 1. The projection's tables are created empty in a shadow schema
//!    (`replay_{name}`, `LIKE … INCLUDING ALL`), and every event is applied
//!    there in global order on a connection whose `search_path` puts the
//!    shadow schema first, so the projection's unqualified SQL writes to it.
//! 2. The rebuild chases the live projector's checkpoint while the live read
//!    model keeps serving and updating.
//! 3. When it is close, it locks the live checkpoint row (the live projector
//!    takes the same row lock for every batch, so it pauses), applies the
//!    last events up to exactly that checkpoint, and swaps the tables'
//!    schemas in the same transaction. The live projector then continues
//!    from its unchanged checkpoint on the rebuilt tables: nothing is missed
//!    or counted twice across the swap.

use std::sync::Arc;

use sqlx::{Connection, PgConnection, PgPool};

use crate::projector::{load_checkpoint, Projection, ProjectionError};
use promo_eventstore::store::{self, GlobalPosition, StoreError};

const PAGE: i64 = 20_000;
/// Remaining distance below which the final, locked catch-up starts.
const CLOSE_ENOUGH: u64 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("read model {0} cannot be replayed (it has side effects or no tables)")]
    NotReplayable(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayReport {
    pub events: u64,
    pub up_to: GlobalPosition,
}

/// Progress: events applied so far, and the total known when it started.
pub trait ReplayProgress {
    fn advanced(&mut self, applied: u64, total: u64);
}

impl<F: FnMut(u64, u64)> ReplayProgress for F {
    fn advanced(&mut self, applied: u64, total: u64) {
        self(applied, total)
    }
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Rebuilds one read model beside the live one and swaps it in (see the
/// module doc for the steps). Kept as one function on purpose: the shadow
/// schema, the catch-up loop and the swap under the checkpoint lock must be
/// read together to see that no event is applied twice or missed.
pub async fn replay(
    pool: &PgPool,
    projection: Arc<dyn Projection>,
    progress: &mut dyn ReplayProgress,
) -> Result<ReplayReport, ReplayError> {
    let name = projection.name();
    let tables = projection.tables();
    if tables.is_empty() {
        return Err(ReplayError::NotReplayable(name.to_string()));
    }
    let shadow = quote(&format!("replay_{name}"));
    let replaced = quote(&format!("replaced_{name}"));

    let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {shadow} CASCADE"))
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {replaced} CASCADE"))
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!("CREATE SCHEMA {shadow}"))
        .execute(&mut conn)
        .await?;
    for table in tables {
        let table = quote(table);
        sqlx::query(&format!(
            "CREATE TABLE {shadow}.{table} (LIKE public.{table} INCLUDING ALL)"
        ))
        .execute(&mut conn)
        .await?;
    }
    sqlx::query(&format!("SET search_path TO {shadow}, public"))
        .execute(&mut conn)
        .await?;

    // The planner's estimate: exact counting would cost a scan of its own.
    let total: i64 = sqlx::query_scalar(
        "SELECT GREATEST(reltuples, 0)::int8 FROM pg_class WHERE oid = 'public.events'::regclass",
    )
    .fetch_one(pool)
    .await?;
    let total = total as u64;
    let mut applied = 0u64;
    let mut last = GlobalPosition::START;

    // Chase the live checkpoint without holding anything.
    loop {
        let target = load_checkpoint(&mut *pool.acquire().await?, name, false)
            .await?
            .position;
        let before = applied;
        last = apply_range(
            pool,
            &mut conn,
            projection.as_ref(),
            last,
            target,
            &mut applied,
            total,
            progress,
        )
        .await?;
        if applied - before < CLOSE_ENOUGH {
            break;
        }
    }

    // Final catch-up and swap, with the live projector paused on its row lock.
    let mut tx = conn.begin().await?;
    let checkpoint = load_checkpoint(&mut tx, name, true).await?;
    if checkpoint.position > last {
        if let Some(covered) = projection
            .replay_range(&mut tx, last, checkpoint.position)
            .await?
        {
            applied += covered;
            last = checkpoint.position;
            progress.advanced(applied, total);
        }
    }
    loop {
        let events = store::read_range(pool, last, checkpoint.position, PAGE).await?;
        let Some(end) = events.last().map(|e| e.position) else {
            break;
        };
        projection.apply_batch(&mut tx, &events).await?;
        applied += events.len() as u64;
        last = end;
        progress.advanced(applied, total);
    }
    sqlx::query(&format!("CREATE SCHEMA {replaced}"))
        .execute(&mut *tx)
        .await?;
    for table in tables {
        let table = quote(table);
        sqlx::query(&format!("ALTER TABLE public.{table} SET SCHEMA {replaced}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("ALTER TABLE {shadow}.{table} SET SCHEMA public"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    sqlx::query(&format!("DROP SCHEMA {replaced} CASCADE"))
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!("DROP SCHEMA {shadow} CASCADE"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(ReplayReport {
        events: applied,
        up_to: checkpoint.position,
    })
}

/// Applies events in `(after, up_to]` in pages, one transaction per page.
#[allow(clippy::too_many_arguments)]
async fn apply_range(
    pool: &PgPool,
    conn: &mut PgConnection,
    projection: &dyn Projection,
    mut after: GlobalPosition,
    up_to: GlobalPosition,
    applied: &mut u64,
    total: u64,
    progress: &mut dyn ReplayProgress,
) -> Result<GlobalPosition, ReplayError> {
    if up_to > after {
        let mut tx = conn.begin().await?;
        if let Some(covered) = projection.replay_range(&mut tx, after, up_to).await? {
            tx.commit().await?;
            *applied += covered;
            progress.advanced(*applied, total);
            return Ok(up_to);
        }
    }
    loop {
        let events = store::read_range(pool, after, up_to, PAGE).await?;
        let Some(end) = events.last().map(|e| e.position) else {
            return Ok(after);
        };
        let mut tx = conn.begin().await?;
        projection.apply_batch(&mut tx, &events).await?;
        tx.commit().await?;
        *applied += events.len() as u64;
        after = end;
        progress.advanced(*applied, total);
    }
}
