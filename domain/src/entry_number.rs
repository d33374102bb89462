//! Human-readable entry numbers: `EVT{campaign code}-{YYYYMMDD}-{seq:03}`,
//! numbered per campaign and Korean calendar day (SPEC's
//! `EVT{eventId}-{YYYYMMDD}-{SEQ}`).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use uuid::Uuid;

/// Korea Standard Time; Korea has no daylight saving time.
pub fn kst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// The Korean calendar day an entry at `at` belongs to.
pub fn entry_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&kst()).date_naive()
}

/// Short, stable campaign code: the first 8 hex digits of its id, uppercase.
pub fn campaign_code(campaign_id: Uuid) -> String {
    campaign_id.simple().to_string()[..8].to_uppercase()
}

pub fn format(campaign_id: Uuid, day: NaiveDate, sequence: u32) -> String {
    format!(
        "EVT{}-{}-{:03}",
        campaign_code(campaign_id),
        day.format("%Y%m%d"),
        sequence
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn numbers_follow_the_seed_format_in_korean_days() {
        let id = Uuid::parse_str("3f9a2c10-0000-4000-8000-000000000000").unwrap();
        // 2025-10-28 15:30 UTC is already 2025-10-29 in Seoul.
        let at = Utc.with_ymd_and_hms(2025, 10, 28, 15, 30, 0).unwrap();
        assert_eq!(format(id, entry_day(at), 1), "EVT3F9A2C10-20251029-001");
        assert_eq!(format(id, entry_day(at), 1234), "EVT3F9A2C10-20251029-1234");
    }
}
