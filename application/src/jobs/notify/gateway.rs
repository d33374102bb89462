//! The notification gateway's HTTP contract: `POST {NOTIFY_URL}` with
//! `{kind, eventId, participantId, phoneNumber, message}` (phone in E.164),
//! `Authorization: Bearer {NOTIFY_API_KEY}` and an `Idempotency-Key` stable
//! per (participant, kind), within a bounded timeout. A 2xx is delivered;
//! a timeout, a connection error, a 5xx or a 429 is worth retrying; any
//! other answer is not.

use promo_domain::notification::AttemptOutcome;
use serde::Serialize;
use uuid::Uuid;

use super::NotifySettings;

/// The JSON the gateway receives.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayRequest<'a> {
    pub kind: &'static str,
    pub event_id: Uuid,
    pub participant_id: Uuid,
    /// E.164, `+8210…`; decrypted for this request only.
    pub phone_number: &'a str,
    pub message: &'a str,
}

pub struct Gateway {
    http: reqwest::Client,
    url: String,
    api_key: Option<String>,
}

impl Gateway {
    pub fn new(settings: &NotifySettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent("promo-notify/1")
            .build()?;
        Ok(Self {
            http,
            url: settings.url.clone(),
            api_key: settings.api_key.clone(),
        })
    }

    /// One attempt. The reasons are Korean: the owner reads them.
    pub async fn send(
        &self,
        idempotency_key: &str,
        request: &GatewayRequest<'_>,
    ) -> AttemptOutcome {
        let mut call = self
            .http
            .post(&self.url)
            .header("Idempotency-Key", idempotency_key)
            .json(request);
        if let Some(key) = &self.api_key {
            call = call.bearer_auth(key);
        }
        match call.send().await {
            Ok(response) if response.status().is_success() => AttemptOutcome::Delivered {
                http_status: response.status().as_u16(),
            },
            Ok(response) => {
                let status = response.status();
                AttemptOutcome::Failed {
                    reason: format!("알림 게이트웨이 응답 오류 (HTTP {})", status.as_u16()),
                    retryable: status.is_server_error()
                        || status == reqwest::StatusCode::TOO_MANY_REQUESTS,
                }
            }
            Err(error) if error.is_timeout() => AttemptOutcome::Failed {
                reason: "알림 게이트웨이 응답 시간 초과".to_string(),
                retryable: true,
            },
            Err(error) => {
                tracing::debug!(%error, "notification gateway unreachable");
                AttemptOutcome::Failed {
                    reason: "알림 게이트웨이에 연결할 수 없습니다".to_string(),
                    retryable: true,
                }
            }
        }
    }
}
