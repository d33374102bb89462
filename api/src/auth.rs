//! Owner authentication: `Authorization: Bearer <JWT>`, HS256 signed with
//! `AUTH_JWT_SECRET`, `sub` = the owner's user id, `exp` required. The owner
//! console carries the same token in a cookie instead ([`console`]).
//!
//! The secret also keys [`Auth::mac`], the service's one keyed hash for values
//! it hands out and must recognise later (console CSRF tokens, entry receipts);
//! each use names its own purpose, so one use's tag never passes for another's.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::ApiError;

pub mod console;
pub use console::{ConsoleForm, ConsoleOwner};

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
}

pub struct Auth {
    decoding: DecodingKey,
    encoding: EncodingKey,
    validation: Validation,
    mac_key: Vec<u8>,
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
            mac_key: secret.as_bytes().to_vec(),
        }
    }

    /// The owner id of a valid token.
    pub fn verify(&self, token: &str) -> Result<String, ApiError> {
        self.verify_claims(token).map(|claims| claims.sub)
    }

    /// The claims of a valid token (owner id and expiry).
    pub fn verify_claims(&self, token: &str) -> Result<Claims, ApiError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| ApiError::Unauthorized("유효하지 않은 인증 토큰입니다"))?;
        if data.claims.sub.trim().is_empty() || data.claims.sub.len() > 200 {
            return Err(ApiError::Unauthorized("유효하지 않은 인증 토큰입니다"));
        }
        Ok(data.claims)
    }

    fn hmac(&self, purpose: &str, message: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.mac_key).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(message);
        mac
    }

    /// HMAC-SHA256 under the secret of `purpose ‖ 0 ‖ message`, hex.
    pub fn mac(&self, purpose: &str, message: &[u8]) -> String {
        hex::encode(self.hmac(purpose, message).finalize().into_bytes())
    }

    /// Whether `tag` is [`Auth::mac`] of `message` for `purpose`, compared in
    /// constant time.
    pub fn verify_mac(&self, purpose: &str, message: &[u8], tag: &str) -> bool {
        match hex::decode(tag.trim()) {
            Ok(tag) => self.hmac(purpose, message).verify_slice(&tag).is_ok(),
            Err(_) => false,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_are_bound_to_their_purpose_and_key() {
        let auth = Auth::new("secret-one-0123456789");
        let tag = auth.mac("console-csrf", b"token");
        assert!(auth.verify_mac("console-csrf", b"token", &tag));
        assert!(!auth.verify_mac("entry-receipt", b"token", &tag));
        assert!(!auth.verify_mac("console-csrf", b"token2", &tag));
        assert!(!auth.verify_mac("console-csrf", b"token", "zz"));
        assert!(!auth.verify_mac("console-csrf", b"token", ""));
        let other = Auth::new("secret-two-0123456789");
        assert!(!other.verify_mac("console-csrf", b"token", &tag));
    }

    #[test]
    fn claims_carry_the_expiry() {
        let auth = Auth::new("secret-one-0123456789");
        let token = auth.issue("owner-1", std::time::Duration::from_secs(600));
        let claims = auth.verify_claims(&token).unwrap();
        assert_eq!(claims.sub, "owner-1");
        assert!(claims.exp > 0);
        assert!(auth.verify_claims("not.a.token").is_err());
    }
}
