//! The write path alone: registrations over HTTP against an API-only instance (no relay, no
//! projectors), with where the CPU went per request.

use std::sync::Arc;

use super::load::{self, LoadResult, Phones};
use super::owner::{Owner, SECRET};
use super::report::{row, Row};
use super::service::ServiceProcess;
use super::sizes::Sizes;
use super::stats::cpu;
use super::store::Baselines;

/// CPU ticks of the service, of this process (the load generator) and of the whole machine.
type CpuTicks = (Option<u64>, Option<u64>, Option<u64>);

fn cpu_ticks(service_pid: u32) -> CpuTicks {
    (
        cpu::process_ticks(service_pid),
        cpu::process_ticks(std::process::id()),
        cpu::machine_busy_ticks(),
    )
}

/// The API-only registration figure and, when /proc could be read, its CPU breakdown.
pub(super) async fn measure_write_path(
    owner: &Owner,
    database_url: &str,
    nats_url: &str,
    prefix: &str,
    sizes: &Sizes,
    baselines: Baselines,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let c = sizes.clients;
    eprintln!("bench: HTTP registrations on an API-only instance (write path alone)");
    let api_only = ServiceProcess::start(
        false,
        database_url,
        nats_url,
        &format!("{prefix}api"),
        SECRET,
    )
    .await?;
    let api_campaign = owner.create_campaign(&api_only.base_url).await?;
    let service_pid = api_only.pid().unwrap_or(0);
    let cpu_before = cpu_ticks(service_pid);
    let mut write_path = load::closed_loop(
        &api_only.base_url,
        api_campaign,
        c,
        sizes.run,
        Arc::new(Phones::new(20_000_000, 20)),
    )
    .await;
    let cpu_after = cpu_ticks(service_pid);
    let write_throughput = write_path.throughput();
    eprintln!("bench: write path at 80% of its peak, open loop");
    let offered = (write_throughput * 0.8).max(1.0) as u64;
    let mut steady = load::open_loop(
        &api_only.base_url,
        api_campaign,
        offered,
        sizes.run,
        Arc::new(Phones::new(30_000_000, 20)),
    )
    .await;
    // The same instance then serves the public entrant list of a campaign at
    // full size (its database has no projector to trip over seeded events).
    let mut download_rows = Vec::new();
    let api_pool = promo_eventstore::store::connect(database_url, 4).await?;
    let downloads = super::entrant_list::measure_downloads(
        owner,
        &api_only,
        &api_pool,
        sizes,
        &mut download_rows,
    )
    .await;
    api_pool.close().await;
    api_only.stop().await;
    downloads?;
    let cpu = cpu_share(cpu_before, cpu_after, &write_path);
    let Baselines {
        insert_limit: insert_c,
        cqrs,
    } = baselines;
    rows.push(row(
        format!("HTTP POST /participations, API-only instance, {c} connections, 5% duplicates"),
        format!(
            "{write_throughput:.0}/s = {:.2}× insert limit ({:.2}× cqrs-es); p50 / p99 {:.1} / {:.1} ms; {} errors",
            write_throughput / insert_c,
            write_throughput / cqrs,
            write_path.latencies.percentile_ms(50.0),
            write_path.latencies.percentile_ms(99.0),
            write_path.errors
        ),
        "≥ 1.5× insert limit, 0 errors",
        Some(write_throughput >= 1.5 * insert_c && write_path.errors == 0),
    ));
    if let Some(cpu) = cpu {
        // The load generator shares the two cores: had its CPU gone to the
        // service instead, the same work per request would give this rate.
        let adjusted = write_throughput * cpu.busy / (cpu.busy - cpu.generator).max(f64::EPSILON);
        rows.push(row(
            "  the same, load generator's CPU subtracted",
            format!(
                "{adjusted:.0}/s = {:.2}× insert limit (generator {:.0} % of the busy CPU)",
                adjusted / insert_c,
                cpu.generator / cpu.busy * 100.0
            ),
            "≥ 1.5× insert limit",
            Some(adjusted >= 1.5 * insert_c),
        ));
        rows.push(cpu.row);
    }
    let steady_p99 = steady.latencies.percentile_ms(99.0);
    rows.push(row(
        format!("  latency at 80% of its peak ({offered}/s offered, open loop) p50 / p99"),
        format!(
            "{:.1} / {steady_p99:.1} ms ({} errors)",
            steady.latencies.percentile_ms(50.0),
            steady.errors
        ),
        "p99 ≤ 20 ms",
        Some(steady_p99 <= 20.0 && steady.errors == 0),
    ));
    rows.extend(download_rows);
    Ok(())
}

/// Where the CPU went during the write-path run.
struct CpuShare {
    /// Busy CPU-seconds of the whole machine and of the load generator.
    busy: f64,
    generator: f64,
    row: Row,
}

/// CPU per answered request: service / load generator / the rest of the machine (Postgres,
/// NATS, kernel), and how busy the machine was; `None` when a tick count is missing.
fn cpu_share(before: CpuTicks, after: CpuTicks, write_path: &LoadResult) -> Option<CpuShare> {
    let ((Some(s0), Some(g0), Some(m0)), (Some(s1), Some(g1), Some(m1))) = (before, after) else {
        return None;
    };
    let answered = (write_path.created + write_path.duplicates).max(1) as f64;
    let per_request = |ticks: u64| ticks as f64 / cpu::TICKS_PER_SECOND * 1e6 / answered;
    let (service, generator, machine) = (s1 - s0, g1 - g0, m1 - m0);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let row = row(
        "  CPU per request: service / load generator / everything else (Postgres, NATS, kernel)",
        format!(
            "{:.0} / {:.0} / {:.0} µs; machine busy {:.0} % of {cores} cores",
            per_request(service),
            per_request(generator),
            per_request(machine.saturating_sub(service + generator)),
            machine as f64 / cpu::TICKS_PER_SECOND / write_path.elapsed.as_secs_f64() * 100.0
                / cores as f64,
        ),
        "",
        None,
    );
    Some(CpuShare {
        busy: machine as f64 / cpu::TICKS_PER_SECOND,
        generator: generator as f64 / cpu::TICKS_PER_SECOND,
        row,
    })
}
