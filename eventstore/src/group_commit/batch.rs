//! One registration batch, decided and appended in one transaction:
//!
//! 1. **Lock the batch's campaigns**, in ascending id order (so two batches
//!    can never wait on each other in a circle), with a transaction-scoped
//!    advisory lock per campaign ([`campaign_lock_key`]). Batches of one
//!    campaign therefore commit one after another; the draw takes the same
//!    lock to know that every entry that will ever be accepted is committed.
//! 2. **Read the time after the lock** (`clock_timestamp()`, the database's
//!    clock): an entry is checked against the campaign as of the moment its
//!    batch holds the campaign, so a batch that waited behind a draw sees the
//!    campaign ended and refuses, and no entry can commit after a freeze.
//! 3. **Decide**: the same pure rules the aggregate runs; duplicates inside
//!    the batch and pids already in the store (visible to us: every earlier
//!    batch of the campaign has committed) are `AlreadyEntered`.
//! 4. **Number** only the accepted entries from the per-campaign, per-day
//!    counter row, so a refused entry uses no number (no gaps), and numbers
//!    are unique across processes (the counter is a row, not memory).
//! 5. **Insert** sorted by aggregate id with `ON CONFLICT DO NOTHING
//!    RETURNING`: the primary key remains the last word on duplicates.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use cqrs_es::{Aggregate, DomainEvent};
use promo_domain::campaign::{Campaign, EntryWindow};
use promo_domain::entry_number;
use promo_domain::participation::{
    decide_registration, ensure_entry_window_open, Participation, ParticipationError,
    RegisterParticipant,
};
use sqlx::PgPool;
use uuid::Uuid;

use super::{load_campaigns, Outcome, RegistrationError};

/// The advisory-lock key of a campaign's entries: 64 bits of the campaign
/// id, in a namespace of its own (the high bits name the purpose).
pub fn campaign_lock_key(campaign_id: Uuid) -> i64 {
    let bytes = campaign_id.as_u64_pair().0;
    // Top byte 0x45 ('E'): entries. Other lock users choose other bytes.
    ((bytes & 0x00FF_FFFF_FFFF_FFFF) | 0x4500_0000_0000_0000) as i64
}

/// Deadlocks and serialization failures: Postgres aborted the transaction
/// to resolve a conflict, and the whole batch may simply run again.
pub fn is_retryable(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "40P01" || code == "40001")
}

/// An accepted entry waiting for its number.
struct Accepted<'a> {
    index: usize,
    command: &'a RegisterParticipant,
    window: EntryWindow,
    day: NaiveDate,
}

pub(super) async fn write(
    pool: &PgPool,
    batch: &[&RegisterParticipant],
) -> Result<Vec<Outcome>, sqlx::Error> {
    let campaign_ids: BTreeSet<Uuid> = batch.iter().map(|c| c.campaign_id).collect();
    // The campaigns are locked as the transaction begins, in one round trip
    // (every batch of a campaign waits here, so its latency is the batch
    // rate's limit). The keys are integers we compute: nothing to escape.
    let mut begin = String::from("BEGIN");
    for campaign_id in &campaign_ids {
        begin.push_str(&format!(
            "; SELECT pg_advisory_xact_lock({})",
            campaign_lock_key(*campaign_id)
        ));
    }
    let mut tx = pool.begin_with(begin).await?;
    let (batch_time, existing) = clock_and_existing_pids(&mut tx, batch).await?;
    let ids: Vec<String> = campaign_ids.iter().map(Uuid::to_string).collect();
    let campaigns = load_campaigns(&mut tx, &ids).await?;

    let mut outcomes: Vec<Option<Outcome>> = vec![None; batch.len()];
    let mut seen = HashSet::new();
    let mut accepted = Vec::new();
    for (index, command) in batch.iter().enumerate() {
        match check(command, &campaigns, batch_time) {
            Err(refusal) => outcomes[index] = Some(Err(refusal)),
            Ok(_) if existing.contains(&command.pid) || !seen.insert(&command.pid) => {
                outcomes[index] = Some(Err(ParticipationError::AlreadyEntered.into()));
            }
            Ok(window) => accepted.push(Accepted {
                index,
                command,
                window,
                day: entry_number::entry_day(command.registered_at),
            }),
        }
    }

    let numbers = allocate_numbers(&mut tx, &accepted).await?;
    let mut rows: Vec<Row> = Vec::with_capacity(accepted.len());
    for (entry, number) in accepted.iter().zip(numbers) {
        // The window as read under the lock; the rule re-checks it against
        // the entry's own time, exactly as the aggregate would.
        let command = RegisterParticipant {
            entry_number: number.clone(),
            campaign: entry.window,
            ..(*entry.command).clone()
        };
        match decide_registration(&Participation::default(), command) {
            Ok(event) => rows.push(Row {
                id: entry.command.pid.clone(),
                event_type: event.event_type(),
                event_version: event.event_version(),
                // Serialised once, straight to text (no `Value` tree).
                payload: serde_json::to_string(&event)
                    .map_err(|e| sqlx::Error::Encode(Box::new(e)))?,
                index: entry.index,
                entry_number: number,
            }),
            Err(rule) => outcomes[entry.index] = Some(Err(rule.into())),
        }
    }
    insert(&mut tx, &mut rows, &mut outcomes).await?;
    tx.commit().await?;
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(RegistrationError::Unavailable("no outcome".into()))))
        .collect())
}

