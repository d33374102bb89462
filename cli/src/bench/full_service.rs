//! Registrations against the full service (relay and projectors on the same cores): peak
//! throughput in a closed loop, latency at 80% of that peak in an open loop, and the lag from
//! commit to the participant list at a steady offered rate.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::load::{self, Phones};
use super::owner::Owner;
use super::report::{row, Row};
use super::sizes::Sizes;
use super::store::Baselines;

/// What the later figures need from the peak run.
pub(super) struct PeakRun {
    campaign: Uuid,
    phones: Arc<Phones>,
    throughput: f64,
    created: u64,
}

/// What the lag figure needs from the run at 80% of peak.
pub(super) struct SteadyRun {
    offered: u64,
    created: u64,
}

/// Peak registrations in a closed loop, as a ratio to the baselines, and latency at the peak.
pub(super) async fn measure_peak(
    owner: &Owner,
    base: &str,
    sizes: &Sizes,
    baselines: Baselines,
    rows: &mut Vec<Row>,
) -> anyhow::Result<PeakRun> {
    let c = sizes.clients;
    let Baselines {
        insert_limit: insert_c,
        cqrs,
    } = baselines;
    eprintln!("bench: HTTP registrations, closed loop");
    let campaign = owner.create_campaign(base).await?;
    let phones = Arc::new(Phones::new(0, 20));
    let mut peak = load::closed_loop(base, campaign, c, sizes.run, phones.clone()).await;
    let throughput = peak.throughput();
    rows.push(row(
        format!("HTTP POST /participations, full service (relay + 5 projectors on the same 2 cores), {c} connections"),
        format!(
            "{throughput:.0}/s ({} created, {} duplicates, {} errors)",
            peak.created, peak.duplicates, peak.errors
        ),
        "≥ 1.0× insert limit, 0 errors",
        Some(throughput >= insert_c && peak.errors == 0),
    ));
    rows.push(row(
        "  ratio to insert limit / to cqrs-es",
        format!("{:.2}× / {:.2}×", throughput / insert_c, throughput / cqrs),
        "1.0× / –",
        None,
    ));
    rows.push(row(
        "  latency at peak p50 / p99 / max",
        format!(
            "{:.1} / {:.1} / {:.1} ms",
            peak.latencies.percentile_ms(50.0),
            peak.latencies.percentile_ms(99.0),
            peak.latencies.max_ms()
        ),
        "",
        None,
    ));
    Ok(PeakRun {
        campaign,
        phones,
        throughput,
        created: peak.created,
    })
}

/// Latency with requests offered at 80% of the peak rate, whatever the answers' pace.
pub(super) async fn measure_steady_latency(
    base: &str,
    peak: &PeakRun,
    sizes: &Sizes,
    rows: &mut Vec<Row>,
) -> anyhow::Result<SteadyRun> {
    eprintln!("bench: HTTP at 80% of peak, open loop");
    let offered = (peak.throughput * 0.8).max(1.0) as u64;
    let mut steady =
        load::open_loop(base, peak.campaign, offered, sizes.run, peak.phones.clone()).await;
    let p99 = steady.latencies.percentile_ms(99.0);
    rows.push(row(
        format!("HTTP latency at 80% of peak ({offered}/s offered) p50 / p99"),
        format!(
            "{:.1} / {p99:.1} ms ({} errors)",
            steady.latencies.percentile_ms(50.0),
            steady.errors
        ),
        "p99 ≤ 20 ms",
        Some(p99 <= 20.0 && steady.errors == 0),
    ));
    Ok(SteadyRun {
        offered,
        created: steady.created,
    })
}

/// Commit → participant-list lag of a fresh campaign at 80% of the full
/// service's peak.
pub(super) async fn measure_projection_lag(
    owner: &Owner,
    pool: &sqlx::PgPool,
    base: &str,
    peak: &PeakRun,
    steady: &SteadyRun,
    sizes: &Sizes,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    // Lag is measured at a steady offered load, not behind the backlog the
    // throughput runs left: let the participant list catch up first.
    wait_until_listed(pool, peak.campaign, (peak.created + steady.created) as i64).await?;
    eprintln!("bench: projection lag");
    let lag_campaign = owner.create_campaign(base).await?;
    let lag_rate = steady.offered;
    let lag_load = load::open_loop(
        base,
        lag_campaign,
        lag_rate,
        sizes.run,
        Arc::new(Phones::new(50_000_000, 0)),
    )
    .await;
    let (lag_p50, lag_p99) = lag_percentiles(pool, lag_campaign, lag_load.created as i64).await?;
    rows.push(row(
        format!("Projection lag commit → participant list at {lag_rate}/s p50 / p99"),
        format!("{lag_p50:.1} / {lag_p99:.1} ms"),
        "p99 ≤ 50 ms at 80% of peak",
        Some(lag_p99 <= 50.0),
    ));
    Ok(())
}

/// Waits until `campaign` lists `expected` participants (bounded).
async fn wait_until_listed(
    pool: &sqlx::PgPool,
    campaign: Uuid,
    expected: i64,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM participants WHERE campaign_id = $1")
            .bind(campaign)
            .fetch_one(pool)
            .await?;
        if n >= expected {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "projection did not catch up ({n}/{expected})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// p50/p99 of commit → participant row, for `expected` entries of `campaign`.
async fn lag_percentiles(
    pool: &sqlx::PgPool,
    campaign: Uuid,
    expected: i64,
) -> anyhow::Result<(f64, f64)> {
    wait_until_listed(pool, campaign, expected).await?;
    let (p50, p99): (f64, f64) = sqlx::query_as(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) \
         FROM (SELECT extract(epoch FROM p.projected_at - e.recorded_at) * 1000 AS lag \
               FROM participants p JOIN events e ON e.aggregate_type = 'Participation' AND e.aggregate_id = p.pid \
               WHERE p.campaign_id = $1) l",
    )
    .bind(campaign)
    .fetch_one(pool)
    .await?;
    Ok((p50, p99))
}
