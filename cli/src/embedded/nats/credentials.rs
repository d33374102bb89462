//! The embedded nats-server's users (`nats-secure.conf`): the passwords of `promo` (the
//! service) and `distribution` (the broadcast partner), generated once per data folder into
//! `<data_dir>/nats-passwords` (0600) and reused for as long as that file exists, so a server
//! started by an earlier process is still reachable. nats-server gets them from its
//! environment; the service gets the `promo` user's in its `NATS_URL`, which is therefore a
//! secret: print it only through `promo_eventstore::nats_url::redacted`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// The user the service connects as (`nats-secure.conf`).
pub(crate) const SERVICE_USER: &str = "promo";
/// The broadcast partner's user (`nats-secure.conf`).
pub(crate) const DISTRIBUTION_USER: &str = "distribution";
/// The variables `nats-secure.conf` reads the passwords from.
pub(crate) const SERVICE_PASSWORD_ENV: &str = "PROMO_NATS_SERVICE_PASSWORD";
pub(crate) const DISTRIBUTION_PASSWORD_ENV: &str = "PROMO_NATS_DISTRIBUTION_PASSWORD";
/// Name of the password file in the data folder.
const FILE: &str = "nats-passwords";

/// Both users' passwords (letters and digits only, so they need no escaping in a URL or in
/// nats-server's config).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct NatsCredentials {
    pub(crate) service: String,
    pub(crate) distribution: String,
}

/// Never the passwords themselves, so a `{:?}` in a log cannot leak them.
impl std::fmt::Debug for NatsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NatsCredentials(..)")
    }
}

impl NatsCredentials {
    /// The passwords kept in `<data_dir>/nats-passwords`, created with random ones first if
    /// the file is missing. Called under the start lock, so two processes never race here.
    pub(crate) fn load_or_create(data_dir: &Path) -> anyhow::Result<Self> {
        let path = file(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text).with_context(|| {
                format!(
                    "{} is damaged; stop the embedded nats-server and delete the file",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let credentials = Self {
                    service: random_password()?,
                    distribution: random_password()?,
                };
                crate::token::write_private(&path, credentials.file_text().as_bytes())?;
                tracing::info!(path = %path.display(), "generated the embedded NATS users' passwords");
                Ok(credentials)
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// `nats://promo:<password>@127.0.0.1:<port>`: what the service and the tests get.
    pub(crate) fn service_url(&self, port: u16) -> String {
        format!("nats://{SERVICE_USER}:{}@127.0.0.1:{port}", self.service)
    }

    /// The environment nats-server needs to read `nats-secure.conf`.
    pub(crate) fn server_env(&self) -> [(&'static str, &str); 2] {
        [
            (SERVICE_PASSWORD_ENV, self.service.as_str()),
            (DISTRIBUTION_PASSWORD_ENV, self.distribution.as_str()),
        ]
    }

    fn file_text(&self) -> String {
        format!(
            "{SERVICE_USER}={}\n{DISTRIBUTION_USER}={}\n",
            self.service, self.distribution
        )
    }
}

/// `<data_dir>/nats-passwords`.
pub(crate) fn file(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

fn parse(text: &str) -> anyhow::Result<NatsCredentials> {
    let password = |user: &str| {
        text.lines()
            .filter_map(|line| line.split_once('='))
            .find(|(name, _)| name.trim() == user)
            .map(|(_, password)| password.trim().to_owned())
            .filter(|password| !password.is_empty())
    };
    let (Some(service), Some(distribution)) = (password(SERVICE_USER), password(DISTRIBUTION_USER))
    else {
        bail!("expected the lines {SERVICE_USER}=… and {DISTRIBUTION_USER}=…");
    };
    Ok(NatsCredentials {
        service,
        distribution,
    })
}

/// `pw` and 48 hex digits. The letters first on purpose: nats-server reads a `$VARIABLE` as a
/// config value, and one starting with a digit can be taken for a number and refused.
fn random_password() -> anyhow::Result<String> {
    Ok(format!(
        "pw{}",
        hex::encode(promo_eventstore::secrets::random_bytes::<24>()?)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_carries_the_service_user_and_debug_hides_the_passwords() {
        let credentials = NatsCredentials {
            service: "s3cret".into(),
            distribution: "other".into(),
        };
        let url = credentials.service_url(42000);
        assert_eq!(url, "nats://promo:s3cret@127.0.0.1:42000");
        assert!(!format!("{credentials:?}").contains("s3cret"));
    }

    #[test]
    fn the_passwords_are_made_once_private_and_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("promo-nats-pw-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let made = NatsCredentials::load_or_create(&dir).unwrap();
        assert_eq!(made.service.len(), 50);
        assert!(made.service.starts_with("pw"));
        assert_ne!(made.service, made.distribution);
        let mode = std::fs::metadata(file(&dir)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(NatsCredentials::load_or_create(&dir).unwrap(), made, "kept");
        std::fs::write(file(&dir), "promo=\n").unwrap();
        assert!(NatsCredentials::load_or_create(&dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
