//! Work at campaign scale: a weighted draw and its verification over N
//! entrants, and owner reads (list page, dashboard) over N stored entrants.

use std::time::{Duration, Instant};

use promo_domain::draw_protocol::{self, Algorithm, CanonicalList, DrawParams, Entrant};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::stats::Latencies;

pub struct DrawTimes {
    pub canonicalise: Duration,
    pub run: Duration,
    pub verify: Duration,
}

/// Weighted draw over `entrants` synthetic entrants (every third visited the
/// store: weight 3), then an independent verification of the published record.
pub fn weighted_draw(entrants: usize) -> anyhow::Result<DrawTimes> {
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
pub async fn seed_participants(pool: &PgPool, campaign: Uuid, rows: i64) -> anyhow::Result<()> {
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
pub async fn read_latency(
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
