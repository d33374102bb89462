//! Every environment variable the `promo` tooling reads, and only here: `main` reads them once
//! with [`Settings::from_env`] and passes the values on, so no other module looks at the
//! environment (`PATH` excepted, see below).
//!
//! | variable | read for | when unset |
//! |---|---|---|
//! | `PROMO_DATA_DIR` | the embedded Postgres/NATS data folder (`with-infra` uses its `with-infra/` subfolder); `serve` and `token` keep their generated JWT secret there | `data` |
//! | `PROMO_NATS_CONF` | the config file of the embedded nats-server (it gets the users' passwords from `<data>/nats-passwords` in its environment) | `nats-secure.conf` beside the workspace if it exists, else `nats-secure.conf` (it includes `nats.conf` from its own folder) |
//! | `DATABASE_URL`, `NATS_URL` | external servers instead of the embedded ones, when both are set | embedded instances |
//! | `AUTH_JWT_SECRET` | `serve`, `token`: the owner-token secret, at least 32 bytes (no token is printed when set) | generated into `<data>/jwt-secret` (0600, 32 random bytes as hex) |
//! | `PROMO_MASTER_KEY`, `PROMO_MASTER_KEY_FILE`, `PROMO_MASTER_KEY_PREVIOUS` | `serve`, `replay`: the master key wrapping campaign secrets, read through `promo_api::config::master_keys_from_env` | embedded setup: generated into `<data>/master-key` (0600); otherwise an error |
//! | `RUST_LOG` | the log filter | `info,sqlx=warn` |
//! | `LOG_FORMAT` | `json` for JSON logs | plain text |
//! | `PATH` | finding `initdb`, `pg_ctl`, `nats-server`, `runuser`, `apt-get`, `sudo` | system bin folders only |
//!
//! `DATABASE_URL` and `NATS_URL` count as set differently, as they always have: `serve`,
//! `replay` and `bench` take any Unicode value (an empty one too), while `with-infra`, which only
//! passes them on to its command, counts a non-empty value of any kind.
//!
//! `PATH` is read by [`search_path`] when a binary is looked up, because the embedded
//! infrastructure is also started from library callers that hold no `Settings`.
//!
//! The service's own variables (`BIND_ADDR`, `NATS_PREFIX`, `PUBLIC_BASE_URL`, ...) are read by
//! `promo_api::config` during `serve` (and `token --login`, for the link's base URL); the
//! tooling only sets them for the processes it starts. The ignored end-to-end tests read `PROMO_EMBED_TEST_DIR`,
//! `DATABASE_URL` and `EVENTS` through the test-only functions at the end of this module.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The tooling's configuration, as the environment gave it at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `PROMO_DATA_DIR`.
    pub data_dir: PathBuf,
    /// `PROMO_NATS_CONF`, or the default config file.
    pub nats_conf: PathBuf,
    /// `AUTH_JWT_SECRET`, when set to Unicode.
    pub jwt_secret: Option<String>,
    /// `RUST_LOG`, when set to Unicode.
    pub log_filter: Option<String>,
    /// `LOG_FORMAT=json`.
    pub log_json: bool,
    database_url: Option<OsString>,
    nats_url: Option<OsString>,
}

/// Which of `DATABASE_URL` / `NATS_URL` are set to a non-empty value (the `with-infra` test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExternalUrlsSet {
    pub database_url: bool,
    pub nats_url: bool,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var_os(name))
    }

    /// Reads the variables through `var` (the environment, or a table in tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Self {
        let unicode = |name: &str| var(name).and_then(|v| v.into_string().ok());
        Self {
            data_dir: var("PROMO_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("data")),
            nats_conf: var("PROMO_NATS_CONF")
                .map(PathBuf::from)
                .unwrap_or_else(default_nats_conf),
            jwt_secret: unicode("AUTH_JWT_SECRET"),
            log_filter: unicode("RUST_LOG"),
            log_json: unicode("LOG_FORMAT").is_some_and(|f| f == "json"),
            database_url: var("DATABASE_URL"),
            nats_url: var("NATS_URL"),
        }
    }

    /// `DATABASE_URL` and `NATS_URL` when both are set (to Unicode): `serve`, `replay` and
    /// `bench` then use those servers instead of embedded ones.
    pub fn external_urls(&self) -> Option<(String, String)> {
        let unicode = |v: &Option<OsString>| v.clone().and_then(|v| v.into_string().ok());
        Some((unicode(&self.database_url)?, unicode(&self.nats_url)?))
    }

    /// Which of `DATABASE_URL` / `NATS_URL` are set non-empty, for `with-infra`.
    pub fn external_urls_set(&self) -> ExternalUrlsSet {
        let set = |v: &Option<OsString>| v.as_ref().is_some_and(|v| !v.is_empty());
        ExternalUrlsSet {
            database_url: set(&self.database_url),
            nats_url: set(&self.nats_url),
        }
    }
}

