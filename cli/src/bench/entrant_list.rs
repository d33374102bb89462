//! The public entrant list under load: a campaign of N entrants is drawn on
//! an API-only instance, then 50 clients download its frozen list at once
//! while the service's resident memory is sampled. The list is streamed in
//! chunks from the database, so memory must stay flat however long it is.

use std::time::{Duration, Instant};

use anyhow::Context;
use promo_eventstore::codec::CURRENT_VERSION;
use sqlx::PgPool;
use uuid::Uuid;

use super::owner::Owner;
use super::report::{row, Row};
use super::service::ServiceProcess;
use super::sizes::Sizes;

/// Concurrent downloads (the figure).
const DOWNLOADS: usize = 50;
/// The resident-memory ceiling the figure is held to.
const RSS_CEILING_MB: f64 = 300.0;

/// Writes `entrants` registrations of `campaign` straight into the store, in
/// the shape the aggregate produces, and the matching participant rows (the
/// draw names its winners from those, so no sealed data is ever opened).
async fn seed_entrants(pool: &PgPool, campaign: Uuid, entrants: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         SELECT 'Participation', md5(i::text) || md5(i::text || 'p'), 1, 'ParticipantRegistered', $3, \
                jsonb_build_object('ParticipantRegistered', jsonb_build_object( \
                    'participantId', md5(i::text || 'id')::uuid, 'campaignId', $1::uuid, \
                    'pid', md5(i::text) || md5(i::text || 'p'), 'entryNumber', 'EVTBENCH1-20260101-' || i, \
                    'channel', 'INSTAGRAM', 'storeVisited', i % 3 = 0, \
                    'bonusEntries', CASE WHEN i % 3 = 0 THEN 3 ELSE 1 END, 'agreeMarketing', false, \
                    'personalData', jsonb_build_object('nonce', 'AAAAAAAAAAAAAAAA', 'ciphertext', 'AAAA'), \
                    'registeredAt', to_jsonb(now()))), \
                '{}'::jsonb \
         FROM generate_series(1, $2) AS i",
    )
    .bind(campaign)
    .bind(entrants)
    .bind(CURRENT_VERSION)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO participants (campaign_id, participant_id, pid, entry_number, name_masked, phone_masked, \
         phone_last4, channel, store_visited, bonus_entries, agree_marketing, participated_at) \
         SELECT $1, md5(i::text || 'id')::uuid, md5(i::text) || md5(i::text || 'p'), 'EVTBENCH1-20260101-' || i, \
                '김**', '010-****-0000', '0000', 'INSTAGRAM', i % 3 = 0, \
                CASE WHEN i % 3 = 0 THEN 3 ELSE 1 END, false, now() \
         FROM generate_series(1, $2) AS i",
    )
    .bind(campaign)
    .bind(entrants)
    .execute(pool)
    .await?;
    Ok(())
}

/// Resident set size of a process in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    super::service::status_kib(pid, "VmRSS:")
}

/// Downloads the list once; returns its length in bytes.
async fn download(client: reqwest::Client, url: String) -> anyhow::Result<u64> {
    let mut response = client.get(&url).send().await?;
    anyhow::ensure!(
        response.status().is_success(),
        "GET {url}: {}",
        response.status()
    );
    let mut bytes = 0u64;
    while let Some(chunk) = response.chunk().await? {
        bytes += chunk.len() as u64;
    }
    Ok(bytes)
}

/// The entrant-list figure: `DOWNLOADS` concurrent downloads of the list of
/// a campaign of `sizes.entrants` entrants from `api` (whose database is
/// `pool`), with the service's peak resident memory while they ran.
pub(super) async fn measure_downloads(
    owner: &Owner,
    api: &ServiceProcess,
    pool: &PgPool,
    sizes: &Sizes,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let entrants = sizes.entrants as i64;
    eprintln!("bench: {DOWNLOADS} concurrent entrant-list downloads at {entrants} entrants");
    let base = &api.base_url;
    let campaign = owner.create_campaign(base).await?;
    seed_entrants(pool, campaign, entrants).await?;
    for (path, body) in [
        ("end", serde_json::json!({})),
        ("draw-winners", serde_json::json!({})),
    ] {
        let response = owner
            .client
            .post(format!("{base}/api/v1/events/{campaign}/{path}"))
            .bearer_auth(&owner.token)
            .json(&body)
            .timeout(Duration::from_secs(300))
            .send()
            .await?;
        let status = response.status();
        anyhow::ensure!(
            status.is_success(),
            "{path}: {status} {}",
            response.text().await.unwrap_or_default()
        );
    }
    let pid = api.pid().context("the service has exited")?;
    let before = rss_kib(pid).unwrap_or(0);
    let url = format!("{base}/api/v1/events/{campaign}/draw/entrants");
    let client = reqwest::Client::new();
    let started = Instant::now();
    let downloads: Vec<_> = (0..DOWNLOADS)
        .map(|_| tokio::spawn(download(client.clone(), url.clone())))
        .collect();
    let mut peak = before;
    while !downloads.iter().all(|d| d.is_finished()) {
        peak = peak.max(rss_kib(pid).unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    let mut lengths = Vec::with_capacity(DOWNLOADS);
    for download in downloads {
        lengths.push(download.await??);
    }
    anyhow::ensure!(
        lengths.windows(2).all(|pair| pair[0] == pair[1]),
        "the downloads differ in length: {lengths:?}"
    );
    let bytes: u64 = lengths.iter().sum();
    let peak_mb = peak as f64 * 1024.0 / 1e6;
    rows.push(row(
        format!(
            "Public entrant list, {entrants} entrants ({:.0} MB): {DOWNLOADS} concurrent downloads",
            (bytes / DOWNLOADS as u64) as f64 / 1e6
        ),
        format!(
            "service RSS {:.0} MB before, peak {peak_mb:.0} MB during; all done in {:.1} s ({:.0} MB/s)",
            before as f64 * 1024.0 / 1e6,
            elapsed.as_secs_f64(),
            bytes as f64 / 1e6 / elapsed.as_secs_f64()
        ),
        "RSS < 300 MB",
        Some(peak_mb < RSS_CEILING_MB),
    ));
    Ok(())
}
