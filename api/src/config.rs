//! Configuration, read only from the environment, in one place.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use promo_application::jobs::channel_stats::ChannelStatsSettings;
use promo_eventstore::secrets::{MasterKey, MasterKeys};

/// Where the service finds its parts and how it presents itself.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub nats_url: String,
    pub bind_addr: SocketAddr,
    /// HS256 secret for owner tokens (`AUTH_JWT_SECRET`).
    pub jwt_secret: String,
    /// Subject prefix and stream name stem on NATS (`NATS_PREFIX`, default `promo`).
    pub nats_prefix: String,
    pub max_db_connections: u32,
    /// Run the relay and projectors in this process (default true).
    pub run_background: bool,
    /// How long personal data is kept after the announcement before the
    /// retention task crypto-shreds it (`PII_RETENTION_DAYS`, default 90).
    pub pii_retention: Duration,
    /// How often the retention task looks (`PII_RETENTION_SWEEP_SECS`, default 3600).
    pub pii_retention_sweep: Duration,
    /// Abuse limits on the entry endpoint (`RATE_LIMIT_PER_IP_PER_MIN`,
    /// `RATE_LIMIT_PER_PHONE_PER_MIN`, `TRUST_FORWARDED_FOR`).
    pub rate_limits: RateLimits,
    /// The channel statistics collector (`CHANNEL_STATS_BASE_URL` and
    /// `CHANNEL_STATS_*`); `None` runs no collector.
    pub channel_stats: Option<ChannelStatsSettings>,
    /// Where customers reach the service (`PUBLIC_BASE_URL`, e.g.
    /// `https://promo.example.kr`), for absolute links such as the store QR
    /// code's; `None`: `http://{BIND_ADDR}` (the address actually bound).
    pub public_base_url: Option<String>,
    /// Where `/metrics` is served (`METRICS_ADDR`, e.g. `127.0.0.1:9090`):
    /// when set, only there and not on `bind_addr`; `None`: on `bind_addr`.
    pub metrics_addr: Option<SocketAddr>,
    /// The master key wrapping the campaign secrets (`PROMO_MASTER_KEY`,
    /// 64 hex digits, or `PROMO_MASTER_KEY_FILE`, a file only its owner can
    /// read) and, during a rotation, the previous one
    /// (`PROMO_MASTER_KEY_PREVIOUS`). Required to start.
    pub master_keys: Option<MasterKeys>,
}

/// `PROMO_MASTER_KEY` or `PROMO_MASTER_KEY_FILE`, with
/// `PROMO_MASTER_KEY_PREVIOUS`; `None` when neither key is set.
pub fn master_keys_from_env() -> anyhow::Result<Option<MasterKeys>> {
    let current = match (
        std::env::var("PROMO_MASTER_KEY")
            .ok()
            .filter(|v| !v.trim().is_empty()),
        std::env::var_os("PROMO_MASTER_KEY_FILE").filter(|v| !v.is_empty()),
    ) {
        (Some(hex), _) => MasterKey::from_hex(&hex).context("PROMO_MASTER_KEY")?,
        (None, Some(path)) => read_master_key_file(std::path::Path::new(&path))?,
        (None, None) => return Ok(None),
    };
    let previous = match std::env::var("PROMO_MASTER_KEY_PREVIOUS") {
        Ok(hex) if !hex.trim().is_empty() => {
            Some(MasterKey::from_hex(&hex).context("PROMO_MASTER_KEY_PREVIOUS")?)
        }
        _ => None,
    };
    Ok(Some(MasterKeys { current, previous }))
}

/// Reads a master key file, refusing one that others may read.
pub fn read_master_key_file(path: &std::path::Path) -> anyhow::Result<MasterKey> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "{}: the master key file must be readable by its owner only (chmod 600)",
            path.display()
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    MasterKey::from_hex(&text).with_context(|| path.display().to_string())
}

/// The shortest owner-token secret the service starts with: HS256 keys of
/// fewer than 32 bytes can be guessed offline from one token.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Refuses an owner-token secret shorter than [`MIN_JWT_SECRET_BYTES`].
pub fn check_jwt_secret(secret: &str) -> anyhow::Result<()> {
    if secret.len() < MIN_JWT_SECRET_BYTES {
        anyhow::bail!(
            "AUTH_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes (it has {}); \
             generate one with `openssl rand -hex 32`",
            secret.len()
        );
    }
    Ok(())
}

