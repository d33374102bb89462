//! Configuration, read only from the environment, in one place.

use std::net::SocketAddr;
use std::time::Duration;

use promo_application::jobs::channel_stats::ChannelStatsSettings;
use promo_application::jobs::notify::NotifySettings;
use promo_eventstore::secrets::MasterKeys;

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
    /// Servers keeping a copy of each stream (`NATS_STREAM_REPLICAS`, 1..=5,
    /// default 1; 3 on a three-node cluster).
    pub nats_stream_replicas: usize,
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
    /// A projector that has not moved forward for this long is reported
    /// stalled (`PROJECTOR_STALL_SECS`, default 30).
    pub projector_stall: Duration,
    /// Prize delivery: the notification gateway and the claim deadline job.
    pub prize_delivery: PrizeDeliveryConfig,
    /// Where `/metrics` is served (`METRICS_ADDR`, e.g. `127.0.0.1:9090`):
    /// when set, only there and not on `bind_addr`; `None`: on `bind_addr`.
    pub metrics_addr: Option<SocketAddr>,
    /// The master key wrapping the campaign secrets (`PROMO_MASTER_KEY`,
    /// 64 hex digits, or `PROMO_MASTER_KEY_FILE`, a file only its owner can
    /// read) and, during a rotation, the previous one
    /// (`PROMO_MASTER_KEY_PREVIOUS`). Required to start.
    pub master_keys: Option<MasterKeys>,
}

/// `NOTIFY_*` and `CLAIM_DEADLINE_SWEEP_SECS`.
#[derive(Debug, Clone)]
pub struct PrizeDeliveryConfig {
    /// `NOTIFY_URL` and its tuning; `None`: notifications are recorded only,
    /// nothing leaves the system.
    pub notify: Option<NotifySettings>,
    /// How often unclaimed prizes past their deadline are looked for
    /// (`CLAIM_DEADLINE_SWEEP_SECS`, default 300).
    pub claim_deadline_sweep: Duration,
}

impl Default for PrizeDeliveryConfig {
    fn default() -> Self {
        Self {
            notify: None,
            claim_deadline_sweep: Duration::from_secs(300),
        }
    }
}

mod nats;
pub use nats::stream_replicas_from_env;

mod secrets;
pub use secrets::{
    check_jwt_secret, master_keys_from_env, read_master_key_file, MIN_JWT_SECRET_BYTES,
};

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
            heavy_per_ip_per_minute: env_number(
                "RATE_LIMIT_HEAVY_PER_IP_PER_MIN",
                defaults.heavy_per_ip_per_minute,
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
    /// Reads `BIND_ADDR`, `NATS_PREFIX`, `NATS_STREAM_REPLICAS`,
    /// `DB_MAX_CONNECTIONS` and the rest; the URLs and
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
            nats_stream_replicas: stream_replicas_from_env()?,
            max_db_connections,
            // `PROMO_BACKGROUND=off`: an API-only instance (another instance
            // runs the relay and projectors; their leader locks allow one each).
            run_background: !std::env::var("PROMO_BACKGROUND").is_ok_and(|v| v == "off"),
            pii_retention: DEFAULT_PII_RETENTION,
            pii_retention_sweep: DEFAULT_PII_RETENTION_SWEEP,
            rate_limits: RateLimits::default(),
            channel_stats: channel_stats_from_env()?,
            public_base_url: public_base_url_from_env()?,
            projector_stall: Duration::from_secs(env_number("PROJECTOR_STALL_SECS", 30u64)?.max(1)),
            prize_delivery: prize_delivery_from_env()?,
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

/// `PUBLIC_BASE_URL` without its trailing `/`, if set; it must be an
/// `http://` or `https://` URL.
pub fn public_base_url_from_env() -> anyhow::Result<Option<String>> {
    match std::env::var("PUBLIC_BASE_URL") {
        Ok(v) if !v.trim().is_empty() => parse_public_base_url(&v).map(Some),
        _ => Ok(None),
    }
}

fn parse_public_base_url(value: &str) -> anyhow::Result<String> {
    let value = value.trim().trim_end_matches('/');
    let host = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .unwrap_or_default();
    if host.is_empty() || host.contains(['/', '?', '#', ' ']) {
        anyhow::bail!("PUBLIC_BASE_URL: expected http(s)://host[:port], got {value:?}");
    }
    Ok(value.to_string())
}

/// The base URL pages link to when `PUBLIC_BASE_URL` is unset: `http://` and
/// the bound address, with an unspecified IP (`0.0.0.0`) shown as loopback.
pub fn default_public_base_url(bound: SocketAddr) -> String {
    let mut addr = bound;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{addr}")
}

/// What `promo token --login` links to: `PUBLIC_BASE_URL`, else
/// `http://{BIND_ADDR}` (the address `serve` binds by default).
pub fn login_base_url_from_env() -> anyhow::Result<String> {
    if let Some(url) = public_base_url_from_env()? {
        return Ok(url);
    }
    let bind: SocketAddr = std::env::var("BIND_ADDR")
        .unwrap_or_else(|_| DEFAULT_BIND_ADDR.to_string())
        .parse()
        .map_err(|e| anyhow::anyhow!("BIND_ADDR: {e}"))?;
    Ok(default_public_base_url(bind))
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
    /// Heavy public reads (the draw's entrant list) per minute from one
    /// client IP (`RATE_LIMIT_HEAVY_PER_IP_PER_MIN`), 0 = off.
    pub heavy_per_ip_per_minute: u32,
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
            // A verifier downloads the list once; a 304 costs nothing.
            heavy_per_ip_per_minute: 60,
            shared: true,
        }
    }
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

