//! Connecting to NATS from a `NATS_URL`, credentials included.
//!
//! `NATS_URL` is one server URL, or a cluster's servers separated by commas
//! (`nats://promo:pw@n1:4222,nats://promo:pw@n2:4222`): the client learns the
//! rest of a cluster from whichever server it reaches, but it must reach one
//! at start, so a cluster's URL names more than one. A secured server
//! (`nats-secure.conf`) wants a user and password, and the service is given
//! them in its URL. async-nats 0.51 ignores a user and password written in
//! the URL, so they are taken out here and passed as connect options (the
//! same for every server: they are one cluster's users); the addresses
//! handed on no longer carry them, and [`redacted`] is how a URL is printed.

use std::str::FromStr;

use async_nats::{ConnectOptions, ServerAddr};

/// Options carrying the URL's user and password (percent-decoded), if any,
/// and the server addresses without them.
pub fn connect_options(
    url: &str,
    options: ConnectOptions,
) -> Result<(ConnectOptions, Vec<ServerAddr>), std::io::Error> {
    let invalid = |message: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, message);
    let mut credentials: Option<(String, String)> = None;
    let mut servers = Vec::new();
    for server in url.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (addr, user) = without_credentials(server)?;
        if let Some(user) = user {
            if credentials.as_ref().is_some_and(|known| *known != user) {
                return Err(invalid(
                    "NATS_URL: the servers name different users or passwords",
                ));
            }
            credentials = Some(user);
        }
        servers.push(addr);
    }
    if servers.is_empty() {
        return Err(invalid("NATS_URL: no server named"));
    }
    let options = match credentials {
        Some((user, password)) => options.user_and_password(user, password),
        None => options,
    };
    Ok((options, servers))
}

/// One server URL without its user and password, and those (decoded).
fn without_credentials(
    server: &str,
) -> Result<(ServerAddr, Option<(String, String)>), std::io::Error> {
    let addr = ServerAddr::from_str(server)?;
    let (Some(user), Some(password)) = (addr.username(), addr.password()) else {
        return Ok((addr, None));
    };
    let (user, password) = (percent_decoded(user), percent_decoded(password));
    let mut bare = addr.into_inner();
    // Both only fail for URLs that cannot carry credentials, which this one just did.
    let _ = bare.set_password(None);
    let _ = bare.set_username("");
    Ok((ServerAddr::from_url(bare)?, Some((user, password))))
}

/// Connects with the URL's credentials (see [`connect_options`]) and otherwise `options`.
pub async fn connect_with(
    url: &str,
    options: ConnectOptions,
) -> Result<async_nats::Client, async_nats::ConnectError> {
    let (options, servers) = connect_options(url, options).map_err(|e| {
        async_nats::ConnectError::with_source(async_nats::ConnectErrorKind::ServerParse, e)
    })?;
    options.connect(servers).await
}

/// Connects with the URL's credentials and default options.
pub async fn connect(url: &str) -> Result<async_nats::Client, async_nats::ConnectError> {
    connect_with(url, ConnectOptions::new()).await
}

/// The URL (each server of a list) with its password replaced by `***`,
/// for logs and messages.
pub fn redacted(url: &str) -> String {
    url.split(',')
        .map(redacted_one)
        .collect::<Vec<_>>()
        .join(",")
}

fn redacted_one(url: &str) -> String {
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
        let (addr, user) = without_credentials("nats://promo:p%40ss@127.0.0.1:4300").unwrap();
        assert_eq!(user, Some(("promo".to_owned(), "p@ss".to_owned())));
        assert_eq!(addr.as_url_str(), "nats://127.0.0.1:4300");
        assert_eq!(percent_decoded("p%40ss%2"), "p@ss%2");
        let (_, plain) = without_credentials("nats://127.0.0.1:4222").unwrap();
        assert!(plain.is_none());
        assert!(connect_options("http://x", ConnectOptions::new()).is_err());
    }

    fn servers(url: &str) -> Vec<String> {
        connect_options(url, ConnectOptions::new())
            .unwrap()
            .1
            .iter()
            .map(|s| s.as_url_str().to_owned())
            .collect()
    }

    #[test]
    fn a_cluster_url_names_each_server_with_one_set_of_credentials() {
        assert_eq!(servers("nats://127.0.0.1:4222"), ["nats://127.0.0.1:4222"]);
        assert_eq!(
            servers("nats://promo:pw@n1:4222, nats://promo:pw@n2:4222,,"),
            ["nats://n1:4222", "nats://n2:4222"]
        );
        assert!(connect_options(" , ", ConnectOptions::new()).is_err());
        assert!(connect_options(
            "nats://promo:pw@n1:4222,nats://other:pw@n2:4222",
            ConnectOptions::new()
        )
        .is_err());
        assert_eq!(
            redacted("nats://promo:pw@n1:4222,nats://promo:pw@n2:4222"),
            "nats://promo:***@n1:4222,nats://promo:***@n2:4222"
        );
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
