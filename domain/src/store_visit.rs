//! Proven store visits: the token on the in-store QR code (SPEC v2 "Proven
//! store visits"). Pure functions; the key and the time come in.
//!
//! A token is `{YYYYMMDD}.{tag}`: the Korean calendar day it was issued and
//! the first 16 bytes of `HMAC-SHA256(store-visit key, label ‖ campaign id ‖
//! day)`, base64url without padding (31 characters, URL-safe). The key is the
//! campaign's own (derived from its root secret, see
//! [`crate::privacy::CampaignSecret::store_visit_key`]), so a token of one
//! campaign never verifies for another, and nobody without the key can make
//! one. Tokens rotate daily (docs/adr/0003-store-visit-tokens.md): a token
//! of day D is valid from D 00:00 KST (less [`CLOCK_SKEW`]) until D+2 00:00
//! KST, so a code printed late at night keeps working the next day, and a
//! photo of it stops working after that.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use base64::Engine;
use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::entry_number::{entry_day, kst};

type HmacSha256 = Hmac<Sha256>;

/// Domain separation of the MAC input (the key is per purpose already).
const LABEL: &[u8] = b"promo/store-visit-token/v1\0";
/// Bytes of the MAC kept in a token (128 bits).
const TAG_BYTES: usize = 16;
/// Longest input even looked at; a real token has 31 characters.
const MAX_TOKEN_LEN: usize = 64;
/// Two servers' clocks may disagree a little around midnight: a token is
/// accepted this long before its day starts.
pub const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// Why a store-visit token was refused. Messages are what the entrant reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StoreVisitTokenError {
    /// Not a token at all, or not made with this campaign's key (forged, or
    /// another campaign's).
    #[error("매장 방문 확인 코드가 올바르지 않습니다")]
    Invalid,
    /// A genuine token whose validity has passed (or not begun).
    #[error("매장 방문 확인 코드가 만료되었습니다. 매장의 QR 코드를 다시 찍어 주세요")]
    Expired,
}

/// A token and how long it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreVisitPass {
    pub token: String,
    /// The Korean calendar day it was issued.
    pub day: NaiveDate,
    /// When it stops being accepted: the start of the day after next (KST).
    pub expires_at: DateTime<Utc>,
}

fn tag(key: &[u8; 32], campaign_id: Uuid, day: &str) -> HmacSha256 {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(LABEL);
    mac.update(campaign_id.as_bytes());
    mac.update(day.as_bytes());
    mac
}

/// Midnight KST starting `day`, as UTC.
fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(kst()).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The instants a token of `day` is accepted in: `[from, until)`.
fn validity(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = day_start(day) - CLOCK_SKEW;
    let until = day
        .checked_add_days(Days::new(2))
        .map(day_start)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    (from, until)
}

/// The campaign's token for the Korean day `now` falls in.
pub fn issue(key: &[u8; 32], campaign_id: Uuid, now: DateTime<Utc>) -> StoreVisitPass {
    let day = entry_day(now);
    let day_text = day.format("%Y%m%d").to_string();
    let mac = tag(key, campaign_id, &day_text).finalize().into_bytes();
    StoreVisitPass {
        token: format!("{day_text}.{}", BASE64URL.encode(&mac[..TAG_BYTES])),
        day,
        expires_at: validity(day).1,
    }
}

