//! Whether a message on the event stream is the event store's own.
//!
//! Anyone allowed to publish on `{prefix}.events.>` could put a message
//! there; the stream is a copy, the `events` table the truth. A message is
//! genuine when the row with its `(aggregate type, aggregate id, sequence)`
//! exists with the same global position, type, version, payload (byte for
//! byte: the relay forwards the row's text), metadata and time. Projectors
//! apply only genuine messages; the relay resumes only after one.

use sqlx::{PgConnection, Row};

use crate::store::{GlobalPosition, StoreError, StoredEvent};

/// For each event, whether it is the event store's row, unchanged.
pub async fn genuine(
    conn: &mut PgConnection,
    events: &[&StoredEvent],
) -> Result<Vec<bool>, StoreError> {
    let mut verdicts = vec![false; events.len()];
    if events.is_empty() {
        return Ok(verdicts);
    }
    let aggregate_types: Vec<&str> = events.iter().map(|e| e.aggregate_type.as_str()).collect();
    let aggregate_ids: Vec<&str> = events.iter().map(|e| e.aggregate_id.as_str()).collect();
    let sequences: Vec<i64> = events.iter().map(|e| e.sequence).collect();
    let rows = sqlx::query(
        "SELECT k.i, e.transaction_id::text AS t, e.position, e.event_type, e.event_version, \
                e.payload::text AS payload, e.metadata, e.recorded_at \
         FROM unnest($1::text[], $2::text[], $3::int8[]) WITH ORDINALITY AS k(at, aid, seq, i) \
         JOIN events e ON e.aggregate_type = k.at AND e.aggregate_id = k.aid AND e.sequence = k.seq",
    )
    .bind(&aggregate_types)
    .bind(&aggregate_ids)
    .bind(&sequences)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let index = row.try_get::<i64, _>("i")? as usize - 1;
        let Some(event) = events.get(index) else {
            continue;
        };
        let transaction_id: String = row.try_get("t")?;
        let position = GlobalPosition {
            transaction_id: transaction_id.parse().unwrap_or(u64::MAX),
            position: row.try_get("position")?,
        };
        let same = position == event.position
            && row.try_get::<String, _>("event_type")? == event.event_type
            && row.try_get::<String, _>("event_version")? == event.event_version
            && row.try_get::<String, _>("payload")? == event.payload.get()
            && row.try_get::<serde_json::Value, _>("metadata")? == event.metadata
            && row.try_get::<chrono::DateTime<chrono::Utc>, _>("recorded_at")? == event.recorded_at;
        verdicts[index] = same;
    }
    Ok(verdicts)
}

/// The database's current transaction id (`pg_current_xact_id()`).
pub async fn current_transaction_id(conn: &mut PgConnection) -> Result<u64, StoreError> {
    let text: String = sqlx::query_scalar("SELECT pg_current_xact_id()::text")
        .fetch_one(&mut *conn)
        .await?;
    text.parse()
        .map_err(|_| StoreError::Malformed(format!("transaction id {text}")))
}