pub const DEFAULT_PII_RETENTION: Duration = Duration::from_secs(90 * 24 * 3600);
pub const DEFAULT_PII_RETENTION_SWEEP: Duration = Duration::from_secs(3600);

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(v) => v.trim().parse().map_err(|e| anyhow::anyhow!("{name}: {e}")),
        Err(_) => Ok(default),
    }
}

impl Config {
    /// Reads the retention and abuse-limit settings (defaults when unset).
    fn read_protection_settings(&mut self) -> anyhow::Result<()> {
        let days: u64 = env_number("PII_RETENTION_DAYS", 90)?;
        self.pii_retention = Duration::from_secs(days * 24 * 3600);
        self.pii_retention_sweep =
            Duration::from_secs(env_number("PII_RETENTION_SWEEP_SECS", 3600u64)?.max(1));
        let defaults = RateLimits::default();
        self.rate_limits = RateLimits {
            per_ip_per_minute: env_number("RATE_LIMIT_PER_IP_PER_MIN", defaults.per_ip_per_minute)?,
            per_phone_per_minute: env_number(
                "RATE_LIMIT_PER_PHONE_PER_MIN",
                defaults.per_phone_per_minute,
            )?,
            status_per_ip_per_minute: env_number(
                "RATE_LIMIT_STATUS_PER_IP_PER_MIN",
                defaults.status_per_ip_per_minute,
            )?,
            trust_forwarded_for: std::env::var("TRUST_FORWARDED_FOR")
                .is_ok_and(|v| v.trim().eq_ignore_ascii_case("true") || v.trim() == "1"),
            shared: match std::env::var("RATE_LIMIT_STORE").as_deref().map(str::trim) {
                Err(_) | Ok("") | Ok("postgres") => true,
                Ok("memory") => false,
                Ok(other) => anyhow::bail!("RATE_LIMIT_STORE: {other:?} is not postgres or memory"),
            },
        };
        Ok(())
    }
}

pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8080";

impl Config {
    /// Reads `BIND_ADDR`, `NATS_PREFIX`, `DB_MAX_CONNECTIONS`; the URLs and
    /// secret are passed in because `serve` may provide embedded ones.
    pub fn from_env(
        database_url: String,
        nats_url: String,
        jwt_secret: String,
    ) -> anyhow::Result<Self> {
        let bind_addr = std::env::var("BIND_ADDR")
            .unwrap_or_else(|_| DEFAULT_BIND_ADDR.to_string())
            .parse()
            .map_err(|e| anyhow::anyhow!("BIND_ADDR: {e}"))?;
        let max_db_connections = match std::env::var("DB_MAX_CONNECTIONS") {
            Ok(v) => v
                .parse()
                .map_err(|e| anyhow::anyhow!("DB_MAX_CONNECTIONS: {e}"))?,
            Err(_) => 40,
        };
        let mut config = Self {
            database_url,
            nats_url,
            bind_addr,
            jwt_secret,
            nats_prefix: std::env::var("NATS_PREFIX").unwrap_or_else(|_| "promo".to_string()),
            max_db_connections,
            // `PROMO_BACKGROUND=off`: an API-only instance (another instance
            // runs the relay and projectors; their leader locks allow one each).
            run_background: !std::env::var("PROMO_BACKGROUND").is_ok_and(|v| v == "off"),
            pii_retention: DEFAULT_PII_RETENTION,
            pii_retention_sweep: DEFAULT_PII_RETENTION_SWEEP,
            rate_limits: RateLimits::default(),
            channel_stats: channel_stats_from_env()?,
            public_base_url: public_base_url_from_env()?,
            metrics_addr: match std::env::var("METRICS_ADDR") {
                Ok(v) if !v.trim().is_empty() => Some(
                    v.trim()
                        .parse()
                        .map_err(|e| anyhow::anyhow!("METRICS_ADDR: {e}"))?,
                ),
                _ => None,
            },
            master_keys: master_keys_from_env()?,
        };
        check_jwt_secret(&config.jwt_secret)?;
        config.read_protection_settings()?;
        Ok(config)
    }
}

