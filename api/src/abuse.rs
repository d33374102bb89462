//! Abuse limits on the public entry endpoints (`POST /api/v1/participations`
//! and the entry page's form post `POST /e/{eventId}`): a per-client-IP and a
//! per-phone-number rate limit, each a keyed token bucket (capacity = the
//! per-minute limit, refilled continuously). Refused API requests get
//! `429 {code: "RATE_LIMITED"}` with a `Retry-After` header; a refused form
//! post reaches its page handler marked [`EntryRateLimited`], which shows the
//! form again with the Korean message (the buckets are shared: one limit per
//! IP and per phone, whichever door the entry comes through).
//! The public entry-status check (`POST /api/v1/events/{id}/entry-status`)
//! answers whether a phone number holds an entry number, so it has its own,
//! far stricter bucket per client IP and campaign
//! (`RATE_LIMIT_STATUS_PER_IP_PER_MIN`, default 30): enumerating phone
//! numbers would take years. IPv6 clients are keyed by their /64, which one
//! subscriber usually holds whole; the campaign by its parsed id, so
//! spellings of one id share a bucket.
//!
//! - The client IP is the socket peer (`ConnectInfo`), or the last address of
//!   `X-Forwarded-For` (the one our own proxy appended) when
//!   `TRUST_FORWARDED_FOR=true`.
//! - The phone key is a salted SHA-256 of the *normalised* number (so
//!   `010-1234-5678` and `+82 10 1234 5678` share a bucket); the salt is
//!   derived from the owner-token secret (the same on every instance, never
//!   in the database) and the plaintext is dropped as soon as it is hashed.
//! - A limit of 0 disables that check (`RATE_LIMIT_PER_IP_PER_MIN=0` for a
//!   load generator on one IP).
//!
//! The buckets live in Postgres ([`shared`]), so instances on one database
//! share each limit; `RATE_LIMIT_STORE=memory` keeps them per process.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use promo_domain::entrant::PhoneNumber;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::{RateLimits, MAX_BODY_BYTES};
use crate::error::ApiError;

pub mod shared;

mod limiter;
pub use limiter::KeyedLimiter;
use limiter::{Key, Limiter};

/// Both limiters and the phone salt.
pub struct AbuseGuard {
    limits: RateLimits,
    per_ip: Option<Limiter>,
    per_phone: Option<Limiter>,
    status_per_ip: Option<Limiter>,
    heavy_per_ip: Option<Limiter>,
    salt: [u8; 32],
}

impl AbuseGuard {
    /// `pool` holds the shared buckets (unless `limits.shared` is off);
    /// the key salt is derived from `secret`, the owner-token secret every
    /// instance shares.
    pub fn new(limits: RateLimits, pool: &sqlx::PgPool, secret: &str) -> Self {
        let salt: [u8; 32] = Sha256::new()
            .chain_update(b"promo/rate-limit-salt/v1")
            .chain_update(secret.as_bytes())
            .finalize()
            .into();
        let limiter = |per_minute: u32| {
            (per_minute > 0).then(|| {
                if limits.shared {
                    Limiter::Shared(shared::SharedLimiter::new(pool.clone(), per_minute))
                } else {
                    Limiter::Memory(KeyedLimiter::new(per_minute))
                }
            })
        };
        Self {
            per_ip: limiter(limits.per_ip_per_minute),
            per_phone: limiter(limits.per_phone_per_minute),
            status_per_ip: limiter(limits.status_per_ip_per_minute),
            heavy_per_ip: limiter(limits.heavy_per_ip_per_minute),
            limits,
            salt,
        }
    }

    fn key(&self, purpose: &[u8], value: &[u8]) -> Key {
        let digest = Sha256::new()
            .chain_update(self.salt)
            .chain_update(purpose)
            .chain_update(value)
            .finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        key
    }

    fn client_ip(&self, request: &Request) -> Option<IpAddr> {
        if self.limits.trust_forwarded_for {
            let forwarded = request
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|part| part.trim().parse::<IpAddr>().ok())
                .next_back();
            if forwarded.is_some() {
                return forwarded;
            }
        }
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
    }
}

#[derive(Deserialize)]
struct PhoneField {
    #[serde(rename = "phoneNumber")]
    phone_number: Option<serde_json::Value>,
}

/// Marks an entry form post that went over a limit: its handler answers
/// with the form and the "too many requests" message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRateLimited {
    pub retry_after_secs: u64,
}

