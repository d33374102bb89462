//! Queries of the participant list: a filtered page newest first with its
//! total, the live count, every row for the export, and masked names of given
//! participants.

use chrono::{DateTime, Utc};
use promo_domain::channel::Channel;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::search::Search;

/// The list's filters, parsed.
#[derive(Debug, Default, Clone)]
pub struct Filters {
    pub channel: Option<Channel>,
    pub store_visited: Option<bool>,
    pub is_winner: Option<bool>,
    /// A name's initial, last 4 phone digits or an entry's sequence number,
    /// or a whole entry number (the `search` module says how).
    pub q: Option<String>,
}

impl Filters {
    fn push_where(&self, builder: &mut QueryBuilder<'_, Postgres>, campaign_id: Uuid) {
        builder.push(" WHERE campaign_id = ").push_bind(campaign_id);
        if let Some(channel) = self.channel {
            builder.push(" AND channel = ").push_bind(channel.as_str());
        }
        if let Some(visited) = self.store_visited {
            builder.push(" AND store_visited = ").push_bind(visited);
        }
        if let Some(winner) = self.is_winner {
            builder.push(" AND is_winner = ").push_bind(winner);
        }
        if let Some(q) = &self.q {
            Search::parse(q).push_condition(builder);
        }
    }
}

/// One participant as the owner sees it (masked).
#[derive(Debug, Clone)]
pub struct ParticipantRow {
    pub participant_id: Uuid,
    pub entry_number: String,
    pub name_masked: String,
    pub phone_masked: String,
    pub channel: String,
    pub store_visited: bool,
    pub bonus_entries: i32,
    pub participated_at: DateTime<Utc>,
    pub is_winner: bool,
    pub winner_rank: Option<i32>,
    /// Read by the export only (`None` elsewhere).
    pub agree_marketing: Option<bool>,
}

const COLUMNS: &str = "participant_id, entry_number, name_masked, phone_masked, channel, \
                       store_visited, bonus_entries, participated_at, is_winner, winner_rank";
const NEWEST_FIRST: &str = " ORDER BY participated_at DESC, participant_id DESC";

fn row(row: &sqlx::postgres::PgRow) -> Result<ParticipantRow, sqlx::Error> {
    Ok(ParticipantRow {
        participant_id: row.try_get("participant_id")?,
        entry_number: row.try_get("entry_number")?,
        name_masked: row.try_get("name_masked")?,
        phone_masked: row.try_get("phone_masked")?,
        channel: row.try_get("channel")?,
        store_visited: row.try_get("store_visited")?,
        bonus_entries: row.try_get("bonus_entries")?,
        participated_at: row.try_get("participated_at")?,
        is_winner: row.try_get("is_winner")?,
        winner_rank: row.try_get("winner_rank")?,
        agree_marketing: row.try_get("agree_marketing").ok(),
    })
}

