//! Starting and stopping the embedded infrastructure as one: Postgres first, then NATS, under the
//! start lock, recording both in `infra.json` so the next process reuses them.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::record::InfraState;
use super::start_lock::StartLock;
use super::{ensure_packages, nats, postgres};

/// A private PostgreSQL cluster and nats-server under a data folder.
///
/// [`EmbeddedInfra::stop`] stops what this process started; dropping it without `stop` does a
/// best-effort, non-waiting stop. Instances reused from another process are left running, and
/// the process that started them stops them when it stops, even if others still use them.
#[derive(Debug)]
pub struct EmbeddedInfra {
    data_dir: PathBuf,
    pg: postgres::Postgres,
    nats: nats::Nats,
}

impl EmbeddedInfra {
    /// Starts (or reuses, if already running from this data dir: check pid files/ports and that
    /// it answers) a private Postgres cluster and nats-server under `data_dir`.
    pub async fn start(data_dir: &Path, nats_conf: &Path) -> anyhow::Result<Self> {
        let started = std::time::Instant::now();
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating data folder {}", data_dir.display()))?;
        let data_dir = std::fs::canonicalize(data_dir)
            .with_context(|| format!("resolving {}", data_dir.display()))?;
        let nats_conf = std::fs::canonicalize(nats_conf)
            .with_context(|| format!("NATS config file {} not found", nats_conf.display()))?;
        ensure_packages().await?;

        let _lock = StartLock::acquire(&data_dir).await?;
        let recorded = InfraState::load(&data_dir);

        let pg = postgres::Postgres::start_or_reuse(
            &data_dir,
            recorded.as_ref().map(|s| s.pg_cluster_dir.as_path()),
        )
        .await
        .with_context(|| format!("starting embedded PostgreSQL for {}", data_dir.display()))?;
        // Record the cluster location right away, so it is found even if NATS fails below.
        let mut state = recorded.clone().unwrap_or_default();
        state.pg_port = pg.port();
        state.database_url = postgres::database_url(pg.port());
        state.pg_cluster_dir = pg.cluster_dir().to_path_buf();
        state.pg_log = pg.log_path();
        state.owner_pid = std::process::id();
        state.save(&data_dir)?;

        let nats_recorded = recorded
            .as_ref()
            .filter(|s| s.nats_pid != 0)
            .map(|s| (s.nats_port, s.nats_pid));
        let nats = match nats::Nats::start_or_reuse(&data_dir, &nats_conf, nats_recorded).await {
            Ok(n) => n,
            Err(e) => {
                let mut pg = pg;
                let _ = pg.stop().await;
                return Err(e.context(format!(
                    "starting embedded nats-server for {}",
                    data_dir.display()
                )));
            }
        };
        let infra = Self { data_dir, pg, nats };
        state.nats_port = infra.nats.port();
        state.nats_pid = infra.nats.pid();
        // Without the password: infra.json is not a secret file (`nats-passwords` is).
        state.nats_url = nats::nats_url(infra.nats.port());
        state.nats_log = infra.data_dir.join("nats.log");
        state.save(&infra.data_dir)?;
        tracing::info!(
            database_url = %infra.database_url(),
            nats_url = %nats::redacted(&infra.nats_url()),
            postgres_reused = !infra.pg.started_here(),
            nats_reused = !infra.nats.started_here(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "embedded infrastructure ready"
        );
        Ok(infra)
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`
    pub fn database_url(&self) -> String {
        postgres::database_url(self.pg.port())
    }

    /// `nats://promo:<password>@127.0.0.1:<port>`: the server runs `nats-secure.conf` (by
    /// default) and the service logs in as `promo`. A secret: never print it unredacted.
    pub fn nats_url(&self) -> String {
        self.nats.service_url()
    }

    /// The data folder (absolute).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops what this process started (pg_ctl stop -m fast; kill nats-server and wait). Idempotent.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let nats = self.nats.stop().await;
        let pg = self.pg.stop().await;
        nats.context("stopping embedded nats-server")?;
        pg.context("stopping embedded PostgreSQL")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedded::sys;
    use sqlx::Connection;

    /// End to end on a real machine (starts services, hence ignored):
    /// `cargo test -p promo-cli embedded -- --ignored --nocapture`.
    /// Data folder: `$PROMO_EMBED_TEST_DIR` or `/tmp/promo-embed-test`.
    #[tokio::test(flavor = "multi_thread")]
    #[ignore = "starts PostgreSQL and nats-server"]
    async fn embedded_infra_starts_answers_is_reused_and_stops() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_test_writer()
            .try_init();
        let data_dir = crate::settings::embed_test_dir();
        let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../nats-secure.conf");

        let t = std::time::Instant::now();
        let infra = EmbeddedInfra::start(&data_dir, &conf).await.expect("start");
        eprintln!(
            "first start: {:?} db={} nats={}",
            t.elapsed(),
            infra.database_url(),
            nats::redacted(&infra.nats_url())
        );
        assert!(!infra.database_url().ends_with(":5432/postgres"));
        assert!(!infra.nats_url().ends_with(":4222"));
        postgres_answers(&infra.database_url()).await;
        jetstream_round_trip(&infra.nats_url()).await;

        // A second start from the same data folder reuses both servers and stops neither.
        let t = std::time::Instant::now();
        let again = EmbeddedInfra::start(&data_dir, &conf).await.expect("reuse");
        eprintln!("warm reuse: {:?}", t.elapsed());
        assert_eq!(again.database_url(), infra.database_url());
        assert_eq!(again.nats_url(), infra.nats_url());
        again.stop().await.expect("stop reused (no-op)");
        let conn = sqlx::PgConnection::connect(&infra.database_url())
            .await
            .expect("still running");
        conn.close().await.expect("close");

        stops_only_what_it_started(infra).await;
    }

    async fn postgres_answers(database_url: &str) {
        let mut conn = sqlx::PgConnection::connect(database_url)
            .await
            .expect("pg connect");
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut conn)
            .await
            .expect("SELECT 1");
        assert_eq!(one, 1);
        conn.close().await.expect("close");
    }

