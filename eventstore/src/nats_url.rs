//! Connecting to NATS from a `NATS_URL`, credentials included.
//!
//! A secured server (`nats-secure.conf`) wants a user and password, and the service is given
//! them in its URL: `nats://promo:<password>@host:4222`. async-nats 0.51 ignores a user and
//! password written in the URL, so they are taken out here and passed as connect options; the
//! address handed on no longer carries them, and [`redacted`] is how a URL is printed.

use std::str::FromStr;

use async_nats::{ConnectOptions, ServerAddr};

/// Options carrying the URL's user and password (percent-decoded), if any, and the server
/// address without them.
pub fn connect_options(
    url: &str,
    options: ConnectOptions,
) -> Result<(ConnectOptions, ServerAddr), std::io::Error> {
    let addr = ServerAddr::from_str(url)?;
    let (Some(user), Some(password)) = (addr.username(), addr.password()) else {
        return Ok((options, addr));
    };
    let (user, password) = (percent_decoded(user), percent_decoded(password));
    let mut bare = addr.into_inner();
    // Both only fail for URLs that cannot carry credentials, which this one just did.
    let _ = bare.set_password(None);
    let _ = bare.set_username("");
    Ok((
        options.user_and_password(user, password),
        ServerAddr::from_url(bare)?,
    ))
}

/// Connects with the URL's credentials (see [`connect_options`]) and otherwise `options`.
pub async fn connect_with(
    url: &str,
    options: ConnectOptions,
) -> Result<async_nats::Client, async_nats::ConnectError> {
    let (options, addr) = connect_options(url, options).map_err(|e| {
        async_nats::ConnectError::with_source(async_nats::ConnectErrorKind::ServerParse, e)
    })?;
    options.connect(addr).await
}

/// Connects with the URL's credentials and default options.
pub async fn connect(url: &str) -> Result<async_nats::Client, async_nats::ConnectError> {
    connect_with(url, ConnectOptions::new()).await
}

/// The URL with its password replaced by `***`, for logs and messages.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let user = rest[..at].split_once(':').map_or(&rest[..at], |(u, _)| u);
    format!("{scheme}://{user}:***{}", &rest[at..])
}

/// `%XX` escapes decoded (a password may need them in a URL); anything else kept as is.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_leave_the_address_and_are_decoded() {
        let (_, addr) =
            connect_options("nats://promo:p%40ss@127.0.0.1:4300", ConnectOptions::new()).unwrap();
        assert_eq!(addr.as_url_str(), "nats://127.0.0.1:4300");
        assert_eq!(percent_decoded("p%40ss%2"), "p@ss%2");
        let (_, plain) = connect_options("nats://127.0.0.1:4222", ConnectOptions::new()).unwrap();
        assert_eq!(plain.as_url_str(), "nats://127.0.0.1:4222");
        assert!(connect_options("http://x", ConnectOptions::new()).is_err());
    }

    #[test]
    fn a_printed_url_never_shows_the_password() {
        assert_eq!(
            redacted("nats://promo:s3cret@127.0.0.1:42000"),
            "nats://promo:***@127.0.0.1:42000"
        );
        assert_eq!(redacted("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
        assert_eq!(redacted("nats://u@h:1/x@y"), "nats://u:***@h:1/x@y");
    }
}
