//! Korean display formatting for pages: counts (`1,234명`), won (`₩1,250,000`),
//! percentages and Korean time (`2026년 12월 1일 (화) 21:00`).
//!
//! Korea has one time zone without daylight saving, so a fixed UTC+9 offset is
//! exact and no tz database is needed. Every time shown to a person goes
//! through here, so a page can never show UTC by accident.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, TimeZone, Timelike, Utc};

/// Korea Standard Time, UTC+9, all year.
pub fn kst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// `1234567` → `1,234,567`.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A head count: `1,234명`.
pub fn people(n: u64) -> String {
    format!("{}명", grouped(n as i64))
}

/// A plain count with a counter word of the caller's choice: `count(3, "회")` → `3회`.
pub fn count(n: u64, unit: &str) -> String {
    format!("{}{unit}", grouped(n as i64))
}

/// Won, no decimals (the won has no minor unit in use): `₩1,250,000`, `-₩5,000`.
pub fn won(amount: i64) -> String {
    if amount < 0 {
        format!("-₩{}", grouped(-amount))
    } else {
        format!("₩{}", grouped(amount))
    }
}

/// A percentage with at most one decimal, trailing `.0` dropped: `62.4%`, `100%`, `-12.5%`.
/// Rounds half away from zero so 0.05 shows as 0.1%, not 0%.
pub fn percent(value: f64) -> String {
    if !value.is_finite() {
        return "—".to_string();
    }
    let tenths = (value * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let whole = grouped((tenths / 10).abs());
    match (tenths % 10).abs() {
        0 => format!("{sign}{whole}%"),
        d => format!("{sign}{whole}.{d}%"),
    }
}

/// `Some(x)` as a percentage, `None` as a dash (e.g. a ROI without costs yet).
pub fn percent_or_dash(value: Option<f64>) -> String {
    value.map(percent).unwrap_or_else(|| "—".to_string())
}

const WEEKDAYS: [&str; 7] = ["월", "화", "수", "목", "금", "토", "일"];

/// `2026년 12월 1일 (화) 21:00` in Korean time.
pub fn datetime(at: DateTime<Utc>) -> String {
    let k = at.with_timezone(&kst());
    format!("{} {:02}:{:02}", date(at), k.hour(), k.minute())
}

/// `2026년 12월 1일 (화)` in Korean time.
pub fn date(at: DateTime<Utc>) -> String {
    let k = at.with_timezone(&kst());
    format!(
        "{}년 {}월 {}일 ({})",
        k.year(),
        k.month(),
        k.day(),
        WEEKDAYS[k.weekday().num_days_from_monday() as usize]
    )
}

/// `12월 1일 21:00`: compact, for tables where the year is obvious.
pub fn short_datetime(at: DateTime<Utc>) -> String {
    let k = at.with_timezone(&kst());
    format!(
        "{}월 {}일 {:02}:{:02}",
        k.month(),
        k.day(),
        k.hour(),
        k.minute()
    )
}

/// `21시`: the hour label of the hourly trend chart.
pub fn hour_label(at: DateTime<Utc>) -> String {
    format!("{}시", at.with_timezone(&kst()).hour())
}

/// A period: `2026년 12월 1일 (화) 10:00 ~ 2026년 12월 14일 (월) 23:59`.
pub fn period(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    format!("{} ~ {}", datetime(start), datetime(end))
}

/// The value of an `<input type="datetime-local">` in Korean time: `2026-12-01T21:00`.
pub fn datetime_local(at: DateTime<Utc>) -> String {
    at.with_timezone(&kst())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Parses what a `datetime-local` input sends back (Korean wall-clock time) into UTC.
/// Browsers send `YYYY-MM-DDTHH:MM`, some with `:SS`.
pub fn parse_datetime_local(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    kst()
        .from_local_datetime(&naive)
        .single()
        .map(|k| k.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(-1_234), "-1,234");
        assert_eq!(grouped(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn people_and_counts() {
        assert_eq!(people(1_234), "1,234명");
        assert_eq!(people(0), "0명");
        assert_eq!(count(3, "회"), "3회");
    }

    #[test]
    fn won_amounts() {
        assert_eq!(won(1_250_000), "₩1,250,000");
        assert_eq!(won(0), "₩0");
        assert_eq!(won(-5_000), "-₩5,000");
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(62.44), "62.4%");
        assert_eq!(percent(62.45), "62.5%");
        assert_eq!(percent(100.0), "100%");
        assert_eq!(percent(0.04), "0%");
        assert_eq!(percent(0.05), "0.1%");
        assert_eq!(percent(-12.5), "-12.5%");
        assert_eq!(percent(-0.4), "-0.4%");
        assert_eq!(percent(1234.0), "1,234%");
        assert_eq!(percent(f64::NAN), "—");
        assert_eq!(percent_or_dash(None), "—");
    }

    #[test]
    fn korean_time_is_utc_plus_nine() {
        // 12:00 UTC is 21:00 in Seoul, a Tuesday.
        let at = utc("2026-12-01T12:00:00Z");
        assert_eq!(datetime(at), "2026년 12월 1일 (화) 21:00");
        assert_eq!(date(at), "2026년 12월 1일 (화)");
        assert_eq!(short_datetime(at), "12월 1일 21:00");
        assert_eq!(hour_label(at), "21시");
    }

    #[test]
    fn korean_date_rolls_over_before_utc() {
        // 15:30 UTC on Dec 31 is already New Year's Day (a Friday in 2027) in Seoul.
        let at = utc("2026-12-31T15:30:00Z");
        assert_eq!(datetime(at), "2027년 1월 1일 (금) 00:30");
    }

    #[test]
    fn every_weekday_has_its_korean_name() {
        // 2026-11-30 is a Monday.
        let names: Vec<String> = (0..7)
            .map(|d| date(utc("2026-11-30T03:00:00Z") + chrono::Duration::days(d)))
            .collect();
        let days: Vec<&str> = names.iter().map(|s| &s[s.len() - 4..s.len() - 1]).collect();
        assert_eq!(days, WEEKDAYS);
    }

    #[test]
    fn period_on_one_line() {
        assert_eq!(
            period(utc("2026-12-01T01:00:00Z"), utc("2026-12-14T14:59:00Z")),
            "2026년 12월 1일 (화) 10:00 ~ 2026년 12월 14일 (월) 23:59"
        );
    }

    #[test]
    fn datetime_local_round_trips_in_korean_time() {
        let at = utc("2026-12-01T12:00:00Z");
        assert_eq!(datetime_local(at), "2026-12-01T21:00");
        assert_eq!(parse_datetime_local("2026-12-01T21:00"), Some(at));
        assert_eq!(parse_datetime_local("2026-12-01T21:00:00"), Some(at));
        assert_eq!(parse_datetime_local("2026-12-01 21:00"), None);
        assert_eq!(parse_datetime_local(""), None);
    }
}
