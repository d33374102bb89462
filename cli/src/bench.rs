//! `promo bench`: measures the service against this machine's own limits, in
//! one run, and prints a Markdown table for `docs/benchmarks.md`.
//!
//! Every throughput figure is paired with a baseline measured minutes apart
//! on the same Postgres (these machines are noisy), and reported as a ratio.
//! The service runs as its own `promo serve` process so its peak memory is
//! its own; the load generator is this process.

mod load;
mod replay;
mod scale;
mod service;
mod stats;
mod store;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;
use uuid::Uuid;

use load::Phones;
use promo_api::auth::Auth;
use service::ServiceProcess;
use stats::cpu;

#[derive(Debug, Clone, Copy)]
pub struct BenchOptions {
    /// Short runs and smaller sizes (CI smoke use, under a minute).
    pub quick: bool,
}

struct Sizes {
    run: Duration,
    clients: usize,
    entrants: usize,
    list_rows: i64,
    reads: usize,
    replay_events: i64,
}

impl Sizes {
    fn for_options(options: BenchOptions) -> Self {
        if options.quick {
            Sizes {
                run: Duration::from_secs(2),
                clients: 32,
                entrants: 100_000,
                list_rows: 100_000,
                reads: 100,
                replay_events: 100_000,
            }
        } else {
            Sizes {
                run: Duration::from_secs(10),
                clients: 32,
                entrants: 1_000_000,
                list_rows: 1_000_000,
                reads: 500,
                replay_events: 1_000_000,
            }
        }
    }
}

struct Row {
    measurement: String,
    result: String,
    target: String,
    met: Option<bool>,
}

fn row(
    measurement: impl Into<String>,
    result: impl Into<String>,
    target: impl Into<String>,
    met: Option<bool>,
) -> Row {
    Row {
        measurement: measurement.into(),
        result: result.into(),
        target: target.into(),
        met,
    }
}

const OWNER: &str = "bench-owner";

async fn create_campaign(
    client: &reqwest::Client,
    base_url: &str,
    token: &str,
) -> anyhow::Result<Uuid> {
    let draft: serde_json::Value = client
        .post(format!("{base_url}/api/v1/events/purposes"))
        .bearer_auth(token)
        .json(&json!({"objective": "신규 고객 유치", "storeName": "벤치마크", "industry": "음식점", "address": "서울"}))
        .send()
        .await?
        .json()
        .await?;
    let id: Uuid = draft["eventDraftId"]
        .as_str()
        .context("draft id")?
        .parse()?;
    let now = chrono::Utc::now();
    let published = client
        .post(format!("{base_url}/api/v1/events/{id}/publish"))
        .bearer_auth(token)
        .json(&json!({
            "title": "벤치마크 이벤트", "prize": "쿠폰",
            "startsAt": now - chrono::Duration::hours(1), "endsAt": now + chrono::Duration::days(1),
            "announcementAt": now + chrono::Duration::days(2), "winnerCount": 3,
            "channels": ["URIDONGNETV", "INSTAGRAM"], "targetParticipants": 1000
        }))
        .send()
        .await?;
    anyhow::ensure!(
        published.status().is_success(),
        "publish: {}",
        published.status()
    );
    Ok(id)
}

/// Runs every measurement against Postgres at `admin_url` (a database of its
/// own is created and dropped) and NATS at `nats_url`; returns Markdown.
pub async fn run(admin_url: &str, nats_url: &str, options: BenchOptions) -> anyhow::Result<String> {
    let sizes = Sizes::for_options(options);
    let tag = Uuid::new_v4().simple().to_string()[..12].to_string();
    let database = format!("promo_bench_{tag}");
    let admin = sqlx::PgPool::connect(admin_url)
        .await
        .context("connecting to Postgres")?;
    let replay_database = format!("{database}_replay");
    let api_database = format!("{database}_api");
    for name in [&database, &replay_database, &api_database] {
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await?;
    }
    let database_url = promo_eventstore::store::url_for_database(admin_url, &database);
    let replay_url = promo_eventstore::store::url_for_database(admin_url, &replay_database);
    let api_url = promo_eventstore::store::url_for_database(admin_url, &api_database);
    let prefix = format!("bench{tag}");
    let urls = Databases {
        main: &database_url,
        api_only: &api_url,
        replay: &replay_url,
    };
    let outcome = measure(&urls, nats_url, &prefix, &sizes).await;

    for name in [&database, &replay_database, &api_database] {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await;
    }
    if let Ok(client) = async_nats::connect(nats_url).await {
        let js = async_nats::jetstream::new(client);
        for stem in [prefix.clone(), format!("{prefix}api")] {
            let names = promo_eventstore::jetstream::EventStreamNames::new(stem);
            let _ = js.delete_stream(names.stream_name()).await;
            let _ = js.delete_stream(names.distribution_stream_name()).await;
        }
    }
    let rows = outcome?;
    Ok(render(&rows, &sizes, options))
}

