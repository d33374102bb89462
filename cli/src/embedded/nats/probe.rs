//! Whether a nats-server is ready: TCP open, a NATS connection as the `promo` user, and
//! JetStream answering an account info request, polled until it does or the server dies.

use std::time::Duration;

use super::{nats_url, NatsCredentials};
use crate::embedded::sys;

/// One readiness probe: TCP, NATS connect (logged in: a secured server refuses anonymous
/// clients), and a JetStream account info request.
///
/// The request is raw (`$JS.API.INFO`) on purpose: async-nats 0.51's `query_account()` cannot
/// decode the reply of nats-server 2.9 (Debian bookworm), which lacks `reserved_memory`.
async fn answers(port: u16, credentials: &NatsCredentials) -> Result<(), String> {
    if !sys::tcp_open(port).await {
        return Err("port not open".to_owned());
    }
    let probe = async {
        let client = async_nats::ConnectOptions::with_user_and_password(
            super::credentials::SERVICE_USER.into(),
            credentials.service.clone(),
        )
        .connection_timeout(Duration::from_secs(2))
        .connect(nats_url(port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
        let result = client
            .request("$JS.API.INFO", "".into())
            .await
            .map_err(|e| format!("JetStream account info: {e}"))
            .and_then(|reply| check_account_info(&reply.payload));
        let _ = client.drain().await;
        result
    };
    match tokio::time::timeout(Duration::from_secs(5), probe).await {
        Ok(r) => r,
        Err(_) => Err("probe timed out".to_owned()),
    }
}

/// Accepts a `$JS.API.INFO` reply that is an account info response without an error.
fn check_account_info(payload: &[u8]) -> Result<(), String> {
    let reply: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|e| format!("JetStream account info is not JSON: {e}"))?;
    if let Some(error) = reply.get("error") {
        return Err(format!("JetStream account info: {error}"));
    }
    match reply.get("type").and_then(|t| t.as_str()) {
        Some("io.nats.jetstream.api.v1.account_info_response") => Ok(()),
        other => Err(format!(
            "unexpected JetStream account info reply type {other:?}"
        )),
    }
}

/// Waits until the server answers JetStream requests (see [`sys::wait_ready`]).
pub(super) async fn wait_ready(
    port: u16,
    credentials: &NatsCredentials,
    timeout: Duration,
    alive: impl Fn() -> bool,
) -> Result<(), String> {
    sys::wait_ready(|| answers(port, credentials), timeout, alive).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jetstream_account_info_replies_are_checked() {
        let ok = br#"{"type":"io.nats.jetstream.api.v1.account_info_response","memory":0,"storage":0,"streams":0,"consumers":0,"limits":{},"api":{"total":1,"errors":0}}"#;
        assert_eq!(check_account_info(ok), Ok(()));
        let disabled = br#"{"type":"io.nats.jetstream.api.v1.account_info_response","error":{"code":503,"err_code":10039,"description":"jetstream not enabled for account"}}"#;
        assert!(check_account_info(disabled)
            .unwrap_err()
            .contains("not enabled"));
        assert!(check_account_info(b"nope").is_err());
        assert!(check_account_info(br#"{"type":"other"}"#).is_err());
    }
}