/// The campaign of an entry-status check (`POST /api/v1/events/{id}/entry-status`,
/// or the check page's form `POST /e/{id}/check`), and its door.
fn status_check(request: &Request) -> Option<(Uuid, Door)> {
    if request.method() != Method::POST {
        return None;
    }
    let path = request.uri().path();
    if let Some(id) = path
        .strip_prefix("/api/v1/events/")
        .and_then(|p| p.strip_suffix("/entry-status"))
    {
        return Uuid::parse_str(id).ok().map(|id| (id, Door::Api));
    }
    let id = path.strip_prefix("/e/")?.strip_suffix("/check")?;
    Uuid::parse_str(id).ok().map(|id| (id, Door::Page))
}

/// `GET /api/v1/events/{id}/draw/entrants`: large public answers.
fn is_heavy_read(path: &str) -> bool {
    path.strip_prefix("/api/v1/events/")
        .and_then(|rest| rest.strip_suffix("/draw/entrants"))
        .is_some_and(|id| Uuid::parse_str(id).is_ok())
}

/// The bucket of a client for status checks: its IPv4 address or IPv6 /64,
/// with the campaign.
fn status_key_material(ip: IpAddr, campaign: Uuid) -> [u8; 25] {
    let mut material = [0u8; 25];
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            material[0] = 6;
            material[1..9].copy_from_slice(&v6.octets()[..8]);
        }
        IpAddr::V6(v6) => {
            material[0] = 4;
            material[1..5].copy_from_slice(&v6.octets()[12..]);
        }
        IpAddr::V4(v4) => {
            material[0] = 4;
            material[1..5].copy_from_slice(&v4.octets());
        }
    }
    material[9..].copy_from_slice(campaign.as_bytes());
    material
}

/// Which entry door a request uses, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    Api,
    Page,
}

fn door(request: &Request) -> Option<Door> {
    if request.method() != Method::POST {
        return None;
    }
    let path = request.uri().path();
    if path == "/api/v1/participations" {
        return Some(Door::Api);
    }
    let campaign = path.strip_prefix("/e/")?;
    (!campaign.is_empty() && !campaign.contains('/')).then_some(Door::Page)
}

/// The refusal: 429 JSON for the API, the page handler with a mark for a form.
async fn rate_limited(door: Door, retry_after: Duration, request: Request, next: Next) -> Response {
    let retry_after_secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
    match door {
        Door::Api => ApiError::RateLimited { retry_after_secs }.into_response(),
        Door::Page => {
            let mut request = request;
            request
                .extensions_mut()
                .insert(EntryRateLimited { retry_after_secs });
            next.run(request).await
        }
    }
}

/// The normalised phone number of an entry body (JSON or form), if it has one.
fn phone_of(door: Door, body: &[u8]) -> Option<PhoneNumber> {
    let raw = match door {
        Door::Api => match serde_json::from_slice::<PhoneField>(body)
            .ok()?
            .phone_number?
        {
            serde_json::Value::String(raw) => raw,
            _ => return None,
        },
        Door::Page => {
            crate::routes::extract::form_fields(body)
                .into_iter()
                .find(|(key, _)| key == "phoneNumber")?
                .1
        }
    };
    PhoneNumber::parse(&raw).ok()
}