/// One page (from 1) of the filtered list, newest first, and the total,
/// both read from one snapshot so they always agree (the projector may
/// commit between the two statements otherwise).
pub async fn page(
    pool: &PgPool,
    campaign_id: Uuid,
    filters: &Filters,
    page: i64,
    size: i64,
) -> Result<(Vec<ParticipantRow>, i64), sqlx::Error> {
    let mut select = QueryBuilder::new(format!("SELECT {COLUMNS} FROM participants"));
    filters.push_where(&mut select, campaign_id);
    select
        .push(NEWEST_FIRST)
        .push(" LIMIT ")
        .push_bind(size)
        .push(" OFFSET ")
        .push_bind((page - 1) * size);
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    // The total first: it costs a few counter rows, and a page past it (or
    // of an empty filter) need not be looked for, which for a filter that
    // matches nobody would walk the whole campaign's index.
    let total = total(&mut tx, campaign_id, filters).await?;
    let rows = if (page - 1) * size < total {
        let rows = select.build().fetch_all(&mut *tx).await?;
        rows.iter().map(row).collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    Ok((rows, total))
}

/// The filtered list's total without a count over the campaign: the
/// facet counters give entrants per channel, store visit and name initial;
/// winners, who are few, are counted through their partial index and taken
/// from that (`isWinner=false`). Only a search by digits or entry number
/// counts rows, through its own index, and it finds few.
async fn total(
    tx: &mut sqlx::PgConnection,
    campaign_id: Uuid,
    filters: &Filters,
) -> Result<i64, sqlx::Error> {
    let search = filters.q.as_deref().map(Search::parse);
    let initial = match &search {
        None => None,
        Some(Search::Initial(initial)) => Some(initial.clone()),
        Some(_) => {
            let mut count = QueryBuilder::new("SELECT count(*) FROM participants");
            filters.push_where(&mut count, campaign_id);
            return count.build_query_scalar().fetch_one(&mut *tx).await;
        }
    };
    // The counters have the list's channel and store-visit columns, so the
    // list's own conditions select them.
    let facets = Filters {
        is_winner: None,
        q: None,
        ..filters.clone()
    };
    let mut listed =
        QueryBuilder::new("SELECT COALESCE(sum(total), 0)::int8 FROM participant_facet_counts");
    facets.push_where(&mut listed, campaign_id);
    if let Some(initial) = initial {
        listed.push(" AND initial = ").push_bind(initial);
    }
    let listed: i64 = listed.build_query_scalar().fetch_one(&mut *tx).await?;
    let Some(winner) = filters.is_winner else {
        return Ok(listed);
    };
    let mut winners = QueryBuilder::new("SELECT count(*) FROM participants");
    Filters {
        is_winner: Some(true),
        ..filters.clone()
    }
    .push_where(&mut winners, campaign_id);
    let winners: i64 = winners.build_query_scalar().fetch_one(&mut *tx).await?;
    Ok(if winner { winners } else { listed - winners })
}

/// How many have entered the campaign (the counter row the projector keeps,
/// not a count over the list): the console's live count.
pub async fn count(pool: &PgPool, campaign_id: Uuid) -> Result<i64, sqlx::Error> {
    Ok(
        sqlx::query_scalar("SELECT total FROM participant_counts WHERE campaign_id = $1")
            .bind(campaign_id)
            .fetch_optional(pool)
            .await?
            .unwrap_or(0),
    )
}

/// One page of the export: the filtered list newest first, after `after`
/// (the last row of the previous page), at most `limit` rows. Keyset paging
/// keeps each query short, so a slow download never holds a connection.
pub async fn export_page(
    pool: &PgPool,
    campaign_id: Uuid,
    filters: &Filters,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<ParticipantRow>, sqlx::Error> {
    let mut select = QueryBuilder::new(format!(
        "SELECT {COLUMNS}, agree_marketing FROM participants"
    ));
    filters.push_where(&mut select, campaign_id);
    if let Some((at, id)) = after {
        select
            .push(" AND (participated_at, participant_id) < (")
            .push_bind(at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    select.push(NEWEST_FIRST).push(" LIMIT ").push_bind(limit);
    let rows = select.build().fetch_all(pool).await?;
    rows.iter().map(row).collect()
}

/// Masked name and phone of the given participants that the list holds.
pub async fn masked_of(
    pool: &PgPool,
    campaign_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT participant_id, name_masked, phone_masked FROM participants \
         WHERE campaign_id = $1 AND participant_id = ANY($2)",
    )
    .bind(campaign_id)
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// One page of the entrants who consented to marketing, oldest first, after
/// `after` (the last participant id of the previous page): participant id
/// and entry number, nothing personal.
pub async fn marketing_consent_page(
    pool: &PgPool,
    campaign_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<(Uuid, String, DateTime<Utc>)>, sqlx::Error> {
    let (at, id) = after.unzip();
    sqlx::query_as(
        "SELECT participant_id, entry_number, participated_at FROM participants \
         WHERE campaign_id = $1 AND agree_marketing \
         AND ($2::timestamptz IS NULL OR (participated_at, participant_id) > ($2, $3::uuid)) \
         ORDER BY participated_at, participant_id LIMIT $4",
    )
    .bind(campaign_id)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(pool)
    .await
}
