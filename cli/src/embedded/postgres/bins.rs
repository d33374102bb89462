//! Finding the PostgreSQL server tools: Debian's `/usr/lib/postgresql/<major>/bin` (the major an
//! existing cluster was made by, else the highest installed), else `$PATH`.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};

use crate::embedded::sys;

/// Where Debian's `postgresql-<major>` packages put their server binaries.
const DEBIAN_PG_ROOT: &str = "/usr/lib/postgresql";

/// The server tools of one PostgreSQL installation.
#[derive(Debug, Clone)]
pub(super) struct PgBins {
    pub(super) initdb: PathBuf,
    pub(super) pg_ctl: PathBuf,
    /// Major version directory name (`15`), when found under [`DEBIAN_PG_ROOT`].
    pub(super) version: Option<String>,
}

/// Parses a version directory name (`15`, `9.6`) into comparable numbers.
fn parse_version(name: &str) -> Option<Vec<u32>> {
    name.split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<u32>>>()
        .filter(|v| !v.is_empty())
}

/// The highest PostgreSQL major among directory names; non-version names are ignored.
fn pick_highest_major<I, S>(names: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    names
        .into_iter()
        .map(Into::into)
        .filter_map(|n| parse_version(&n).map(|v| (v, n)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, n)| n)
}

/// Version directories under [`DEBIAN_PG_ROOT`] that hold both `initdb` and `pg_ctl`.
fn installed_versions() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(DEBIAN_PG_ROOT) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| {
            let bin = Path::new(DEBIAN_PG_ROOT).join(name).join("bin");
            sys::is_executable(&bin.join("initdb")) && sys::is_executable(&bin.join("pg_ctl"))
        })
        .collect()
}

fn debian_bins(version: &str) -> PgBins {
    let bin = Path::new(DEBIAN_PG_ROOT).join(version).join("bin");
    PgBins {
        initdb: bin.join("initdb"),
        pg_ctl: bin.join("pg_ctl"),
        version: Some(version.to_owned()),
    }
}

/// Finds `initdb`/`pg_ctl`: the requested major (an existing cluster's `PG_VERSION`), else the
/// highest major under [`DEBIAN_PG_ROOT`], else whatever is on `$PATH`.
pub(super) fn find_bins(wanted: Option<&str>) -> anyhow::Result<PgBins> {
    let versions = installed_versions();
    if let Some(wanted) = wanted {
        if versions.iter().any(|v| v == wanted) {
            return Ok(debian_bins(wanted));
        }
        if versions.is_empty() {
            if let (Some(initdb), Some(pg_ctl)) = (sys::which("initdb"), sys::which("pg_ctl")) {
                return Ok(PgBins {
                    initdb,
                    pg_ctl,
                    version: None,
                });
            }
        }
        bail!(
            "the existing cluster was initialised by PostgreSQL {wanted}, but {}/{wanted}/bin is not installed \
             (installed: {}); install postgresql-{wanted} or delete the cluster directory",
            DEBIAN_PG_ROOT,
            if versions.is_empty() { "none".to_owned() } else { versions.join(", ") }
        );
    }
    if let Some(v) = pick_highest_major(versions) {
        return Ok(debian_bins(&v));
    }
    match (sys::which("initdb"), sys::which("pg_ctl")) {
        (Some(initdb), Some(pg_ctl)) => Ok(PgBins { initdb, pg_ctl, version: None }),
        _ => Err(anyhow!("PostgreSQL server binaries (initdb, pg_ctl) not found in {DEBIAN_PG_ROOT}/<major>/bin or on PATH")),
    }
}

/// True if PostgreSQL server binaries are installed.
pub(crate) fn binaries_present() -> bool {
    find_bins(None).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_postgres_major_is_picked_numerically() {
        let names = ["9.6", "13", "15", "README", "16", "lib", "12"];
        assert_eq!(pick_highest_major(names), Some("16".to_owned()));
        assert_eq!(pick_highest_major(["9.6", "10"]), Some("10".to_owned()));
        assert_eq!(pick_highest_major(["9.5", "9.6"]), Some("9.6".to_owned()));
        assert_eq!(pick_highest_major(["x", ""]), None);
        assert_eq!(pick_highest_major(Vec::<String>::new()), None);
    }
}
