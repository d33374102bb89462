//! `promo replay <read-model>`: rebuilds one read model from the event store
//! beside the live one and swaps it in (see `promo_projections::replay`),
//! showing a progress bar on a terminal and plain progress lines otherwise.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use promo_eventstore::secrets::{MasterKey, MasterKeys, SecretStore};
use promo_eventstore::store;
use promo_projections::notifications::RecordingSender;
use promo_projections::replay::{replay, ReplayReport};

use promo_api::app::read_models;

/// Names of the read models `promo replay` can rebuild.
pub fn replayable(pool: &sqlx::PgPool) -> Vec<&'static str> {
    // Only the names are read: no secret is opened with this key.
    let unused = MasterKeys::new(MasterKey::new([0; 32]));
    let secrets = Arc::new(SecretStore::new(pool.clone(), unused));
    read_models(&secrets, Arc::new(RecordingSender))
        .into_iter()
        .filter(|p| !p.tables().is_empty())
        .map(|p| p.name())
        .collect()
}

/// Rebuilds `name` against the database at `database_url`, opening campaign
/// secrets with `keys`.
pub async fn run(database_url: &str, name: &str, keys: MasterKeys) -> anyhow::Result<ReplayReport> {
    let pool = store::connect(database_url, 8)
        .await
        .context("connecting to Postgres")?;
    store::migrate(&pool).await.context("running migrations")?;
    let secrets = Arc::new(SecretStore::new(pool.clone(), keys));
    let projection = read_models(&secrets, Arc::new(RecordingSender))
        .into_iter()
        .find(|p| p.name() == name)
        .with_context(|| {
            format!(
                "unknown read model {name:?}; replayable: {}",
                replayable(&pool).join(", ")
            )
        })?;

    let started = Instant::now();
    let report = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} events ({per_sec}, eta {eta})",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.set_message(format!("replaying {name}"));
        let mut progress = |applied: u64, total: u64| {
            bar.set_length(total.max(applied));
            bar.set_position(applied);
        };
        let report = replay(&pool, projection, &mut progress).await;
        bar.finish_and_clear();
        report?
    } else {
        let mut last_line = Instant::now();
        let mut progress = |applied: u64, total: u64| {
            if last_line.elapsed() >= Duration::from_secs(2) {
                eprintln!("replaying {name}: {applied}/{total} events");
                last_line = Instant::now();
            }
        };
        replay(&pool, projection, &mut progress).await?
    };
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "replayed {name}: {} events up to {} in {seconds:.2} s ({:.0} events/s); the rebuilt tables are live",
        report.events,
        report.up_to,
        report.events as f64 / seconds.max(1e-9)
    );
    pool.close().await;
    Ok(report)
}
