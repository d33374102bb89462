//! `promo bench`: measures the service against this machine's own limits, in
//! one run, and prints a Markdown table for `docs/benchmarks.md`.
//!
//! Every throughput figure is paired with a baseline measured minutes apart
//! on the same Postgres (these machines are noisy), and reported as a ratio.
//! The service runs as its own `promo serve` process so its peak memory is
//! its own; the load generator is this process.
//!
//! This module sets up and removes the bench's scratch databases and streams.
//! `plan` holds the run sizes and the order of the figure groups; each group
//! is measured by its own module (`store` baselines, `write_path`,
//! `entrant_list` downloads, `full_service`, `scale` draw, `owner_reads`,
//! `service` memory, `replay`) using the load
//! generator (`load`), the service process (`service`), the campaign owner
//! (`owner`) and latency statistics (`stats`); `report` renders the table.

mod entrant_list;
mod full_service;
mod load;
mod owner;
mod owner_reads;
mod plan;
mod replay;
mod report;
mod scale;
mod service;
mod sizes;
mod stats;
mod store;
mod write_path;

use anyhow::Context;
use uuid::Uuid;

use plan::Databases;
use sizes::Sizes;

#[derive(Debug, Clone, Copy)]
pub struct BenchOptions {
    /// Short runs and smaller sizes (CI smoke use, under a minute).
    pub quick: bool,
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
    let outcome = plan::measure(&urls, nats_url, &prefix, &sizes).await;

    let databases = [&*database, &*replay_database, &*api_database];
    remove_scratch(&admin, &databases, nats_url, &prefix).await;
    let rows = outcome?;
    Ok(report::render(&rows, &sizes, options))
}

/// Drops the bench's databases and JetStream streams, whether or not the
/// measurements succeeded; a failure here is ignored so that it never hides
/// the measurements' own result.
async fn remove_scratch(admin: &sqlx::PgPool, databases: &[&str], nats_url: &str, prefix: &str) {
    for name in databases {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(admin)
            .await;
    }
    if let Ok(client) = promo_eventstore::nats_url::connect(nats_url).await {
        let js = async_nats::jetstream::new(client);
        for stem in [prefix.to_owned(), format!("{prefix}api")] {
            let names = promo_eventstore::jetstream::EventStreamNames::new(stem);
            let _ = js.delete_stream(names.stream_name()).await;
            let _ = js.delete_stream(names.distribution_stream_name()).await;
        }
    }
}