/// `NOTIFY_URL` (unset: notifications are recorded only), `NOTIFY_API_KEY`,
/// `NOTIFY_TIMEOUT_MS` (5000), `NOTIFY_MAX_ATTEMPTS` (8), `NOTIFY_BACKOFF_MS`
/// (1000), `NOTIFY_BACKOFF_MAX_SECS` (300), `NOTIFY_POLL_MS` (500), and
/// `CLAIM_DEADLINE_SWEEP_SECS` (300).
pub fn prize_delivery_from_env() -> anyhow::Result<PrizeDeliveryConfig> {
    let sweep = env_number("CLAIM_DEADLINE_SWEEP_SECS", 300u64)?.max(1);
    let notify = match std::env::var("NOTIFY_URL") {
        Ok(url) if !url.trim().is_empty() => Some(notify_settings(url.trim())?),
        _ => None,
    };
    Ok(PrizeDeliveryConfig {
        notify,
        claim_deadline_sweep: Duration::from_secs(sweep),
    })
}

fn notify_settings(url: &str) -> anyhow::Result<NotifySettings> {
    // This build's HTTP client speaks plain HTTP only (docs/dependencies.md):
    // reach an HTTPS gateway through a local TLS-terminating relay.
    if !url.starts_with("http://") {
        anyhow::bail!("NOTIFY_URL: must be an http:// URL (got {url:?})");
    }
    let defaults = NotifySettings::new(url);
    Ok(NotifySettings {
        api_key: std::env::var("NOTIFY_API_KEY")
            .ok()
            .filter(|k| !k.is_empty()),
        timeout: Duration::from_millis(env_number("NOTIFY_TIMEOUT_MS", 5_000u64)?.max(1)),
        max_attempts: env_number("NOTIFY_MAX_ATTEMPTS", defaults.max_attempts)?.clamp(1, 100),
        backoff: Duration::from_millis(env_number("NOTIFY_BACKOFF_MS", 1_000u64)?.max(1)),
        max_backoff: Duration::from_secs(env_number("NOTIFY_BACKOFF_MAX_SECS", 300u64)?.max(1)),
        poll: Duration::from_millis(env_number("NOTIFY_POLL_MS", 500u64)?.max(10)),
        ..defaults
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_base_urls_are_checked_and_trimmed() {
        assert_eq!(
            parse_public_base_url("https://promo.example.kr/").unwrap(),
            "https://promo.example.kr"
        );
        assert_eq!(
            parse_public_base_url(" http://10.0.0.5:8080 ").unwrap(),
            "http://10.0.0.5:8080"
        );
        for bad in ["promo.example.kr", "ftp://x", "https://", "https://a/b"] {
            assert!(parse_public_base_url(bad).is_err(), "{bad}");
        }
        assert_eq!(
            default_public_base_url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            default_public_base_url("192.168.0.2:80".parse().unwrap()),
            "http://192.168.0.2:80"
        );
    }

    #[test]
    fn the_notification_gateway_is_reached_over_plain_http_only() {
        let settings = notify_settings("http://127.0.0.1:9000/notify").unwrap();
        assert_eq!(settings.url, "http://127.0.0.1:9000/notify");
        assert!(settings.timeout > Duration::ZERO && settings.max_attempts >= 1);
        let refused = notify_settings("https://gateway.example/notify").unwrap_err();
        assert!(refused.to_string().starts_with("NOTIFY_URL"), "{refused}");
        assert!(notify_settings("gateway:9000").is_err());
    }
}
