//! The event store as this crate sees it: the pool, the migrations, the
//! global order of committed events and the envelope every event travels in.
//!
//! Global order is `(transaction_id, position)`. Only rows whose transaction
//! is older than every still-running transaction (`pg_snapshot_xmin`) are
//! read, so a row can never appear later below a cursor that already passed
//! it, which is the bug a plain `position > last_seen` poll has.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row};

/// A point in the global commit order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct GlobalPosition {
    /// The writing transaction's id (xid8), compared first.
    pub transaction_id: u64,
    /// Insertion position within the table, breaks ties inside a transaction.
    pub position: i64,
}

impl GlobalPosition {
    pub const START: GlobalPosition = GlobalPosition {
        transaction_id: 0,
        position: 0,
    };
}

impl std::fmt::Display for GlobalPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.transaction_id, self.position)
    }
}

/// One committed event with its place in the global order. This is the JSON
/// published on JetStream and handed to projections. The payload stays raw
/// JSON: the relay forwards it without re-encoding, and each projection
/// decodes it straight into the typed event it needs, if any.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    pub position: GlobalPosition,
    /// The position of the event published just before this one on the
    /// stream (set by the relay). Projectors use it to prove they saw every
    /// event: a message whose `previous` is not their checkpoint has a gap
    /// before it.
    #[serde(default)]
    pub previous: GlobalPosition,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Box<serde_json::value::RawValue>,
    pub metadata: serde_json::Value,
    pub recorded_at: DateTime<Utc>,
}

impl PartialEq for StoredEvent {
    fn eq(&self, other: &Self) -> bool {
        self.position == other.position
            && self.previous == other.previous
            && self.aggregate_type == other.aggregate_type
            && self.aggregate_id == other.aggregate_id
            && self.sequence == other.sequence
            && self.event_type == other.event_type
            && self.event_version == other.event_version
            && self.payload.get() == other.payload.get()
            && self.metadata == other.metadata
            && self.recorded_at == other.recorded_at
    }
}

