//! `<data_dir>/infra.json`: what a running embedded infrastructure records (ports, pids, where
//! the cluster lives), so that a later process on the same data folder finds and reuses it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// Name of the state file in the data folder.
const INFRA_FILE: &str = "infra.json";

/// What `<data_dir>/infra.json` records, for reuse by a later process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InfraState {
    pub(super) database_url: String,
    pub(super) nats_url: String,
    pub(super) pg_port: u16,
    /// Where the cluster lives (inside the data folder or in `/var/tmp`).
    pub(super) pg_cluster_dir: PathBuf,
    pub(super) pg_log: PathBuf,
    pub(super) nats_port: u16,
    pub(super) nats_pid: u32,
    pub(super) nats_log: PathBuf,
    /// The process that wrote this file (and may stop the servers when it exits).
    pub(super) owner_pid: u32,
}

impl InfraState {
    pub(super) fn load(data_dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(data_dir.join(INFRA_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes through a temporary file and a rename, so a concurrent reader never sees half.
    pub(super) fn save(&self, data_dir: &Path) -> anyhow::Result<()> {
        let path = data_dir.join(INFRA_FILE);
        let tmp = data_dir.join(format!("{INFRA_FILE}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedded::{nats, postgres};

    #[test]
    fn infra_state_round_trips_as_camel_case_json() {
        let state = InfraState {
            database_url: postgres::database_url(1),
            nats_url: nats::nats_url(2),
            pg_port: 1,
            pg_cluster_dir: "/var/tmp/promo-pg-x".into(),
            pg_log: "/var/tmp/promo-pg-x/postgres.log".into(),
            nats_port: 2,
            nats_pid: 3,
            nats_log: "/d/nats.log".into(),
            owner_pid: 4,
        };
        let json = serde_json::to_string(&state).unwrap();
        assert!(
            json.contains("\"pgClusterDir\":\"/var/tmp/promo-pg-x\""),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<InfraState>(&json).unwrap(), state);
    }
}
