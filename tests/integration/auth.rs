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

/// Owner endpoints as (method, path template, body).
const OWNER_ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/api/v1/events/purposes"),
    ("POST", "/api/v1/events/{id}/publish"),
    ("POST", "/api/v1/events/{id}/end"),
    ("GET", "/api/v1/events/{id}/participants"),
    ("GET", "/api/v1/events/{id}/participants/export"),
    ("POST", "/api/v1/events/{id}/personal-data/erase"),
    ("POST", "/api/v1/events/{id}/draw-winners"),
    ("GET", "/api/v1/events/{id}/winners"),
    ("POST", "/api/v1/events/{id}/costs"),
    ("GET", "/api/v1/events/{id}/analytics"),
];

/// A body the endpoint accepts, so that authorisation is what decides.
fn valid_body(template: &str) -> serde_json::Value {
    let now = chrono::Utc::now();
    if template.ends_with("/publish") {
        json!({"title": "t", "prize": "p", "startsAt": now, "endsAt": now + chrono::Duration::days(1),
            "announcementAt": now + chrono::Duration::days(2), "winnerCount": 1, "channels": ["KAKAO"]})
    } else if template.ends_with("/draw-winners") {
        json!({"winnerCount": 1, "visitBonus": false})
    } else if template.ends_with("/costs") {
        json!({"prizeCost": 1, "contentCost": 1, "operationCost": 1, "distributionCost": 1,
            "expectedRevenue": 10, "salesGrowthRate": 1.0})
    } else if template.ends_with("/purposes") {
        json!({"objective": "매출 증대", "storeName": "a", "industry": "b", "address": "c"})
    } else {
        json!({})
    }
}

/// A JWT with any header, HMAC-SHA256-signed with `secret`.
fn hs256_signed_with_header(
    header: serde_json::Value,
    claims: serde_json::Value,
    secret: &[u8],
) -> String {
    use hmac::{Hmac, Mac};
    let signing_input = format!(
        "{}.{}",
        base64_url(&header.to_string()),
        base64_url(&claims.to_string())
    );
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).unwrap();
    mac.update(signing_input.as_bytes());
    let signature = mac.finalize().into_bytes();
    use base64::Engine;
    format!(
        "{signing_input}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature)
    )
}

#[tokio::test]
async fn every_owner_endpoint_refuses_every_bad_token() {
    use jsonwebtoken::Algorithm;
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner-a").await;
    let now = chrono::Utc::now().timestamp() as u64;
    let claims = json!({"sub": "owner-a", "exp": now + 3600});
    let key = EncodingKey::from_secret(JWT_SECRET.as_bytes());
    let expired = encode(
        &Header::default(),
        &json!({"sub": "owner-a", "exp": now - 3600}),
        &key,
    )
    .unwrap();
    let hs512 = encode(&Header::new(Algorithm::HS512), &claims, &key).unwrap();
    let hs384 = encode(&Header::new(Algorithm::HS384), &claims, &key).unwrap();
    let rs256_header = hs256_signed_with_header(
        json!({"alg": "RS256", "typ": "JWT"}),
        claims.clone(),
        JWT_SECRET.as_bytes(),
    );
    let none_alg = format!(
        "{}.{}.",
        base64_url(&json!({"alg": "none", "typ": "JWT"}).to_string()),
        base64_url(&claims.to_string())
    );
    let wrong_secret = encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(b"another-secret-entirely"),
    )
    .unwrap();
    let empty_sub = encode(
        &Header::default(),
        &json!({"sub": "", "exp": now + 3600}),
        &key,
    )
    .unwrap();
    let no_sub = encode(&Header::default(), &json!({"exp": now + 3600}), &key).unwrap();
    let string_exp = encode(
        &Header::default(),
        &json!({"sub": "owner-a", "exp": "tomorrow"}),
        &key,
    )
    .unwrap();
    let valid = encode(&Header::default(), &claims, &key).unwrap();
    let tampered = {
        let mut parts: Vec<String> = valid.split('.').map(str::to_string).collect();
        parts[1] = base64_url(&json!({"sub": "owner-b", "exp": now + 3600}).to_string());
        parts.join(".")
    };
    let bad: Vec<(Option<String>, &str)> = vec![
        (None, "missing"),
        (Some("Bearer ".into()), "empty bearer"),
        (Some(format!("Token {valid}")), "wrong scheme"),
        (Some("Bearer a.b.c".into()), "garbage"),
        (Some(format!("Bearer {expired}")), "expired"),
        (Some(format!("Bearer {none_alg}")), "alg none"),
        (Some(format!("Bearer {hs512}")), "HS512"),
        (Some(format!("Bearer {hs384}")), "HS384"),
        (
            Some(format!("Bearer {rs256_header}")),
            "RS256 header, HS256 signature",
        ),
        (Some(format!("Bearer {wrong_secret}")), "wrong secret"),
        (Some(format!("Bearer {empty_sub}")), "empty sub"),
        (Some(format!("Bearer {no_sub}")), "no sub"),
        (Some(format!("Bearer {string_exp}")), "exp not a number"),
        (Some(format!("Bearer {tampered}")), "tampered claims"),
    ];
    let mut mounted = 0;
    for (method, template) in OWNER_ENDPOINTS {
        let path = template.replace("{id}", &campaign.to_string());
        let send = |auth: Option<String>| {
            let mut request = app
                .client
                .request(method.parse().unwrap(), app.url(&path))
                .json(&valid_body(template));
            if let Some(value) = auth {
                request = request.header("Authorization", value);
            }
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                (
                    status,
                    response
                        .json::<serde_json::Value>()
                        .await
                        .unwrap_or_default(),
                )
            }
        };
        let (status, body) = send(None).await;
        if status == 404 && body["code"] == "NOT_FOUND" {
            println!("owner endpoint not mounted, skipped: {method} {template}");
            continue;
        }
        mounted += 1;
        for (auth, why) in &bad {
            let (status, body) = send(auth.clone()).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (401, Some("UNAUTHORIZED")),
                "{method} {template}, {why}: {body}"
            );
        }
        if template.contains("{id}") {
            let (status, body) = send(Some(format!("Bearer {}", TestApp::token("owner-b")))).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (403, Some("FORBIDDEN")),
                "{method} {template}, another owner: {body}"
            );
        }
    }
    assert!(mounted >= 6, "only {mounted} owner endpoints answered");
    app.stop().await;
}
