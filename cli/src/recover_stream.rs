//! `promo recover-stream`: the way out when the relay refuses to start
//! because the event stream is not the database's (a database restored from
//! a backup older than the stream). Run with the service stopped; see
//! docs/operations.md.
//!
//! 1. The stream's tail that the database does not hold (from the last
//!    message back to the last event the store has) is copied to the
//!    quarantine subject as a record of what the restore lost.
//! 2. The stream is deleted and created again: a new stream generation,
//!    starting at sequence 1 with an empty de-duplication window.
//! 3. If the database's transaction ids are behind its events' (a logical
//!    restore into a new cluster), every event is re-stamped ([`restamp`]).
//! 4. The relay cursor goes back to the start: the relay republishes every
//!    stored event, in order, with an unbroken `previous` chain from zero.
//! 5. Each projector's checkpoint goes back to the last stored event at or
//!    below it (stream sequence 0), and each replayable read model is
//!    rebuilt from the event store up to that checkpoint (`promo replay`),
//!    so effects of lost events disappear and nothing is applied twice.

use std::sync::Arc;

use anyhow::{bail, Context};
use async_nats::jetstream::{self, message::PublishMessage};
use promo_api::app::read_models;
use promo_eventstore::jetstream::{
    ensure_event_stream, ensure_quarantine_stream, EventStreamNames,
};
use promo_eventstore::provenance;
use promo_eventstore::relay::start_check::relay_message;
use promo_eventstore::secrets::{MasterKeys, SecretStore};
use promo_eventstore::store::{self, GlobalPosition};
use promo_projections::notifications::RecordingSender;
use promo_projections::projector::{load_checkpoint, save_checkpoint, Checkpoint};
use promo_projections::replay::replay;
use sqlx::{PgPool, Row};

mod restamp;

/// What the recovery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Stream messages the database does not hold, copied to quarantine.
    pub set_aside: u64,
    /// Events re-stamped because the database's transaction ids were behind theirs.
    pub restamped: u64,
    /// Read models rebuilt, with the events each covered.
    pub replayed: Vec<(String, u64)>,
}

pub async fn run(
    database_url: &str,
    nats_url: &str,
    names: &EventStreamNames,
    keys: MasterKeys,
) -> anyhow::Result<RecoveryReport> {
    let pool = store::connect(database_url, 8)
        .await
        .context("connecting to Postgres")?;
    store::migrate(&pool).await.context("running migrations")?;
    // The relay must not be running: take its leadership lock for the whole
    // recovery.
    let mut lock = pool.acquire().await?.detach();
    let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext('relay')::bigint)")
        .fetch_one(&mut lock)
        .await?;
    if !free {
        bail!("a relay is running: stop every service instance before recover-stream");
    }
    let client = promo_eventstore::nats_url::connect(nats_url)
        .await
        .context("connecting to NATS")?;
    let js = jetstream::new(client);

    let set_aside = set_aside_lost_tail(&pool, &js, names).await?;
    js.delete_stream(names.stream_name())
        .await
        .context("deleting the old stream generation")?;
    ensure_event_stream(&js, names)
        .await
        .context("creating the new stream generation")?;
    // After the tail was compared with the store (it compares transaction ids too).
    let restamped = restamp::restamp_if_behind(&pool).await?;
    sqlx::query("UPDATE relay_cursor SET transaction_id = '0', position = 0, updated_at = now() WHERE id = 1")
        .execute(&pool)
        .await?;
    tracing::info!(
        set_aside,
        stream = names.stream_name(),
        "new stream generation; relay cursor reset"
    );

    let secrets = Arc::new(SecretStore::new(pool.clone(), keys));
    let mut replayed = Vec::new();
    for projection in read_models(&secrets, Arc::new(RecordingSender)) {
        let name = projection.name();
        let mut tx = pool.begin().await?;
        let old = load_checkpoint(&mut tx, name, true).await?;
        let position = last_stored_at_or_below(&mut tx, old.position).await?;
        save_checkpoint(
            &mut tx,
            name,
            Checkpoint {
                position,
                stream_sequence: 0,
            },
        )
        .await?;
        tx.commit().await?;
        if projection.tables().is_empty() {
            tracing::info!(projector = name, %position, "checkpoint reset (not replayable: side effects)");
            continue;
        }
        let report = replay(&pool, projection, &mut |_: u64, _: u64| {})
            .await
            .with_context(|| format!("replaying {name}"))?;
        tracing::info!(projector = name, %position, events = report.events, "read model replayed");
        replayed.push((name.to_string(), report.events));
    }
    drop(lock);
    pool.close().await;
    Ok(RecoveryReport {
        set_aside,
        restamped,
        replayed,
    })
}

/// Copies the stream's messages after its last genuine event to the
/// quarantine subject; returns how many.
async fn set_aside_lost_tail(
    pool: &PgPool,
    js: &jetstream::Context,
    names: &EventStreamNames,
) -> anyhow::Result<u64> {
    let Ok(mut stream) = js.get_stream(names.stream_name()).await else {
        return Ok(0);
    };
    ensure_quarantine_stream(js, names).await?;
    let mut sequence = stream.info().await?.state.last_sequence;
    let mut set_aside = 0;
    while sequence > 0 {
        if let Some(event) = relay_message(&stream, sequence).await? {
            let mut conn = pool.acquire().await?;
            if provenance::genuine(&mut conn, &[&event]).await?.first() == Some(&true) {
                break;
            }
        }
        if let Ok(message) = stream.get_raw_message(sequence).await {
            let publish = PublishMessage::build()
                .payload(message.payload)
                .message_id(format!("{}:{sequence}:recover-stream", names.stream_name()))
                .header(
                    "Promo-Quarantine-Reason",
                    "recover-stream: not in the event store",
                )
                .header("Promo-Quarantine-Subject", message.subject.as_str())
                .header("Promo-Quarantine-Stream-Sequence", sequence.to_string());
            js.send_publish(names.quarantine_subject(), publish)
                .await?
                .await?;
            set_aside += 1;
        }
        sequence -= 1;
    }
    Ok(set_aside)
}

/// The greatest stored event position at or below `at` (`START` if none).
async fn last_stored_at_or_below(
    conn: &mut sqlx::PgConnection,
    at: GlobalPosition,
) -> anyhow::Result<GlobalPosition> {
    let row = sqlx::query(
        "SELECT transaction_id::text AS t, position FROM events \
         WHERE (transaction_id, position) <= ($1::text::xid8, $2) \
         ORDER BY transaction_id DESC, position DESC LIMIT 1",
    )
    .bind(at.transaction_id.to_string())
    .bind(at.position)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(GlobalPosition::START);
    };
    let t: String = row.try_get("t")?;
    Ok(GlobalPosition {
        transaction_id: t.parse().context("transaction id")?,
        position: row.try_get("position")?,
    })
}