/// The bench's own databases: the full service's, an API-only instance's,
/// and the replay measurement's.
struct Databases<'a> {
    main: &'a str,
    api_only: &'a str,
    replay: &'a str,
}

async fn measure(
    urls: &Databases<'_>,
    nats_url: &str,
    prefix: &str,
    sizes: &Sizes,
) -> anyhow::Result<Vec<Row>> {
    let database_url = urls.main;
    let pool = promo_eventstore::store::connect(database_url, sizes.clients as u32 + 8).await?;
    promo_eventstore::store::migrate(&pool).await?;
    let mut rows = Vec::new();
    let c = sizes.clients;
    eprintln!("bench: single-row insert commit limit");
    let insert_1 = store::insert_commit_limit(&pool, 1, sizes.run).await?;
    let insert_c = store::insert_commit_limit(&pool, c, sizes.run).await?;
    rows.push(row(
        "Single-row insert commits, 1 client (box limit)",
        format!("{insert_1:.0}/s"),
        "baseline",
        None,
    ));
    rows.push(row(
        format!("Single-row insert commits, {c} clients (box limit)"),
        format!("{insert_c:.0}/s"),
        "baseline",
        None,
    ));
    eprintln!("bench: cqrs-es baseline");
    let cqrs = store::cqrs_registration_baseline(&pool, c, sizes.run).await?;
    rows.push(row(
        format!("cqrs-es + postgres-es registration, {c} in flight"),
        format!("{cqrs:.0}/s"),
        "baseline",
        None,
    ));

    let secret = "bench-secret-0123456789abcdef";
    let token = Auth::new(secret).issue(OWNER, Duration::from_secs(3600));
    let client = reqwest::Client::new();

    eprintln!("bench: HTTP registrations on an API-only instance (write path alone)");
    let api_only = ServiceProcess::start(
        false,
        urls.api_only,
        nats_url,
        &format!("{prefix}api"),
        secret,
    )
    .await?;
    let api_campaign = create_campaign(&client, &api_only.base_url, &token).await?;
    let service_pid = api_only.pid().unwrap_or(0);
    let cpu_before = (
        cpu::process_ticks(service_pid),
        cpu::process_ticks(std::process::id()),
        cpu::machine_busy_ticks(),
    );
    let mut write_path = load::closed_loop(
        &api_only.base_url,
        api_campaign,
        c,
        sizes.run,
        Arc::new(Phones::new(20_000_000, 20)),
    )
    .await;
    let cpu_after = (
        cpu::process_ticks(service_pid),
        cpu::process_ticks(std::process::id()),
        cpu::machine_busy_ticks(),
    );
    api_only.stop().await;
    let write_throughput = write_path.throughput();
    let mut cpu_row = None;
    if let ((Some(s0), Some(g0), Some(m0)), (Some(s1), Some(g1), Some(m1))) =
        (cpu_before, cpu_after)
    {
        let answered = (write_path.created + write_path.duplicates).max(1) as f64;
        let per_request = |ticks: u64| ticks as f64 / cpu::TICKS_PER_SECOND * 1e6 / answered;
        let (service, generator, machine) = (s1 - s0, g1 - g0, m1 - m0);
        cpu_row = Some(row(
            "  CPU per request: service / load generator / everything else (Postgres, NATS, kernel)",
            format!(
                "{:.0} / {:.0} / {:.0} µs; machine busy {:.0} % of {} cores",
                per_request(service),
                per_request(generator),
                per_request(machine.saturating_sub(service + generator)),
                machine as f64 / cpu::TICKS_PER_SECOND / write_path.elapsed.as_secs_f64() * 100.0
                    / std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64,
                std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            ),
            "",
            None,
        ));
    }
    rows.push(row(
        format!("HTTP POST /participations, API-only instance, {c} connections, 5% duplicates"),
        format!(
            "{write_throughput:.0}/s = {:.2}× insert limit, {:.2}× cqrs-es; p50 / p99 {:.1} / {:.1} ms; {} errors",
            write_throughput / insert_c,
            write_throughput / cqrs,
            write_path.latencies.percentile_ms(50.0),
            write_path.latencies.percentile_ms(99.0),
            write_path.errors
        ),
        "≥ 1.5× insert limit, ≥ 4× cqrs-es",
        Some(write_throughput >= 1.5 * insert_c && write_throughput >= 4.0 * cqrs && write_path.errors == 0),
    ));
    rows.extend(cpu_row);
    let service = ServiceProcess::start(true, database_url, nats_url, prefix, secret).await?;
    let base = service.base_url.clone();

    eprintln!("bench: HTTP registrations, closed loop");
    let campaign = create_campaign(&client, &base, &token).await?;
    let phones = Arc::new(Phones::new(0, 20));
    let mut peak = load::closed_loop(&base, campaign, c, sizes.run, phones.clone()).await;
    let throughput = peak.throughput();
    rows.push(row(
        format!("HTTP POST /participations, full service (relay + 5 projectors on the same 2 cores), {c} connections"),
        format!(
            "{throughput:.0}/s ({} created, {} duplicates, {} errors)",
            peak.created, peak.duplicates, peak.errors
        ),
        "≥ 1.5× insert limit, ≥ 4× cqrs-es",
        Some(throughput >= 1.5 * insert_c && throughput >= 4.0 * cqrs && peak.errors == 0),
    ));
    rows.push(row(
        "  ratio to insert limit / to cqrs-es",
        format!("{:.2}× / {:.2}×", throughput / insert_c, throughput / cqrs),
        "1.5× / 4×",
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

    eprintln!("bench: HTTP at 80% of peak, open loop");
    let offered = (throughput * 0.8).max(1.0) as u64;
    let mut steady = load::open_loop(&base, campaign, offered, sizes.run, phones.clone()).await;
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

    // Lag is measured at a steady offered load, not behind the backlog the
    // throughput runs left: let the participant list catch up first.
    wait_until_listed(&pool, campaign, (peak.created + steady.created) as i64).await?;
    eprintln!("bench: projection lag");
    let lag_campaign = create_campaign(&client, &base, &token).await?;
    let lag_rate = 5_000.min(offered);
    let lag_load = load::open_loop(
        &base,
        lag_campaign,
        lag_rate,
        sizes.run,
        Arc::new(Phones::new(50_000_000, 0)),
    )
    .await;
    let (lag_p50, lag_p99) = projection_lag(&pool, lag_campaign, lag_load.created as i64).await?;
    rows.push(row(
        format!("Projection lag commit → participant list at {lag_rate}/s p50 / p99"),
        format!("{lag_p50:.1} / {lag_p99:.1} ms"),
        "p99 ≤ 50 ms at 5k/s",
        Some(lag_p99 <= 50.0 && lag_rate >= 5_000),
    ));

    eprintln!("bench: weighted draw at {} entrants", sizes.entrants);
    let draw = scale::weighted_draw(sizes.entrants)?;
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

    eprintln!("bench: owner reads at {} entrants", sizes.list_rows);
    let big = create_campaign(&client, &base, &token).await?;
    scale::seed_participants(&pool, big, sizes.list_rows).await?;
    let mut page = scale::read_latency(
        &base,
        &format!("/api/v1/events/{big}/participants?page=1&size=20"),
        &token,
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
    let mut filtered = scale::read_latency(
        &base,
        &format!("/api/v1/events/{big}/participants?page=1&size=20&channel=KAKAO"),
        &token,
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
    let dashboard_path = format!("/api/v1/events/{big}/analytics");
    let has_dashboard = client
        .get(format!("{base}{dashboard_path}"))
        .bearer_auth(&token)
        .send()
        .await?
        .status()
        .is_success();
    if has_dashboard {
        let mut dash = scale::read_latency(&base, &dashboard_path, &token, sizes.reads).await?;
        let p99 = dash.percentile_ms(99.0);
        rows.push(row(
            "Analytics dashboard p50 / p99",
            format!("{:.2} / {p99:.2} ms", dash.percentile_ms(50.0)),
            "p99 ≤ 5 ms",
            Some(p99 <= 5.0),
        ));
    } else {
        rows.push(row(
            "Analytics dashboard",
            "not measured: endpoint not available",
            "p99 ≤ 5 ms",
            None,
        ));
    }
    let rss_mib = service.peak_rss_kib().unwrap_or(0) as f64 / 1024.0;
    rows.push(row(
        "Peak RSS of the service process",
        format!("{rss_mib:.0} MiB"),
        "≤ 150 MB",
        Some(rss_mib * 1.048_576 <= 150.0),
    ));
    service.stop().await;
    pool.close().await;

    // Alone on the box: the service and its connections are gone.
    eprintln!(
        "bench: analytics replay over {} events",
        sizes.replay_events
    );
    let (replayed, took) = replay::analytics_replay_rate(urls.replay, sizes.replay_events).await?;
    let rate = replayed as f64 / took.as_secs_f64();
    rows.push(row(
        format!("Analytics replay (rebuild aside + swap), {replayed} events"),
        format!("{rate:.0} events/s ({:.1} s)", took.as_secs_f64()),
        "≥ 500k events/s",
        Some(rate >= 500_000.0),
    ));

    Ok(rows)
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
async fn projection_lag(
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

fn render(rows: &[Row], sizes: &Sizes, options: BenchOptions) -> String {
    let mut out = String::new();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "promo bench ({}; {} s per throughput run, {} connections, {} draw entrants, {} list rows; {} cores)\n",
        if options.quick { "quick" } else { "full" },
        sizes.run.as_secs(),
        sizes.clients,
        sizes.entrants,
        sizes.list_rows,
        cores
    );
    let _ = writeln!(out, "| measurement | result | target | met |");
    let _ = writeln!(out, "|---|---|---|---|");
    for r in rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            r.measurement, r.result, r.target, met
        );
    }
    out
}