impl StoredEvent {
    /// `{aggregate_type}:{aggregate_id}:{sequence}`, the JetStream
    /// de-duplication id.
    pub fn message_id(&self) -> String {
        format!(
            "{}:{}:{}",
            self.aggregate_type, self.aggregate_id, self.sequence
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("malformed row: {0}")]
    Malformed(String),
}

/// A pool sized for the service. Statement caching stays on (prepared
/// statements); acquire waits are bounded so overload surfaces as an error.
/// Sessions are named `promo` in `pg_stat_activity` unless the URL names
/// them (`?application_name=worker-a`), so that with several instances the
/// holder of a leader lock can be told apart (docs/deployment.md).
pub async fn connect(database_url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    let mut options: PgConnectOptions = database_url.parse()?;
    if options.get_application_name().is_none() {
        options = options.application_name("promo");
    }
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings every connection it hands out by default: a round trip
        // before each pooled query, a fifth of the service's CPU under the
        // entry load (the profile in docs/benchmarks.md). A connection that
        // broke while idle fails its next query instead, and is dropped; the
        // request it served answers 503 and nothing was written.
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// `url` with its database name replaced by `database` (query kept).
pub fn url_for_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    sqlx::migrate!("../migrations").run(pool).await?;
    Ok(())
}

// The text form gets its own alias: `ORDER BY transaction_id` must sort by
// the xid8 column (numeric, indexed), never by its text ("1000" < "999").
const SELECT_EVENT_COLUMNS: &str = "transaction_id::text AS transaction_text, position, \
     aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at";

/// Committed events after `after`, in global order, that can no longer be
/// overtaken by a transaction still in flight.
pub async fn read_committed_after(
    pool: &PgPool,
    after: GlobalPosition,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let sql = format!(
        "SELECT {SELECT_EVENT_COLUMNS} FROM events \
         WHERE (transaction_id, position) > ($1::text::xid8, $2) \
           AND transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY transaction_id, position LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(after.transaction_id.to_string())
        .bind(after.position)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter().map(event_from_row).collect()
}

/// Events in `(after, up_to]`, in global order (for replay, where `up_to` is
/// a position already published, so nothing below it is still in flight).
pub async fn read_range(
    pool: &PgPool,
    after: GlobalPosition,
    up_to: GlobalPosition,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let sql = format!(
        "SELECT {SELECT_EVENT_COLUMNS} FROM events \
         WHERE (transaction_id, position) > ($1::text::xid8, $2) \
           AND (transaction_id, position) <= ($3::text::xid8, $4) \
         ORDER BY transaction_id, position LIMIT $5"
    );
    let rows = sqlx::query(&sql)
        .bind(after.transaction_id.to_string())
        .bind(after.position)
        .bind(up_to.transaction_id.to_string())
        .bind(up_to.position)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter().map(event_from_row).collect()
}

/// Events in `(after, up_to]` other than those of `except_type`, in global
/// order, read on `conn` (a replay's own connection and transaction). The
/// type test is written as two ranges so the primary key (which starts with
/// the aggregate type) skips the excluded type instead of visiting it.
pub async fn read_range_except(
    conn: &mut sqlx::PgConnection,
    after: GlobalPosition,
    up_to: GlobalPosition,
    except_type: &str,
) -> Result<Vec<StoredEvent>, StoreError> {
    let sql = format!(
        "SELECT {SELECT_EVENT_COLUMNS} FROM public.events \
         WHERE (transaction_id, position) > ($1::text::xid8, $2) \
           AND (transaction_id, position) <= ($3::text::xid8, $4) \
           AND (aggregate_type < $5 OR aggregate_type > $5) \
         ORDER BY transaction_id, position"
    );
    let rows = sqlx::query(&sql)
        .bind(after.transaction_id.to_string())
        .bind(after.position)
        .bind(up_to.transaction_id.to_string())
        .bind(up_to.position)
        .bind(except_type)
        .fetch_all(conn)
        .await?;
    rows.iter().map(event_from_row).collect()
}

/// Number of committed events after `after` (relay lag, in events).
pub async fn count_after(pool: &PgPool, after: GlobalPosition) -> Result<i64, StoreError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2)",
    )
    .bind(after.transaction_id.to_string())
    .bind(after.position)
    .fetch_one(pool)
    .await?;
    Ok(count)
}

fn event_from_row(row: &sqlx::postgres::PgRow) -> Result<StoredEvent, StoreError> {
    let transaction_id: String = row.try_get("transaction_text")?;
    let transaction_id = transaction_id
        .parse()
        .map_err(|_| StoreError::Malformed(format!("transaction id {transaction_id}")))?;
    Ok(StoredEvent {
        position: GlobalPosition {
            transaction_id,
            position: row.try_get("position")?,
        },
        previous: GlobalPosition::START,
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: row.try_get("sequence")?,
        event_type: row.try_get("event_type")?,
        event_version: row.try_get("event_version")?,
        payload: row
            .try_get::<sqlx::types::Json<Box<serde_json::value::RawValue>>, _>("payload")?
            .0,
        metadata: row.try_get("metadata")?,
        recorded_at: row.try_get("recorded_at")?,
    })
}

/// Reads the relay's confirmed cursor.
pub async fn relay_cursor(pool: &PgPool) -> Result<GlobalPosition, StoreError> {
    let row =
        sqlx::query("SELECT transaction_id::text AS t, position FROM relay_cursor WHERE id = 1")
            .fetch_one(pool)
            .await?;
    let t: String = row.try_get("t")?;
    Ok(GlobalPosition {
        transaction_id: t
            .parse()
            .map_err(|_| StoreError::Malformed(format!("relay cursor {t}")))?,
        position: row.try_get("position")?,
    })
}

pub async fn save_relay_cursor(pool: &PgPool, cursor: GlobalPosition) -> Result<(), StoreError> {
    // Monotonic: a slower writer can never move the cursor backwards.
    sqlx::query(
        "UPDATE relay_cursor SET transaction_id = $1::text::xid8, position = $2, updated_at = now() \
         WHERE id = 1 AND (transaction_id, position) < ($1::text::xid8, $2)",
    )
    .bind(cursor.transaction_id.to_string())
    .bind(cursor.position)
    .execute(pool)
    .await?;
    Ok(())
}
