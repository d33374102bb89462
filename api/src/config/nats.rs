//! How many NATS servers keep a copy of each stream (`NATS_STREAM_REPLICAS`).
//! (`NATS_URL`, one server or a cluster's list with its credentials, is read
//! by `promo_eventstore::nats_url`.)

use promo_eventstore::jetstream::MAX_REPLICAS;

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
