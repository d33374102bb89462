//! Owner authentication and authorisation on owner endpoints.

use jsonwebtoken::{encode, EncodingKey, Header};
use promo_tests::{TestApp, TestEnv, JWT_SECRET};
use serde_json::json;

async fn status_with(app: &TestApp, path: &str, auth: Option<String>) -> (u16, serde_json::Value) {
    let mut request = app.client.get(app.url(path));
    if let Some(value) = auth {
        request = request.header("Authorization", value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn owner_endpoints_refuse_missing_bad_and_foreign_tokens() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner-a").await;
    let path = format!("/api/v1/events/{campaign}/participants");
    let now = chrono::Utc::now().timestamp() as u64;

    let expired = encode(
        &Header::default(),
        &json!({"sub": "owner-a", "exp": now - 3600}),
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    let wrong_secret = encode(
        &Header::default(),
        &json!({"sub": "owner-a", "exp": now + 3600}),
        &EncodingKey::from_secret(b"another-secret-entirely"),
    )
    .unwrap();
    let no_exp = encode(
        &Header::default(),
        &json!({"sub": "owner-a"}),
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    // alg "none": header {"alg":"none"} with the right claims and no signature.
    let none_alg = format!(
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
        base64_url(&json!({"sub": "owner-a", "exp": now + 3600}).to_string())
    );
    for (auth, why) in [
        (None, "missing"),
        (Some("Bearer".to_string()), "empty bearer"),
        (Some("Basic b3duZXI6cHc=".to_string()), "wrong scheme"),
        (Some("Bearer not.a.jwt".to_string()), "garbage"),
        (Some(format!("Bearer {expired}")), "expired"),
        (Some(format!("Bearer {wrong_secret}")), "wrong secret"),
        (Some(format!("Bearer {no_exp}")), "no exp"),
        (Some(format!("Bearer {none_alg}")), "alg none"),
    ] {
        let (status, body) = status_with(&app, &path, auth).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("UNAUTHORIZED")),
            "{why}: {body}"
        );
    }

    let (status, body) = app.get(&path, Some("owner-b")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("FORBIDDEN")),
        "{body}"
    );
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{campaign}/end"),
            Some("owner-b"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("FORBIDDEN")),
        "{body}"
    );
    let (status, body) = app
        .post("/api/v1/events/purposes", Some("owner-b"), &json!({"userId": "owner-a", "objective": "매출 증대", "storeName": "a", "industry": "b", "address": "c"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("FORBIDDEN")),
        "{body}"
    );
    let (status, _) = app.get(&path, Some("owner-a")).await;
    assert_eq!(status, 200);
    app.stop().await;
}

fn base64_url(input: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = input.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}