/// The campaign's rules for one entry at the batch's time.
fn check(
    command: &RegisterParticipant,
    campaigns: &HashMap<String, Campaign>,
    batch_time: chrono::DateTime<chrono::Utc>,
) -> Result<EntryWindow, RegistrationError> {
    let Some(campaign) = campaigns.get(&command.campaign_id.to_string()) else {
        return Err(RegistrationError::CampaignNotFound);
    };
    let window = campaign
        .entry_window()
        .ok_or(ParticipationError::CampaignNotOpen)?;
    ensure_entry_window_open(&window, batch_time)?;
    Ok(window)
}

/// The database's clock now (after the locks), and which of the batch's
/// pids are already registered: exact under the campaign locks, since every
/// other batch of these campaigns has committed. One round trip.
async fn clock_and_existing_pids(
    tx: &mut sqlx::PgConnection,
    batch: &[&RegisterParticipant],
) -> Result<(chrono::DateTime<chrono::Utc>, HashSet<String>), sqlx::Error> {
    let pids: Vec<&str> = batch.iter().map(|c| c.pid.as_str()).collect();
    // One primary-key lookup per pid. Written as `aggregate_id = ANY($2)`,
    // a table without statistics yet (a fresh database, before autovacuum's
    // first analyze) was planned as a scan of every registration's key with
    // the array as a filter: milliseconds per batch, growing with the
    // table, all inside the campaign's lock. A plain equality per pid is
    // always an index condition.
    let (now, found): (chrono::DateTime<chrono::Utc>, Vec<String>) = sqlx::query_as(
        "SELECT clock_timestamp(), ARRAY(SELECT p.id FROM unnest($2::text[]) AS p(id) \
         CROSS JOIN LATERAL (SELECT 1 FROM events e WHERE e.aggregate_type = $1 \
                             AND e.aggregate_id = p.id AND e.sequence = 1 LIMIT 1) AS found)",
    )
    .bind(Participation::TYPE)
    .bind(&pids)
    .fetch_one(&mut *tx)
    .await?;
    Ok((now, found.into_iter().collect()))
}

/// Consecutive numbers for the accepted entries, per campaign and day, in
/// batch order, from the counter rows (locked until commit).
async fn allocate_numbers(
    tx: &mut sqlx::PgConnection,
    accepted: &[Accepted<'_>],
) -> Result<Vec<String>, sqlx::Error> {
    let mut counts: HashMap<(Uuid, NaiveDate), i32> = HashMap::new();
    for entry in accepted {
        *counts
            .entry((entry.command.campaign_id, entry.day))
            .or_default() += 1;
    }
    let mut keys: Vec<_> = counts.keys().copied().collect();
    keys.sort();
    let mut next: HashMap<(Uuid, NaiveDate), i32> = HashMap::new();
    for key in keys {
        let n = counts[&key];
        let first: i32 = sqlx::query_scalar(
            "INSERT INTO entry_number_blocks (campaign_id, day, next_value) VALUES ($1, $2, 1 + $3) \
             ON CONFLICT (campaign_id, day) \
             DO UPDATE SET next_value = entry_number_blocks.next_value + $3 \
             RETURNING next_value - $3",
        )
        .bind(key.0)
        .bind(key.1)
        .bind(n)
        .fetch_one(&mut *tx)
        .await?;
        next.insert(key, first);
    }
    Ok(accepted
        .iter()
        .map(|entry| {
            let key = (entry.command.campaign_id, entry.day);
            let slot = next.get_mut(&key).expect("counted above");
            let sequence = *slot as u32;
            *slot += 1;
            entry_number::format(entry.command.campaign_id, entry.day, sequence)
        })
        .collect())
}

/// One event to insert, and where its outcome goes.
struct Row {
    id: String,
    event_type: String,
    event_version: String,
    payload: String,
    index: usize,
    entry_number: String,
}

/// Inserts the events sorted by aggregate id and records each outcome.
async fn insert(
    tx: &mut sqlx::PgConnection,
    rows: &mut [Row],
    outcomes: &mut [Option<Outcome>],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    // Sorted, so two transactions inserting overlapping keys take the index
    // locks in the same order and cannot deadlock.
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let types: Vec<&str> = rows.iter().map(|r| r.event_type.as_str()).collect();
    let versions: Vec<&str> = rows.iter().map(|r| r.event_version.as_str()).collect();
    let payloads: Vec<&str> = rows.iter().map(|r| r.payload.as_str()).collect();
    let inserted: Vec<String> = sqlx::query_scalar(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         SELECT $1, t.id, 1, t.event_type, t.event_version, t.payload::jsonb, '{}'::jsonb \
         FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[]) \
              AS t(id, event_type, event_version, payload) \
         ON CONFLICT DO NOTHING RETURNING aggregate_id",
    )
    .bind(Participation::TYPE)
    .bind(&ids)
    .bind(&types)
    .bind(&versions)
    .bind(&payloads)
    .fetch_all(&mut *tx)
    .await?;
    let inserted: HashSet<String> = inserted.into_iter().collect();
    for row in rows.iter() {
        outcomes[row.index] = Some(if inserted.contains(&row.id) {
            Ok(row.entry_number.clone())
        } else {
            // Cannot happen under the campaign lock; if it ever does, the
            // store's key still refuses the duplicate (its number is lost).
            Err(ParticipationError::AlreadyEntered.into())
        });
    }
    Ok(())
}