/// Checks a token for the campaign at `now`; answers the day it was issued.
/// The MAC is compared in constant time.
pub fn verify(
    key: &[u8; 32],
    campaign_id: Uuid,
    token: &str,
    now: DateTime<Utc>,
) -> Result<NaiveDate, StoreVisitTokenError> {
    use StoreVisitTokenError::{Expired, Invalid};
    let token = token.trim();
    if token.len() > MAX_TOKEN_LEN {
        return Err(Invalid);
    }
    let (day_text, encoded) = token.split_once('.').ok_or(Invalid)?;
    if day_text.len() != 8 || !day_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid);
    }
    let day = NaiveDate::parse_from_str(day_text, "%Y%m%d").map_err(|_| Invalid)?;
    let received = BASE64URL.decode(encoded).map_err(|_| Invalid)?;
    if received.len() != TAG_BYTES {
        return Err(Invalid);
    }
    tag(key, campaign_id, day_text)
        .verify_truncated_left(&received)
        .map_err(|_| Invalid)?;
    let (from, until) = validity(day);
    if now < from || now >= until {
        return Err(Expired);
    }
    Ok(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const KEY: [u8; 32] = [7; 32];

    fn campaign() -> Uuid {
        Uuid::from_u128(42)
    }

    /// 2025-10-29 23:50 KST.
    fn late_evening() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 10, 29, 14, 50, 0).unwrap()
    }

    #[test]
    fn a_token_is_short_url_safe_and_names_its_korean_day() {
        let pass = issue(&KEY, campaign(), late_evening());
        assert_eq!(pass.token.len(), 31, "{}", pass.token);
        assert!(pass.token.starts_with("20251029."));
        assert!(pass
            .token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        // 2025-10-31 00:00 KST.
        assert_eq!(
            pass.expires_at,
            Utc.with_ymd_and_hms(2025, 10, 30, 15, 0, 0).unwrap()
        );
        assert_eq!(
            issue(&KEY, campaign(), late_evening()),
            pass,
            "deterministic"
        );
    }

    #[test]
    fn a_token_works_on_its_day_and_the_next_then_expires() {
        let pass = issue(&KEY, campaign(), late_evening());
        let day = NaiveDate::from_ymd_opt(2025, 10, 29).unwrap();
        for later in [
            TimeDelta::zero(),
            TimeDelta::minutes(10),
            TimeDelta::hours(24),
            TimeDelta::minutes(24 * 60 + 9),
        ] {
            assert_eq!(
                verify(&KEY, campaign(), &pass.token, late_evening() + later),
                Ok(day),
                "{later}"
            );
        }
        assert_eq!(
            verify(&KEY, campaign(), &pass.token, pass.expires_at),
            Err(StoreVisitTokenError::Expired)
        );
        assert_eq!(
            verify(
                &KEY,
                campaign(),
                &pass.token,
                pass.expires_at - TimeDelta::seconds(1)
            ),
            Ok(day)
        );
        // Before its day (beyond the clock skew) it is not valid either.
        let day_start = Utc.with_ymd_and_hms(2025, 10, 28, 15, 0, 0).unwrap();
        assert_eq!(
            verify(&KEY, campaign(), &pass.token, day_start - CLOCK_SKEW),
            Ok(day)
        );
        assert_eq!(
            verify(
                &KEY,
                campaign(),
                &pass.token,
                day_start - CLOCK_SKEW - TimeDelta::seconds(1)
            ),
            Err(StoreVisitTokenError::Expired)
        );
    }

    #[test]
    fn forged_altered_and_other_campaigns_tokens_are_invalid() {
        let now = late_evening();
        let pass = issue(&KEY, campaign(), now);
        let invalid = Err(StoreVisitTokenError::Invalid);
        // Another campaign, another key.
        assert_eq!(verify(&KEY, Uuid::from_u128(43), &pass.token, now), invalid);
        assert_eq!(verify(&[8; 32], campaign(), &pass.token, now), invalid);
        // A changed day keeps the tag but no longer matches it.
        let moved = pass.token.replacen("20251029", "20251030", 1);
        assert_eq!(verify(&KEY, campaign(), &moved, now), invalid);
        // A changed tag.
        let mut bytes = pass.token.clone().into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes).unwrap();
        assert_eq!(verify(&KEY, campaign(), &altered, now), invalid);
        for garbage in [
            "",
            ".",
            "20251029",
            "20251029.",
            "2025102.AAAAAAAAAAAAAAAAAAAAAA",
            "20251332.AAAAAAAAAAAAAAAAAAAAAA",
            "20251029.AAAAAAAAAAAAAAAAAAAAAA",
            "20251029.!!!!",
            "+2025102.AAAAAAAAAAAAAAAAAAAAAA",
            "２０２５１０２９.AAAAAAAAAAAAAAAAAAAAAA",
            &"x".repeat(10_000),
        ] {
            assert_eq!(verify(&KEY, campaign(), garbage, now), invalid, "{garbage}");
        }
        // Surrounding whitespace (copied links) is tolerated.
        assert!(verify(&KEY, campaign(), &format!(" {} ", pass.token), now).is_ok());
    }
}
