//! `promo token --owner ID [--days N] [--login]`: an owner token signed with
//! the secret `serve` uses (`AUTH_JWT_SECRET`, or the one generated into the
//! data folder), and with `--login` the console sign-in link that sets the
//! console's session cookie.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use promo_api::auth::Auth;

/// How long a token lasts when `--days` is not given (as long as the token
/// `serve` prints).
pub const DEFAULT_DAYS: u64 = 30;

/// Longest `--days` accepted: a year.
pub const MAX_DAYS: u64 = 366;

/// `AUTH_JWT_SECRET`, or a random one kept in the data folder for local use
/// (created on first use, by `serve` or by `token`, and shared by both).
pub fn jwt_secret(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<String> {
    if let Some(secret) = configured {
        promo_api::config::check_jwt_secret(secret)?;
        return Ok(secret.to_owned());
    }
    let path = data_dir.join("jwt-secret");
    if let Ok(secret) = std::fs::read_to_string(&path) {
        let secret = secret.trim().to_string();
        promo_api::config::check_jwt_secret(&secret).with_context(|| {
            format!(
                "{} is too short; delete it to make a new one",
                path.display()
            )
        })?;
        return Ok(secret);
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let secret = hex::encode(promo_eventstore::secrets::random_bytes::<32>()?);
    write_private(&path, secret.as_bytes())?;
    tracing::warn!(path = %path.display(), "AUTH_JWT_SECRET not set: using a generated local secret");
    Ok(secret)
}

/// What `promo token` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub owner: String,
    pub days: u64,
    /// Print the console sign-in link instead of the bare token.
    pub login: bool,
}

/// The line `promo token` prints: the token, or `{base}/console/login?token=…`.
pub fn issue(secret: &str, request: &TokenRequest, base_url: &str) -> anyhow::Result<String> {
    let owner = request.owner.trim();
    if owner.is_empty() || owner.len() > 200 {
        anyhow::bail!("--owner: 1 to 200 bytes");
    }
    if !(1..=MAX_DAYS).contains(&request.days) {
        anyhow::bail!("--days: 1 to {MAX_DAYS}");
    }
    let token = Auth::new(secret).issue(owner, Duration::from_secs(request.days * 24 * 3600));
    Ok(if request.login {
        // A JWT is base64url and dots: nothing in it needs escaping in a query.
        format!(
            "{}/console/login?token={token}",
            base_url.trim_end_matches('/')
        )
    } else {
        token
    })
}

/// Writes a file only its owner can read (0600), for secrets.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-test-secret-of-at-least-32-bytes-0123456789";

    fn request(login: bool) -> TokenRequest {
        TokenRequest {
            owner: "owner-7".into(),
            days: 2,
            login,
        }
    }

    #[test]
    fn the_token_is_the_owners_and_verifies_with_the_secret() {
        let token = issue(SECRET, &request(false), "http://x").unwrap();
        let claims = Auth::new(SECRET).verify_claims(&token).unwrap();
        assert_eq!(claims.sub, "owner-7");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!((2 * 86_400 - 60..=2 * 86_400 + 60).contains(&(claims.exp - now)));
        assert!(Auth::new("another-secret-0123456789")
            .verify(&token)
            .is_err());
    }

    #[test]
    fn the_login_link_points_at_the_console() {
        let link = issue(SECRET, &request(true), "https://promo.example.kr/").unwrap();
        let token = link
            .strip_prefix("https://promo.example.kr/console/login?token=")
            .expect(&link);
        assert_eq!(Auth::new(SECRET).verify(token).unwrap(), "owner-7");
    }

    #[test]
    fn bad_requests_are_refused() {
        let bad = |owner: &str, days| {
            issue(
                SECRET,
                &TokenRequest {
                    owner: owner.into(),
                    days,
                    login: false,
                },
                "http://x",
            )
            .is_err()
        };
        assert!(bad("", 1));
        assert!(bad(&"x".repeat(201), 1));
        assert!(bad("o", 0));
        assert!(bad("o", MAX_DAYS + 1));
    }

    #[test]
    fn the_generated_secret_is_kept_and_shared() {
        let dir = std::env::temp_dir().join(format!("promo-token-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = jwt_secret(None, &dir).unwrap();
        assert_eq!(jwt_secret(None, &dir).unwrap(), first);
        assert_eq!(jwt_secret(Some(SECRET), &dir).unwrap(), SECRET);
        assert!(jwt_secret(Some("short"), &dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
