//! The `promo` command line: reads the tooling's configuration (`promo_cli::settings`), then
//! serves or runs one of the tools around the service.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use promo_api::auth::Auth;
use promo_api::{Application, BuildOptions, Config};
use promo_cli::embedded::{run_with_infra, EmbeddedInfra};
use promo_cli::settings::Settings;
use promo_cli::token::{jwt_secret, write_private, TokenRequest, DEFAULT_DAYS};

#[derive(Parser)]
#[command(
    name = "promo",
    about = "Promotion participation, verifiable prize draws and channel analytics"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API. Without DATABASE_URL/NATS_URL it starts a private
    /// Postgres cluster and nats-server under the data folder.
    Serve,
    /// Rebuild a read model (participants, campaigns, analytics, draws) from
    /// the event store beside the live one, then swap it in.
    Replay {
        /// The read model's name.
        read_model: String,
    },
    /// After a database restore the relay refuses to start: set the lost
    /// stream tail aside, start a new stream generation, reset projector
    /// checkpoints and replay the read models (docs/operations.md). Run with
    /// the service stopped.
    RecoverStream,
    /// Measure throughput, latency, lag, draw and read times against this
    /// machine's own baselines; prints a Markdown table.
    Bench {
        /// Short runs and 100k-entrant sizes (under a minute).
        #[arg(long)]
        quick: bool,
        /// Also write the Markdown to this file.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Re-run a published draw from its inputs: prints MATCH (exit 0) or
    /// MISMATCH: <first difference> (exit 1); unreadable input exits 2.
    Verify {
        /// The draw record (`GET /api/v1/events/{id}/draw` JSON): a file, `-`
        /// for standard input, or its http:// URL.
        source: String,
        /// The canonical entrant list text, when the record embeds none and
        /// is not fetched over HTTP (then its entrantListUrl is used).
        #[arg(long)]
        entrants: Option<PathBuf>,
        /// The seed commitment published before the draw (the campaign's
        /// seedCommitment); the record's must equal it.
        #[arg(long)]
        commitment: Option<String>,
    },
    /// Print an owner token signed with the secret `serve` uses
    /// (AUTH_JWT_SECRET, or the one in the data folder).
    Token {
        /// The owner's user id (the token's `sub`).
        #[arg(long)]
        owner: String,
        /// Days the token (and a console session started with it) lasts.
        #[arg(long, default_value_t = DEFAULT_DAYS)]
        days: u64,
        /// Print the console sign-in link instead:
        /// {PUBLIC_BASE_URL or http://BIND_ADDR}/console/login?token=…
        #[arg(long)]
        login: bool,
    },
    /// Run a command with DATABASE_URL/NATS_URL pointing at embedded Postgres
    /// and NATS (started for the command and stopped after it), unless both
    /// are already set.
    WithInfra {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
}

fn init_tracing(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter = settings
        .log_filter
        .as_deref()
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if settings.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn print_token(settings: &Settings, request: TokenRequest) -> anyhow::Result<()> {
    let secret = jwt_secret(settings.jwt_secret.as_deref(), &settings.data_dir)?;
    let base_url = promo_api::config::login_base_url_from_env()?;
    println!("{}", promo_cli::token::issue(&secret, &request, &base_url)?);
    Ok(())
}

/// The master key wrapping campaign secrets: `PROMO_MASTER_KEY`/`PROMO_MASTER_KEY_FILE`, or in
/// the embedded development setup a key generated once into `<data>/master-key` (0600).
fn master_keys(
    embedded: bool,
    data_dir: &Path,
) -> anyhow::Result<promo_eventstore::secrets::MasterKeys> {
    use promo_eventstore::secrets::{MasterKey, MasterKeys};
    if let Some(keys) = promo_api::config::master_keys_from_env()? {
        return Ok(keys);
    }
    if !embedded {
        anyhow::bail!("PROMO_MASTER_KEY (64 hex digits) or PROMO_MASTER_KEY_FILE must be set");
    }
    let path = data_dir.join("master-key");
    if !path.exists() {
        write_private(&path, MasterKey::generate()?.to_hex().as_bytes())?;
    }
    Ok(MasterKeys::new(promo_api::config::read_master_key_file(
        &path,
    )?))
}

/// Whether `serve` prints an owner token: only in the embedded development setup (no
/// `DATABASE_URL`/`NATS_URL`) and never when `AUTH_JWT_SECRET` is set.
fn prints_local_token(embedded: bool, secret_configured: bool) -> bool {
    embedded && !secret_configured
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
}

/// DATABASE_URL/NATS_URL when both are set, else the embedded instances.
async fn infrastructure(
    settings: &Settings,
) -> anyhow::Result<(String, String, Option<EmbeddedInfra>)> {
    match settings.external_urls() {
        Some((db, nats)) => Ok((db, nats, None)),
        None => {
            let data_dir = &settings.data_dir;
            tracing::info!(data_dir = %data_dir.display(), "DATABASE_URL/NATS_URL not both set: starting embedded Postgres and NATS");
            let infra = EmbeddedInfra::start(data_dir, &settings.nats_conf).await?;
            Ok((infra.database_url(), infra.nats_url(), Some(infra)))
        }
    }
}

async fn run_bench(
    settings: &Settings,
    quick: bool,
    output: Option<PathBuf>,
) -> anyhow::Result<()> {
    let (database_url, nats_url, infra) = infrastructure(settings).await?;
    let options = promo_cli::bench::BenchOptions { quick };
    let report = promo_cli::bench::run(&database_url, &nats_url, options).await;
    if let Some(infra) = infra {
        infra.stop().await?;
    }
    let report = report?;
    println!("{report}");
    if let Some(path) = output {
        std::fs::write(&path, &report).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

async fn run_replay(settings: &Settings, read_model: &str) -> anyhow::Result<()> {
    let (database_url, _, infra) = infrastructure(settings).await?;
    let keys = master_keys(infra.is_some(), &settings.data_dir)?;
    let replayed = promo_cli::replay::run(&database_url, read_model, keys).await;
    if let Some(infra) = infra {
        infra.stop().await?;
    }
    replayed.map(|_| ())
}

async fn run_recover_stream(settings: &Settings) -> anyhow::Result<()> {
    let (database_url, nats_url, infra) = infrastructure(settings).await?;
    let prefix = std::env::var("NATS_PREFIX").unwrap_or_else(|_| "promo".to_string());
    let names = promo_eventstore::jetstream::EventStreamNames::new(prefix.clone())
        .with_replicas(promo_api::config::stream_replicas_from_env()?);
    let keys = master_keys(infra.is_some(), &settings.data_dir)?;
    let recovered = promo_cli::recover_stream::run(&database_url, &nats_url, &names, keys).await;
    if let Some(infra) = infra {
        infra.stop().await?;
    }
    let report = recovered?;
    eprintln!(
        "recovered: {} lost stream messages set aside to {prefix}.quarantine; {} events \
         re-stamped; replayed {:?}",
        report.set_aside, report.restamped, report.replayed
    );
    Ok(())
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let (database_url, nats_url, infra) = infrastructure(settings).await?;
    let secret = jwt_secret(settings.jwt_secret.as_deref(), &settings.data_dir)?;
    let mut config = Config::from_env(database_url, nats_url, secret.clone())?;
    if config.master_keys.is_none() {
        config.master_keys = Some(master_keys(infra.is_some(), &settings.data_dir)?);
    }
    let app = Application::build(config, BuildOptions::default()).await?;
    let addr = app.local_addr();
    println!("promo is serving on http://{addr}");
    println!("  OpenAPI:  http://{addr}/openapi.json");
    // A token is printed only for the embedded development setup: never
    // when the servers or the secret are configured (a real deployment).
    if prints_local_token(infra.is_some(), settings.jwt_secret.is_some()) {
        let token = Auth::new(&secret).issue("owner-local", Duration::from_secs(30 * 24 * 3600));
        println!("  owner token for local use (sub=owner-local, 30 days):");
        println!("  export TOKEN={token}");
    }
    println!("  owner console: http://{addr}/console (sign in: promo token --owner ID --login)");
    let served = app.run_until_stopped(shutdown_signal()).await;
    if let Some(infra) = infra {
        infra.stop().await?;
    }
    served
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let settings = Settings::from_env();
    init_tracing(&settings);
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve => serve(&settings).await.map(|()| 0),
        Command::Replay { read_model } => run_replay(&settings, &read_model).await.map(|()| 0),
        Command::RecoverStream => run_recover_stream(&settings).await.map(|()| 0),
        Command::Bench { quick, output } => run_bench(&settings, quick, output).await.map(|()| 0),
        Command::Verify {
            source,
            entrants,
            commitment,
        } => Ok(i32::from(
            promo_cli::verify::main(promo_cli::verify::VerifyArgs {
                source,
                entrants,
                commitment,
            })
            .await,
        )),
        Command::Token { owner, days, login } => {
            print_token(&settings, TokenRequest { owner, days, login }).map(|()| 0)
        }
        Command::WithInfra { command } => {
            run_with_infra(
                &settings.data_dir.join("with-infra"),
                &settings.nats_conf,
                settings.external_urls_set(),
                &command,
            )
            .await
        }
    };
    match result {
        Ok(code) => std::process::ExitCode::from(code.clamp(0, 255) as u8),
        Err(error) => {
            eprintln!("promo: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{jwt_secret, prints_local_token};
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_generated_secret_is_private_and_long_and_short_ones_are_refused() {
        let dir = std::env::temp_dir().join(format!("promo-jwt-{}", uuid::Uuid::new_v4()));
        let secret = jwt_secret(None, &dir).unwrap();
        assert_eq!(secret.len(), 64);
        assert!(hex::decode(&secret).is_ok_and(|b| b.len() == 32));
        let mode = std::fs::metadata(dir.join("jwt-secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(jwt_secret(None, &dir).unwrap(), secret, "kept");

        let short = "0123456789abcdef0123456789abcde";
        let refused = jwt_secret(Some(short), &dir).unwrap_err().to_string();
        assert!(refused.contains("at least 32 bytes"), "{refused}");
        assert!(jwt_secret(Some(&format!("{short}f")), &dir).is_ok());

        std::fs::write(dir.join("jwt-secret"), "tooshort").unwrap();
        assert!(jwt_secret(None, &dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_token_is_printed_only_for_the_embedded_setup_without_a_configured_secret() {
        assert!(prints_local_token(true, false));
        assert!(!prints_local_token(true, true));
        assert!(!prints_local_token(false, false));
        assert!(!prints_local_token(false, true));
    }
}
