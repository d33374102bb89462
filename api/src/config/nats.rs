//! How the service reaches NATS, from the environment: the servers of
//! `NATS_URL` (one, or a cluster's seed list) with the credentials written
//! in them, and how many servers keep a copy of each stream
//! (`NATS_STREAM_REPLICAS`).

use promo_eventstore::jetstream::MAX_REPLICAS;

/// The servers named by `NATS_URL` and the client options carrying its
/// credentials. `NATS_URL` is one URL or several separated by commas
/// (`nats://promo:pw@n1:4222,nats://promo:pw@n2:4222`): the client learns
/// the rest of a cluster from whichever server it reaches, but it must
/// reach one at start, so a cluster's URL names more than one.
///
/// async-nats does not send a user and password written in a server URL,
/// so they are taken out here and set as the client's credentials, the
/// same for every server (they are one cluster's users).
pub fn nats_connection(url: &str) -> anyhow::Result<(async_nats::ConnectOptions, Vec<String>)> {
    let mut credentials: Option<(String, String)> = None;
    let mut servers = Vec::new();
    for server in url.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (address, user) = split_credentials(server)?;
        if let Some(user) = user {
            if credentials.as_ref().is_some_and(|known| *known != user) {
                anyhow::bail!("NATS_URL: the servers name different users or passwords");
            }
            credentials = Some(user);
        }
        servers.push(address);
    }
    if servers.is_empty() {
        anyhow::bail!("NATS_URL: no server named");
    }
    let options = match credentials {
        Some((user, password)) => {
            async_nats::ConnectOptions::with_user_and_password(user, password)
        }
        None => async_nats::ConnectOptions::new(),
    };
    Ok((options, servers))
}

/// `nats://user:password@host:port` → (`nats://host:port`, user and
/// password percent-decoded); a URL without `@` has no credentials.
fn split_credentials(server: &str) -> anyhow::Result<(String, Option<(String, String)>)> {
    let (scheme, rest) = match server.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, server),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return Ok((server.to_string(), None));
    };
    let (user, password) = rest[..at].split_once(':').unwrap_or((&rest[..at], ""));
    let address = match scheme {
        Some(scheme) => format!("{scheme}://{}", &rest[at + 1..]),
        None => rest[at + 1..].to_string(),
    };
    Ok((
        address,
        Some((percent_decode(user)?, percent_decode(password)?)),
    ))
}

fn percent_decode(text: &str) -> anyhow::Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let byte = text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| anyhow::anyhow!("NATS_URL: a bad %-escape in the credentials"))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| anyhow::anyhow!("NATS_URL: credentials are not UTF-8"))
}

/// `NATS_STREAM_REPLICAS` (default 1).
pub fn stream_replicas_from_env() -> anyhow::Result<usize> {
    match std::env::var("NATS_STREAM_REPLICAS") {
        Ok(value) if !value.trim().is_empty() => parse_stream_replicas(&value),
        _ => Ok(1),
    }
}

/// A replica count JetStream accepts: 1 (a single server) to 5. More than
/// the cluster has servers is refused by the servers when the stream is
/// created, with their own message.
fn parse_stream_replicas(value: &str) -> anyhow::Result<usize> {
    match value.trim().parse::<usize>() {
        Ok(replicas) if (1..=MAX_REPLICAS).contains(&replicas) => Ok(replicas),
        _ => anyhow::bail!(
            "NATS_STREAM_REPLICAS: expected a number from 1 to {MAX_REPLICAS} \
             (1 on a single server, 3 on a three-node cluster), got {value:?}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers(url: &str) -> Vec<String> {
        nats_connection(url).unwrap().1
    }

    #[test]
    fn a_cluster_url_names_each_server() {
        assert_eq!(servers("nats://127.0.0.1:4222"), ["nats://127.0.0.1:4222"]);
        assert_eq!(
            servers("nats://a:4222, nats://b:4222,,c:4222 "),
            ["nats://a:4222", "nats://b:4222", "c:4222"]
        );
        assert!(nats_connection(" , ").is_err());
    }

    #[test]
    fn credentials_are_taken_out_of_the_urls() {
        assert_eq!(
            split_credentials("nats://promo:p%40ss:w@n1:4222").unwrap(),
            (
                "nats://n1:4222".to_string(),
                Some(("promo".to_string(), "p@ss:w".to_string()))
            )
        );
        assert_eq!(
            servers("nats://promo:pw@n1:4222,nats://promo:pw@n2:4222"),
            ["nats://n1:4222", "nats://n2:4222"]
        );
        assert!(nats_connection("nats://promo:pw@n1:4222,nats://other:pw@n2:4222").is_err());
        assert!(split_credentials("nats://promo:%zz@n1:4222").is_err());
    }

    #[test]
    fn replica_counts_outside_one_to_five_are_refused_by_name() {
        assert_eq!(parse_stream_replicas("3").unwrap(), 3);
        assert_eq!(parse_stream_replicas(" 1 ").unwrap(), 1);
        for bad in ["0", "6", "-1", "three", ""] {
            let error = parse_stream_replicas(bad).unwrap_err().to_string();
            assert!(error.starts_with("NATS_STREAM_REPLICAS"), "{bad}: {error}");
        }
    }
}