/// Middleware: applies the limits to the entry doors (`POST
/// /api/v1/participations`, the entry page's form), to entry-status checks
/// and to the draw's entrant list, and lets every other request through
/// untouched.
pub async fn guard(
    State(guard): State<std::sync::Arc<AbuseGuard>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::GET && is_heavy_read(request.uri().path()) {
        if let (Some(limiter), Some(ip)) = (&guard.heavy_per_ip, guard.client_ip(&request)) {
            let key = guard.key(b"heavy", &status_key_material(ip, Uuid::nil()));
            if let Err(wait) = limiter.check(key, Instant::now()).await {
                return rate_limited(Door::Api, wait, request, next).await;
            }
        }
        return next.run(request).await;
    }
    if let Some((campaign, door)) = status_check(&request) {
        if let (Some(limiter), Some(ip)) = (&guard.status_per_ip, guard.client_ip(&request)) {
            let key = guard.key(b"status", &status_key_material(ip, campaign));
            if let Err(wait) = limiter.check(key, Instant::now()).await {
                return rate_limited(door, wait, request, next).await;
            }
        }
        return next.run(request).await;
    }
    let Some(door) = door(&request) else {
        return next.run(request).await;
    };
    let now = Instant::now();
    if let Some(limiter) = &guard.per_ip {
        if let Some(ip) = guard.client_ip(&request) {
            let octets = match ip {
                IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
                IpAddr::V6(v6) => v6.octets(),
            };
            if let Err(wait) = limiter.check(guard.key(b"ip", &octets), now).await {
                return rate_limited(door, wait, request, next).await;
            }
        }
    }
    let Some(limiter) = &guard.per_phone else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let too_large = std::error::Error::source(&error)
                .map(|s| s.to_string().contains("length limit"))
                .unwrap_or(false)
                || error.to_string().contains("length limit");
            return if too_large {
                ApiError::PayloadTooLarge.into_response()
            } else {
                ApiError::validation("body", "읽을 수 없습니다").into_response()
            };
        }
    };
    let phone_key =
        phone_of(door, &bytes).map(|phone| guard.key(b"phone", phone.as_str().as_bytes()));
    let request = Request::from_parts(parts, Body::from(bytes));
    if let Some(key) = phone_key {
        if let Err(wait) = limiter.check(key, now).await {
            return rate_limited(door, wait, request, next).await;
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_entry_doors_are_guarded_and_nothing_else() {
        let door_of = |method: Method, path: &str| {
            door(
                &Request::builder()
                    .method(method)
                    .uri(path)
                    .body(Body::empty())
                    .unwrap(),
            )
        };
        assert_eq!(
            door_of(Method::POST, "/api/v1/participations"),
            Some(Door::Api)
        );
        assert_eq!(door_of(Method::POST, "/e/abc"), Some(Door::Page));
        assert_eq!(door_of(Method::GET, "/e/abc"), None);
        assert_eq!(door_of(Method::POST, "/e/abc/check"), None);
        assert_eq!(door_of(Method::POST, "/e/"), None);
        assert_eq!(door_of(Method::POST, "/console/events"), None);
        let phone = phone_of(Door::Page, b"name=x&phoneNumber=010-1234-5678").unwrap();
        assert_eq!(
            Some(phone),
            phone_of(Door::Api, br#"{"phoneNumber":"+82 10 1234 5678"}"#)
        );
        assert!(phone_of(Door::Page, b"phoneNumber=123").is_none());
    }

    #[test]
    fn a_bucket_allows_its_capacity_then_refills_over_time() {
        let limiter = KeyedLimiter::new(60);
        let t0 = Instant::now();
        for _ in 0..60 {
            assert!(limiter.check([1; 16], t0).is_ok());
        }
        let wait = limiter.check([1; 16], t0).unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        assert!(limiter.check([2; 16], t0).is_ok(), "keys are independent");
        assert!(limiter.check([1; 16], t0 + Duration::from_secs(1)).is_ok());
        assert!(limiter.check([1; 16], t0 + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn status_checks_are_keyed_by_ipv4_or_ipv6_slash_64_and_campaign() {
        let campaign = Uuid::from_u128(7);
        let check = |path: &str| {
            status_check(
                &Request::builder()
                    .method(Method::POST)
                    .uri(path)
                    .body(Body::empty())
                    .unwrap(),
            )
            .map(|(campaign, _)| campaign)
        };
        let path = format!("/api/v1/events/{campaign}/entry-status");
        assert_eq!(check(&path), Some(campaign));
        let upper = path
            .to_uppercase()
            .replace("/API/V1/EVENTS/", "/api/v1/events/");
        assert_eq!(
            check(&upper.replace("/ENTRY-STATUS", "/entry-status")),
            Some(campaign),
            "spellings of one id share a bucket"
        );
        assert_eq!(check(&format!("/e/{campaign}/check")), Some(campaign));
        assert_eq!(check("/api/v1/events/x/entry-status"), None);
        assert_eq!(check("/api/v1/participations"), None);

        let key = |ip: &str, c: Uuid| status_key_material(ip.parse().unwrap(), c);
        assert_eq!(
            key("2001:db8:1:2::1", campaign),
            key("2001:db8:1:2:ffff::9", campaign),
            "one /64"
        );
        assert_ne!(
            key("2001:db8:1:2::1", campaign),
            key("2001:db8:1:3::1", campaign)
        );
        assert_eq!(
            key("::ffff:203.0.113.5", campaign),
            key("203.0.113.5", campaign)
        );
        assert_ne!(key("203.0.113.5", campaign), key("203.0.113.6", campaign));
        assert_ne!(
            key("203.0.113.5", campaign),
            key("203.0.113.5", Uuid::from_u128(8))
        );
    }
}
