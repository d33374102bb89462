//! Events "from the future": a database restored logically (`pg_dump` into a new cluster)
//! keeps its rows' transaction ids, while the new cluster hands out ids from its own, lower
//! counter. The relay publishes only rows below the oldest running transaction, in
//! `(transaction id, position)` order, so the restored rows would never be published again and
//! rows written after the restore would sort before them: recover-stream re-stamps them.
//!
//! When the greatest stored transaction id is not below the current one, every row gets this
//! transaction's id, so the order becomes the position order. That is a valid order once
//! everything is committed and nothing writes (the service is stopped): a position is taken
//! after everything the event depends on has committed (sequence N+1 of an aggregate is
//! inserted after N committed, an entry after the campaign it read), which is all the
//! transaction-id order adds while writers run. Projector checkpoints move with the events:
//! each becomes the highest position among the events it covered.

use sqlx::PgPool;

/// Re-stamps every event if the database's transaction ids are behind its events'; returns
/// how many rows were re-stamped (0: nothing to do).
pub(super) async fn restamp_if_behind(pool: &PgPool) -> anyhow::Result<u64> {
    let mut tx = pool.begin().await?;
    let behind: bool = sqlx::query_scalar(
        "SELECT coalesce(max(transaction_id) >= pg_current_xact_id(), false) FROM events",
    )
    .fetch_one(&mut *tx)
    .await?;
    if !behind {
        return Ok(0);
    }
    // Checkpoints first: which events each covered is read in the old order.
    sqlx::query(
        "UPDATE projector_checkpoints c \
         SET transaction_id = CASE WHEN m.covered IS NULL THEN '0'::xid8 ELSE pg_current_xact_id() END, \
             position = coalesce(m.covered, 0), updated_at = now() \
         FROM (SELECT k.projector, \
                      (SELECT max(e.position) FROM events e \
                       WHERE (e.transaction_id, e.position) <= (k.transaction_id, k.position)) AS covered \
               FROM projector_checkpoints k) m \
         WHERE m.projector = c.projector",
    )
    .execute(&mut *tx)
    .await?;
    let restamped = sqlx::query("UPDATE events SET transaction_id = pg_current_xact_id()")
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    tracing::warn!(
        restamped,
        "the database's transaction ids were behind its events' (a logical restore?): \
         re-stamped every event in position order"
    );
    Ok(restamped)
}
