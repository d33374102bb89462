//! Configuration, read only from the environment, in one place.

use std::net::SocketAddr;

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
        Ok(Self {
            database_url,
            nats_url,
            bind_addr,
            jwt_secret,
            nats_prefix: std::env::var("NATS_PREFIX").unwrap_or_else(|_| "promo".to_string()),
            max_db_connections,
            run_background: true,
        })
    }
}