    async fn jetstream_round_trip(nats_url: &str) {
        let client = promo_eventstore::nats_url::connect(nats_url)
            .await
            .expect("nats connect");
        let js = async_nats::jetstream::new(client.clone());
        let _ = js.delete_stream("EMBED_TEST").await;
        js.create_stream(async_nats::jetstream::stream::Config {
            name: "EMBED_TEST".into(),
            subjects: vec!["embedtest.>".into()],
            ..Default::default()
        })
        .await
        .expect("create stream");
        js.publish("embedtest.hello", "hi".into())
            .await
            .expect("publish")
            .await
            .expect("ack");
        let mut stream = js.get_stream("EMBED_TEST").await.expect("get stream");
        assert_eq!(stream.info().await.expect("info").state.messages, 1);
        js.delete_stream("EMBED_TEST").await.expect("delete stream");
        client.drain().await.expect("drain");
    }

    /// Only what this start launched is stopped (a leftover from a killed run is reused).
    async fn stops_only_what_it_started(infra: EmbeddedInfra) {
        let (nats_pid, nats_ours) = (infra.nats.pid(), infra.nats.started_here());
        let (cluster, pg_ours) = (
            infra.pg.cluster_dir().to_path_buf(),
            infra.pg.started_here(),
        );
        let t = std::time::Instant::now();
        infra.stop().await.expect("stop");
        eprintln!(
            "stop: {:?} (nats started here: {nats_ours}, postgres started here: {pg_ours})",
            t.elapsed()
        );
        assert_eq!(sys::pid_alive(nats_pid), !nats_ours, "nats-server");
        assert_eq!(
            cluster.join("data/postmaster.pid").exists(),
            !pg_ours,
            "postgres"
        );
    }
}
