//! A projector's checkpoint: the last applied global position and the
//! stream sequence it came in, written in the same transaction as the read
//! model's changes.

use sqlx::{PgConnection, Row};

use promo_eventstore::store::GlobalPosition;

/// A checkpoint: the last applied position and the stream sequence it came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checkpoint {
    pub position: GlobalPosition,
    pub stream_sequence: u64,
}

pub async fn load_checkpoint(
    conn: &mut PgConnection,
    projector: &str,
    for_update: bool,
) -> Result<Checkpoint, sqlx::Error> {
    sqlx::query(
        "INSERT INTO projector_checkpoints (projector, transaction_id, position) \
         VALUES ($1, '0', 0) ON CONFLICT DO NOTHING",
    )
    .bind(projector)
    .execute(&mut *conn)
    .await?;
    let sql = if for_update {
        "SELECT transaction_id::text AS t, position, stream_sequence FROM projector_checkpoints \
         WHERE projector = $1 FOR UPDATE"
    } else {
        "SELECT transaction_id::text AS t, position, stream_sequence FROM projector_checkpoints \
         WHERE projector = $1"
    };
    let row = sqlx::query(sql)
        .bind(projector)
        .fetch_one(&mut *conn)
        .await?;
    let t: String = row.try_get("t")?;
    Ok(Checkpoint {
        position: GlobalPosition {
            transaction_id: t.parse().unwrap_or(0),
            position: row.try_get("position")?,
        },
        stream_sequence: row.try_get::<i64, _>("stream_sequence")?.max(0) as u64,
    })
}

pub async fn save_checkpoint(
    conn: &mut PgConnection,
    projector: &str,
    checkpoint: Checkpoint,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE projector_checkpoints SET transaction_id = $2::text::xid8, position = $3, \
         stream_sequence = $4, updated_at = now() WHERE projector = $1",
    )
    .bind(projector)
    .bind(checkpoint.position.transaction_id.to_string())
    .bind(checkpoint.position.position)
    .bind(checkpoint.stream_sequence as i64)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
