//! Work at campaign scale: a weighted draw and its verification over N
//! entrants, and owner reads (list page, dashboard) over N stored entrants.

use std::time::{Duration, Instant};

use promo_domain::draw_protocol::{self, Algorithm, CanonicalList, DrawParams, Entrant};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::owner::Owner;
use super::report::{row, Row};
use super::sizes::Sizes;
use super::stats::Latencies;

struct DrawTimes {
    canonicalise: Duration,
    run: Duration,
    verify: Duration,
}

/// Weighted draw over `entrants` synthetic entrants (every third visited the
/// store: weight 3), then an independent verification of the published record.
fn weighted_draw(entrants: usize) -> anyhow::Result<DrawTimes> {
    let list: Vec<Entrant> = (0..entrants as u64)
        .map(|i| Entrant {
            pid: Sha256::digest(i.to_le_bytes()).into(),
            weight: if i % 3 == 0 { 3 } else { 1 },
        })
        .collect();
    let server_seed = [7u8; 32];
    let params = DrawParams {
        campaign_id: Uuid::from_u128(1),
        algorithm: Algorithm::Weighted,
        winner_count: 10,
    };
    let started = Instant::now();
    let list = CanonicalList::new(list)?;
    let canonicalise = started.elapsed();
    let started = Instant::now();
    let outcome = draw_protocol::run(&server_seed, &list, &params)?;
    let run = started.elapsed();
    let published = draw_protocol::PublishedDraw::new(&server_seed, &list, &params, &outcome)
        .with_alternates_limit(100);
    let started = Instant::now();
    let verdict = draw_protocol::verify(&published, &list);
    let verify = started.elapsed();
    anyhow::ensure!(
        verdict.is_match(),
        "verification of an honest draw failed: {verdict:?}"
    );
    Ok(DrawTimes {
        canonicalise,
        run,
        verify,
    })
}

/// Fills the participant read model of `campaign` with `rows` entrants,
/// server-side, as the projector would have.
async fn seed_participants(pool: &PgPool, campaign: Uuid, rows: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO participants (campaign_id, participant_id, pid, entry_number, name_masked, phone_masked, \
         phone_last4, channel, store_visited, bonus_entries, agree_marketing, participated_at) \
         SELECT $1, md5(i::text || $1::text)::uuid, md5(i::text) || md5(i::text || 'x'), \
                'EVTBENCH-' || i, '김**', '010-****-' || lpad((i % 10000)::text, 4, '0'), \
                lpad((i % 10000)::text, 4, '0'), \
                (ARRAY['URIDONGNETV','GINITV','INSTAGRAM','NAVER','KAKAO','STORE_QR'])[1 + i % 6], \
                i % 3 = 0, CASE WHEN i % 3 = 0 THEN 3 ELSE 1 END, false, \
                now() - make_interval(secs => i) \
         FROM generate_series(1, $2) AS i",
    )
    .bind(campaign)
    .bind(rows)
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
    sqlx::query("ANALYZE participants").execute(pool).await?;
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

/// The draw figure: canonical list, run and verification times at `sizes.entrants`.
pub(super) fn measure_draw(sizes: &Sizes, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    eprintln!("bench: weighted draw at {} entrants", sizes.entrants);
    let draw = weighted_draw(sizes.entrants)?;
    rows.push(row(
        format!(
            "Weighted draw, {} entrants: canonical list / run / verify",
            sizes.entrants
        ),
        format!(
            "{} / {} / {} ms",
            draw.canonicalise.as_millis(),
            draw.run.as_millis(),
            draw.verify.as_millis()
        ),
        "well under 1 s",
        Some((draw.canonicalise + draw.run) < Duration::from_secs(1)),
    ));
    Ok(())
}

/// Owner read figures over a campaign seeded with `sizes.list_rows` entrants: the participant
/// list's first page, the list filtered by channel, and the analytics dashboard.
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
    let mut page = read_latency(
        base,
        &format!("/api/v1/events/{big}/participants?page=1&size=20"),
        token,
        sizes.reads,
    )
    .await?;
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
    let mut filtered = read_latency(
        base,
        &format!("/api/v1/events/{big}/participants?page=1&size=20&channel=KAKAO"),
        token,
        sizes.reads / 5,
    )
    .await?;
    rows.push(row(
        format!(
            "Participant list filtered by channel at {} entrants p50 / p99",
            sizes.list_rows
        ),
        format!(
            "{:.2} / {:.2} ms",
            filtered.percentile_ms(50.0),
            filtered.percentile_ms(99.0)
        ),
        "",
        None,
    ));
    rows.push(dashboard_row(owner, base, big, sizes).await?);
    Ok(())
}

/// The analytics dashboard's read latency, or a note when this build serves none.
async fn dashboard_row(owner: &Owner, base: &str, big: Uuid, sizes: &Sizes) -> anyhow::Result<Row> {
    let token = &owner.token;
    let dashboard_path = format!("/api/v1/events/{big}/analytics");
    let has_dashboard = owner
        .client
        .get(format!("{base}{dashboard_path}"))
        .bearer_auth(token)
        .send()
        .await?
        .status()
        .is_success();
    if !has_dashboard {
        return Ok(row(
            "Analytics dashboard",
            "not measured: endpoint not available",
            "p99 ≤ 5 ms",
            None,
        ));
    }
    let mut dash = read_latency(base, &dashboard_path, token, sizes.reads).await?;
    let p99 = dash.percentile_ms(99.0);
    Ok(row(
        "Analytics dashboard p50 / p99",
        format!("{:.2} / {p99:.2} ms", dash.percentile_ms(50.0)),
        "p99 ≤ 5 ms",
        Some(p99 <= 5.0),
    ))
}
