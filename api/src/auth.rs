//! Owner authentication: `Authorization: Bearer <JWT>`, HS256 signed with
//! `AUTH_JWT_SECRET`, `sub` = the owner's user id, `exp` required.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
}

pub struct Auth {
    decoding: DecodingKey,
    encoding: EncodingKey,
    validation: Validation,
}

impl Auth {
    pub fn new(secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 5;
        Self {
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    /// The owner id of a valid token.
    pub fn verify(&self, token: &str) -> Result<String, ApiError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| ApiError::Unauthorized("유효하지 않은 인증 토큰입니다"))?;
        if data.claims.sub.trim().is_empty() || data.claims.sub.len() > 200 {
            return Err(ApiError::Unauthorized("유효하지 않은 인증 토큰입니다"));
        }
        Ok(data.claims.sub)
    }

    /// Issues a token (for local use: `promo serve` prints one).
    pub fn issue(&self, owner_id: &str, valid_for: std::time::Duration) -> String {
        let exp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            + valid_for.as_secs();
        encode(
            &Header::new(Algorithm::HS256),
            &Claims {
                sub: owner_id.to_string(),
                exp,
            },
            &self.encoding,
        )
        .expect("HS256 signing with a byte secret cannot fail")
    }
}

/// The authenticated shop owner of an owner-only request.
#[derive(Debug, Clone)]
pub struct Owner(pub String);

impl<S> FromRequestParts<S> for Owner
where
    Arc<Auth>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or(ApiError::Unauthorized("인증이 필요합니다"))?;
        let value = header
            .to_str()
            .map_err(|_| ApiError::Unauthorized("유효하지 않은 인증 토큰입니다"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(ApiError::Unauthorized("인증이 필요합니다"))?;
        Arc::<Auth>::from_ref(state).verify(token.trim()).map(Owner)
    }
}