/// Request bodies are small JSON documents.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The limits, from `Config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    /// Entries per minute from one client IP (`RATE_LIMIT_PER_IP_PER_MIN`), 0 = off.
    pub per_ip_per_minute: u32,
    /// Entries per minute for one phone number (`RATE_LIMIT_PER_PHONE_PER_MIN`), 0 = off.
    pub per_phone_per_minute: u32,
    /// Take the client IP from `X-Forwarded-For` (`TRUST_FORWARDED_FOR=true`).
    pub trust_forwarded_for: bool,
    /// Entry-status checks per minute from one client IP (an IPv6 /64) for
    /// one campaign (`RATE_LIMIT_STATUS_PER_IP_PER_MIN`), 0 = off.
    pub status_per_ip_per_minute: u32,
    /// Keep the buckets in Postgres, shared by every instance on the
    /// database (`RATE_LIMIT_STORE=postgres`, the default), or in this
    /// process only (`memory`).
    pub shared: bool,
}

impl Default for RateLimits {
    /// Generous: a shared carrier NAT sends many people from one IP, and a
    /// phone that hammers one campaign already gets `PART_001` after the
    /// first entry; the limits only stop floods.
    fn default() -> Self {
        Self {
            per_ip_per_minute: 3_000,
            per_phone_per_minute: 300,
            trust_forwarded_for: false,
            // Far stricter: a status check answers whether a phone number
            // holds an entry number, so it must not serve to enumerate
            // phone numbers; an entrant checks a few times at most.
            status_per_ip_per_minute: 30,
            shared: true,
        }
    }
}

/// `PUBLIC_BASE_URL`: an absolute `http(s)://` URL, kept without a trailing
/// slash; unset or empty: `None`.
pub fn public_base_url_from_env() -> anyhow::Result<Option<String>> {
    match std::env::var("PUBLIC_BASE_URL") {
        Ok(v) if !v.trim().is_empty() => parse_public_base_url(&v).map(Some),
        _ => Ok(None),
    }
}

fn parse_public_base_url(raw: &str) -> anyhow::Result<String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| anyhow::anyhow!("PUBLIC_BASE_URL: must start with http:// or https://"))?;
    if rest.is_empty() || rest.contains(['?', '#', ' ']) {
        anyhow::bail!("PUBLIC_BASE_URL: {url:?} is not a base URL");
    }
    Ok(url.to_string())
}

/// `CHANNEL_STATS_BASE_URL` (unset: no collector),
/// `CHANNEL_STATS_INTERVAL_SECS` (300), `CHANNEL_STATS_TIMEOUT_MS` (10000),
/// `CHANNEL_STATS_RETRIES` (3).
pub fn channel_stats_from_env() -> anyhow::Result<Option<ChannelStatsSettings>> {
    let Ok(base_url) = std::env::var("CHANNEL_STATS_BASE_URL") else {
        return Ok(None);
    };
    let number = |name: &str, default: u64| -> anyhow::Result<u64> {
        match std::env::var(name) {
            Ok(v) => v.trim().parse().map_err(|e| anyhow::anyhow!("{name}: {e}")),
            Err(_) => Ok(default),
        }
    };
    let mut settings = ChannelStatsSettings::new(base_url);
    settings.interval = Duration::from_secs(number("CHANNEL_STATS_INTERVAL_SECS", 300)?.max(1));
    settings.timeout = Duration::from_millis(number("CHANNEL_STATS_TIMEOUT_MS", 10_000)?.max(1));
    settings.retries = number("CHANNEL_STATS_RETRIES", 3)?.min(10) as u32;
    Ok(Some(settings))
}

#[cfg(test)]
mod tests {
    use super::parse_public_base_url;

    #[test]
    fn the_public_base_url_is_absolute_and_kept_without_a_trailing_slash() {
        assert_eq!(
            parse_public_base_url(" https://promo.example.kr/ ").unwrap(),
            "https://promo.example.kr"
        );
        assert_eq!(
            parse_public_base_url("http://10.0.0.1:8080/promo").unwrap(),
            "http://10.0.0.1:8080/promo"
        );
        for bad in ["promo.example.kr", "ftp://x", "https://", "https://x?y=1"] {
            assert!(parse_public_base_url(bad).is_err(), "{bad}");
        }
    }
}