/// `nats-secure.conf` (users and permissions) next to the workspace when it is there (a
/// checkout), else in the working folder; either way its `include "nats.conf"` is resolved by
/// nats-server from the folder the file is in.
fn default_nats_conf() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(DEFAULT_NATS_CONF);
    if workspace.exists() {
        workspace
    } else {
        PathBuf::from(DEFAULT_NATS_CONF)
    }
}

/// The embedded nats-server's config file unless `PROMO_NATS_CONF` names another.
const DEFAULT_NATS_CONF: &str = "nats-secure.conf";

/// `PATH`, read when a binary is looked up (empty when unset).
pub(crate) fn search_path() -> OsString {
    std::env::var_os("PATH").unwrap_or_default()
}

/// `PROMO_EMBED_TEST_DIR`: the data folder of the ignored embedded-infrastructure test.
#[cfg(test)]
pub(crate) fn embed_test_dir() -> PathBuf {
    std::env::var_os("PROMO_EMBED_TEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/promo-embed-test"))
}

/// `DATABASE_URL` (required) and `EVENTS` (default 100 000) of the ignored replay-rate test.
#[cfg(test)]
pub(crate) fn replay_rate_inputs() -> (String, i64) {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let events = std::env::var("EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    (url, events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn settings(vars: &[(&str, OsString)]) -> Settings {
        Settings::from_vars(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        })
    }

    fn non_unicode() -> OsString {
        OsString::from_vec(vec![0xff, b'x'])
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let s = settings(&[]);
        assert_eq!(s.data_dir, PathBuf::from("data"));
        assert_eq!(s.nats_conf, default_nats_conf());
        assert_eq!(s.jwt_secret, None);
        assert_eq!(s.log_filter, None);
        assert!(!s.log_json);
        assert_eq!(s.external_urls(), None);
        let none = ExternalUrlsSet {
            database_url: false,
            nats_url: false,
        };
        assert_eq!(s.external_urls_set(), none);
    }

    #[test]
    fn values_are_taken_as_given() {
        let s = settings(&[
            ("PROMO_DATA_DIR", "/srv/promo".into()),
            ("PROMO_NATS_CONF", "/etc/nats.conf".into()),
            ("AUTH_JWT_SECRET", "0123456789abcdef".into()),
            ("RUST_LOG", "debug".into()),
            ("LOG_FORMAT", "json".into()),
            ("DATABASE_URL", "postgres://db".into()),
            ("NATS_URL", "nats://mq".into()),
        ]);
        assert_eq!(s.data_dir, PathBuf::from("/srv/promo"));
        assert_eq!(s.nats_conf, PathBuf::from("/etc/nats.conf"));
        assert_eq!(s.jwt_secret.as_deref(), Some("0123456789abcdef"));
        assert_eq!(s.log_filter.as_deref(), Some("debug"));
        assert!(s.log_json);
        assert_eq!(
            s.external_urls(),
            Some(("postgres://db".to_owned(), "nats://mq".to_owned()))
        );
        assert!(!settings(&[("LOG_FORMAT", "text".into())]).log_json);
    }

    #[test]
    fn empty_and_non_unicode_urls_count_as_they_always_have() {
        let empty = settings(&[("DATABASE_URL", "".into()), ("NATS_URL", "".into())]);
        assert_eq!(empty.external_urls(), Some((String::new(), String::new())));
        assert!(!empty.external_urls_set().database_url);
        assert!(!empty.external_urls_set().nats_url);

        let odd = settings(&[
            ("DATABASE_URL", non_unicode()),
            ("NATS_URL", "nats://mq".into()),
        ]);
        assert_eq!(odd.external_urls(), None);
        assert_eq!(
            odd.external_urls_set(),
            ExternalUrlsSet {
                database_url: true,
                nats_url: true
            }
        );
        assert_eq!(
            settings(&[("AUTH_JWT_SECRET", non_unicode())]).jwt_secret,
            None
        );
    }
}
