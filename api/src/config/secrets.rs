//! The service's secrets from the environment: the master key that wraps
//! the campaign keys (and the previous one during a rotation), and the rule
//! for the owner-token secret.

use anyhow::Context;
use promo_eventstore::secrets::{MasterKey, MasterKeys};

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
