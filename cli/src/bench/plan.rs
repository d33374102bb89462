//! The measurement plan: how big a quick or a full run is, and the order of the figure groups.
//! The order matters: the baselines run before any service exists, the API-only write path
//! before the full service starts, and the replay last, alone on the box.

use super::owner::{Owner, SECRET};
use super::report::Row;
use super::service::ServiceProcess;
use super::sizes::Sizes;
use super::{full_service, owner_reads, replay, scale, service, store, write_path};

/// The bench's own databases: the full service's, an API-only instance's,
/// and the replay measurement's.
pub(super) struct Databases<'a> {
    pub(super) main: &'a str,
    pub(super) api_only: &'a str,
    pub(super) replay: &'a str,
}

/// Runs every figure group in order; the rows are the table, top to bottom.
pub(super) async fn measure(
    urls: &Databases<'_>,
    nats_url: &str,
    prefix: &str,
    sizes: &Sizes,
) -> anyhow::Result<Vec<Row>> {
    let pool = promo_eventstore::store::connect(urls.main, sizes.clients as u32 + 8).await?;
    promo_eventstore::store::migrate(&pool).await?;
    let mut rows = Vec::new();
    let baselines = store::measure_baselines(&pool, sizes, &mut rows).await?;

    let owner = Owner::new();
    write_path::measure_write_path(
        &owner,
        urls.api_only,
        nats_url,
        prefix,
        sizes,
        baselines,
        &mut rows,
    )
    .await?;

    let service = ServiceProcess::start(true, urls.main, nats_url, prefix, SECRET).await?;
    let base = service.base_url.clone();
    let peak = full_service::measure_peak(&owner, &base, sizes, baselines, &mut rows).await?;
    let steady = full_service::measure_steady_latency(&base, &peak, sizes, &mut rows).await?;
    full_service::measure_projection_lag(&owner, &pool, &base, &peak, &steady, sizes, &mut rows)
        .await?;
    scale::measure_draw(sizes, &mut rows)?;
    owner_reads::measure_owner_reads(&owner, &pool, &base, sizes, &mut rows).await?;
    service::measure_peak_rss(&service, &mut rows);
    service.stop().await;
    pool.close().await;

    // Alone on the box: the service and its connections are gone.
    replay::measure_replay(urls.replay, sizes, &mut rows).await?;
    Ok(rows)
}
