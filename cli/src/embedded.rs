//! Embedded infrastructure for development and tests: a PRIVATE PostgreSQL cluster and a private
//! `nats-server` (JetStream) under a data folder, used by `promo serve` when `DATABASE_URL` /
//! `NATS_URL` are not set and by `promo with-infra -- <cmd>` (the test runner).
//!
//! One job per submodule:
//!
//! - `infra`: starting (or reusing) and stopping both servers as one, [`EmbeddedInfra`];
//! - `with_infra`: running a command with their URLs exported, [`run_with_infra`];
//! - `postgres`: the cluster: its binaries, its location and `initdb`, the server process (run
//!   as the `postgres` user when we are root);
//! - `nats`: the nats-server process (running `nats-secure.conf`: users and permissions), its
//!   users' passwords and its readiness probe;
//! - `record` and `start_lock`: `infra.json` (reuse by a later process) and `infra.lock`;
//! - `packages`: installing the Debian packages `postgresql` / `nats-server` when missing,
//!   [`ensure_packages`];
//! - `sys`: the operating-system helpers they share.
//!
//! Both servers listen on 127.0.0.1 on ports picked free at start, never the system instances'
//! 5432/4222. Data folder layout:
//!
//! - `infra.json`: ports, pids and the cluster directory of the running instance;
//! - `infra.lock`: held while a process starts the infrastructure;
//! - `postgres/`: the cluster (`data/`, `sock/`, `postgres.log`, `initdb.log`), unless the
//!   `postgres` user cannot reach the data folder (e.g. under `/root`): then it lives in
//!   `/var/tmp/promo-pg-<hash of the data folder path>` and `infra.json` says so;
//! - `nats/` (JetStream store), `nats.log`, `nats.pid`, and `nats-passwords` (0600: the
//!   passwords of the `promo` and `distribution` users of `nats-secure.conf`, made once).

mod infra;
mod nats;
mod packages;
mod postgres;
mod record;
mod start_lock;
mod sys;
mod with_infra;

pub use infra::EmbeddedInfra;
pub use packages::ensure_packages;
pub use with_infra::run_with_infra;
