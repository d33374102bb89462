//! Owner reads at campaign scale: the participant list's first page, the
//! list under each filter and search the console offers, and the analytics
//! dashboard, over N entrants stored in the participant read model.

use std::time::Instant;

use sqlx::PgPool;
use uuid::Uuid;

use super::owner::Owner;
use super::report::{row, Row};
use super::sizes::Sizes;
use super::stats::Latencies;

/// Winners the seeded campaign has (a draw's worth).
const WINNERS: i64 = 10;

/// Fills the participant read model of `campaign` with `rows` entrants,
/// server-side, as the projector would have: Korean surnames in their real
/// proportions (김 21 %, 이 15 %, 박 8 %, …), entry numbers of 1,000 a day,
/// phones ending in every 4 digits, six channels, a fifth visited the
/// store, and `WINNERS` winners; then the facet counters and the statistics
/// autovacuum would have gathered.
async fn seed_participants(pool: &PgPool, campaign: Uuid, rows: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO participants (campaign_id, participant_id, pid, entry_number, name_masked, phone_masked, \
         phone_last4, channel, store_visited, bonus_entries, agree_marketing, participated_at, is_winner, winner_rank) \
         SELECT $1, md5(i::text || $1::text)::uuid, md5(i::text) || md5(i::text || 'x'), \
                'EVTBENCH0-' || to_char(date '2026-01-01' + (i / 1000)::int, 'YYYYMMDD') || '-' \
                    || lpad((1 + i % 1000)::text, 3, '0'), \
                (ARRAY['김','김','김','김','이','이','이','박','박','최','정','강','조','윤','장','임', \
                       '한','오','서','신'])[1 + (i * 7) % 20] || '**', \
                '010-****-' || lpad((i % 10000)::text, 4, '0'), lpad((i % 10000)::text, 4, '0'), \
                (ARRAY['URIDONGNETV','GINITV','INSTAGRAM','NAVER','KAKAO','STORE_QR'])[1 + i % 6], \
                i % 5 = 0, CASE WHEN i % 5 = 0 THEN 3 ELSE 1 END, false, \
                now() - make_interval(secs => i), i % ($2 / $3) = 0 AND i / ($2 / $3) <= $3, \
                CASE WHEN i % ($2 / $3) = 0 AND i / ($2 / $3) <= $3 THEN (i / ($2 / $3))::int END \
         FROM generate_series(1, $2) AS i",
    )
    .bind(campaign)
    .bind(rows)
    .bind(WINNERS)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO participant_counts (campaign_id, total) VALUES ($1, $2) \
         ON CONFLICT (campaign_id) DO UPDATE SET total = participant_counts.total + $2",
    )
    .bind(campaign)
    .bind(rows)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO participant_facet_counts (campaign_id, channel, store_visited, initial, total) \
         SELECT campaign_id, channel, store_visited, left(name_masked, 1), count(*) FROM participants \
         WHERE campaign_id = $1 GROUP BY 1, 2, 3, 4",
    )
    .bind(campaign)
    .execute(pool)
    .await?;
    sqlx::query("VACUUM ANALYZE participants")
        .execute(pool)
        .await?;
    Ok(())
}

/// Sequential GETs of `path` with an owner token; latencies of 200 answers.
async fn read_latency(
    base_url: &str,
    path: &str,
    token: &str,
    requests: usize,
) -> anyhow::Result<Latencies> {
    let client = reqwest::Client::new();
    let mut latencies = Latencies::default();
    for _ in 0..requests {
        let sent = Instant::now();
        let response = client
            .get(format!("{base_url}{path}"))
            .bearer_auth(token)
            .send()
            .await?;
        let status = response.status();
        let _ = response.bytes().await?;
        anyhow::ensure!(status.is_success(), "GET {path}: {status}");
        latencies.record(sent.elapsed());
    }
    Ok(latencies)
}

/// The filters and searches measured, as the console sends them.
const FILTERS: [(&str, &str); 9] = [
    ("channel", "channel=KAKAO"),
    ("a channel nobody entered through", "channel=RINGOBIZ"),
    ("store visited", "storeVisited=true"),
    ("winners", "isWinner=true"),
    ("not winners", "isWinner=false"),
    (
        "channel + store visited",
        "channel=NAVER&storeVisited=false",
    ),
    ("search: last 4 phone digits", "q=4321"),
    ("search: entry sequence", "q=512"),
    ("search: name initial", "q=%EA%B9%80"),
];

/// Owner read figures over a campaign seeded with `sizes.list_rows` entrants.
pub(super) async fn measure_owner_reads(
    owner: &Owner,
    pool: &PgPool,
    base: &str,
    sizes: &Sizes,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let token = &owner.token;
    eprintln!("bench: owner reads at {} entrants", sizes.list_rows);
    let big = owner.create_campaign(base).await?;
    seed_participants(pool, big, sizes.list_rows).await?;
    let list = format!("/api/v1/events/{big}/participants?page=1&size=20");
    let mut page = read_latency(base, &list, token, sizes.reads).await?;
    let page_p99 = page.percentile_ms(99.0);
    rows.push(row(
        format!(
            "Participant list page 1 (size 20) at {} entrants p50 / p99",
            sizes.list_rows
        ),
        format!("{:.2} / {page_p99:.2} ms", page.percentile_ms(50.0)),
        "p99 ≤ 5 ms",
        Some(page_p99 <= 5.0),
    ));
    for (name, query) in FILTERS {
        let path = format!("{list}&{query}");
        let mut filtered = read_latency(base, &path, token, sizes.reads / 2).await?;
        let p99 = filtered.percentile_ms(99.0);
        rows.push(row(
            format!("  filtered: {name} (`{query}`) p50 / p99"),
            format!("{:.2} / {p99:.2} ms", filtered.percentile_ms(50.0)),
            "p99 ≤ 5 ms",
            Some(p99 <= 5.0),
        ));
    }
    rows.push(dashboard_row(owner, base, big, sizes).await?);
    Ok(())
}

/// The analytics dashboard's read latency.
async fn dashboard_row(owner: &Owner, base: &str, big: Uuid, sizes: &Sizes) -> anyhow::Result<Row> {
    let dashboard_path = format!("/api/v1/events/{big}/analytics");
    let mut dash = read_latency(base, &dashboard_path, &owner.token, sizes.reads).await?;
    let p99 = dash.percentile_ms(99.0);
    Ok(row(
        "Analytics dashboard p50 / p99",
        format!("{:.2} / {p99:.2} ms", dash.percentile_ms(50.0)),
        "p99 ≤ 5 ms",
        Some(p99 <= 5.0),
    ))
}
