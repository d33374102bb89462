//! Registrations read straight from the event store, for the draw: the
//! frozen entrant list (every `ParticipantRegistered` of a campaign, never a
//! read model that may lag), the sealed personal data of given participants,
//! and the canonical list text stored under its own hash before the draw is
//! recorded. The payload paths are the codec's ([`crate::codec::sql`]).

use futures::TryStreamExt;
use promo_domain::draw::FrozenEntrant;
use promo_domain::draw_protocol::{self, hex32, CanonicalList};
use promo_domain::privacy::SealedPersonalData;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::codec::sql::{registered as field, REGISTERED, REGISTERED_TYPE};
use crate::codec::CURRENT_VERSION;
use crate::store::StoreError;

const PARTICIPATION: &str = "Participation";

/// Every entrant of the campaign, from the event store.
pub async fn frozen_entrants(
    pool: &PgPool,
    campaign_id: Uuid,
) -> Result<Vec<FrozenEntrant>, StoreError> {
    let sql = format!(
        "SELECT event_version, {REGISTERED} ->> '{pid}' AS pid, \
         ({REGISTERED} ->> '{bonus}')::int AS bonus_entries, \
         ({REGISTERED} ->> '{participant}')::uuid AS participant_id, \
         {REGISTERED} ->> '{entry}' AS entry_number \
         FROM events WHERE aggregate_type = $1 AND event_type = $2 \
         AND {REGISTERED} ->> '{campaign}' = $3",
        pid = field::PID,
        bonus = field::BONUS_ENTRIES,
        participant = field::PARTICIPANT_ID,
        entry = field::ENTRY_NUMBER,
        campaign = field::CAMPAIGN_ID,
    );
    let mut rows = sqlx::query(&sql)
        .bind(PARTICIPATION)
        .bind(REGISTERED_TYPE)
        .bind(campaign_id.to_string())
        .fetch(pool);
    let malformed = |what: &str| StoreError::Malformed(format!("a registration has {what}"));
    let mut entrants = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let version: String = row.try_get("event_version")?;
        if version != CURRENT_VERSION {
            // A new shape needs teaching here; never draw from a partial list.
            return Err(StoreError::Malformed(format!(
                "ParticipantRegistered version {version} is not readable by the draw"
            )));
        }
        let pid: Option<String> = row.try_get("pid")?;
        let pid = pid
            .as_deref()
            .and_then(draw_protocol::parse_hex32)
            .ok_or_else(|| malformed("a malformed pid"))?;
        let bonus_entries: Option<i32> = row.try_get("bonus_entries")?;
        let bonus_entries = bonus_entries
            .and_then(|b| u8::try_from(b).ok())
            .ok_or_else(|| malformed("malformed bonus entries"))?;
        let participant_id: Option<Uuid> = row.try_get("participant_id")?;
        let entry_number: Option<String> = row.try_get("entry_number")?;
        let (Some(participant_id), Some(entry_number)) = (participant_id, entry_number) else {
            return Err(malformed("no participant id or entry number"));
        };
        entrants.push(FrozenEntrant {
            pid,
            bonus_entries,
            participant_id,
            entry_number,
        });
    }
    Ok(entrants)
}

/// The sealed name and phone of the given participants of a campaign.
pub async fn sealed_personal_data(
    pool: &PgPool,
    campaign_id: Uuid,
    participant_ids: &[Uuid],
) -> Result<Vec<(Uuid, SealedPersonalData)>, StoreError> {
    let ids: Vec<String> = participant_ids.iter().map(Uuid::to_string).collect();
    let sql = format!(
        "SELECT ({REGISTERED} ->> '{participant}')::uuid AS participant_id, \
         {REGISTERED} -> '{sealed}' AS sealed FROM events \
         WHERE aggregate_type = $1 AND event_type = $2 \
         AND {REGISTERED} ->> '{campaign}' = $3 AND {REGISTERED} ->> '{participant}' = ANY($4)",
        participant = field::PARTICIPANT_ID,
        sealed = field::PERSONAL_DATA,
        campaign = field::CAMPAIGN_ID,
    );
    let rows = sqlx::query(&sql)
        .bind(PARTICIPATION)
        .bind(REGISTERED_TYPE)
        .bind(campaign_id.to_string())
        .bind(&ids)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            let sealed: serde_json::Value = row.try_get("sealed")?;
            let sealed = serde_json::from_value(sealed)
                .map_err(|e| StoreError::Malformed(format!("sealed personal data: {e}")))?;
            Ok((row.try_get("participant_id")?, sealed))
        })
        .collect()
}

/// Stores the canonical list text under its own hash (idempotent). Done
/// before the draw is recorded, so the list a recorded `listHash` names
/// always exists; content addressing keeps concurrent attempts harmless.
pub async fn store_entrant_list(
    pool: &PgPool,
    campaign_id: Uuid,
    list: &CanonicalList,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO draw_entrant_lists (campaign_id, list_hash, list_bytes) VALUES ($1, $2, $3) \
         ON CONFLICT (campaign_id, list_hash) DO NOTHING",
    )
    .bind(campaign_id)
    .bind(hex32(&list.hash()))
    .bind(list.text().into_bytes())
    .execute(pool)
    .await?;
    Ok(())
}

/// `len` bytes of the canonical list text (ASCII) from byte `offset`: empty
/// past the end, `None` if no list with that hash is stored. The list is
/// stored uncompressed out of line, so a range reads only the storage it
/// covers, and serving the list chunk by chunk keeps it out of memory on
/// both sides.
pub async fn entrant_list_chunk(
    pool: &PgPool,
    campaign_id: Uuid,
    list_hash: &str,
    offset: i32,
    len: i32,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT substring(list_bytes FROM $3 + 1 FOR $4) FROM draw_entrant_lists \
         WHERE campaign_id = $1 AND list_hash = $2",
    )
    .bind(campaign_id)
    .bind(list_hash)
    .bind(offset)
    .bind(len)
    .fetch_optional(pool)
    .await?)
}

/// Whether the canonical list with the given hash holds the pid (lowercase
/// hex). Every line is `<64 hex>,<weight>\n` and the weights are decimal, so
/// 64 hex digits followed by `,` can only be a whole pid: a substring
/// search in the database answers without sending the list over the wire.
pub async fn entrant_list_contains(
    pool: &PgPool,
    campaign_id: Uuid,
    list_hash: &str,
    pid: &str,
) -> Result<Option<bool>, StoreError> {
    if draw_protocol::parse_hex32(pid).is_none() || pid.bytes().any(|b| b.is_ascii_uppercase()) {
        return Ok(Some(false));
    }
    Ok(sqlx::query_scalar(
        "SELECT position(convert_to($3 || ',', 'UTF8') IN list_bytes) > 0 FROM draw_entrant_lists \
         WHERE campaign_id = $1 AND list_hash = $2",
    )
    .bind(campaign_id)
    .bind(list_hash)
    .bind(pid)
    .fetch_optional(pool)
    .await?)
}
