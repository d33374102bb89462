//! `?contacts=marketing`: the full contacts of the entrants who consented to
//! marketing as CSV for Excel (byte-order mark, formulas defused), from the
//! `contacts::marketing_contacts` use case (which records the access first).
//! The API's export and the console's answer the same file.

use axum::body::Body;
use axum::response::Response;
use promo_application::contacts::{self, MarketingContact};
use promo_domain::entry_number::kst;
use uuid::Uuid;

use super::csv::{csv_cell, csv_response};
use crate::error::ApiError;
use crate::state::AppState;

pub const MARKETING_CSV_HEADER: &str = "\u{feff}entryNumber,name,phoneNumber,participatedAt\n";

fn line(c: &MarketingContact) -> String {
    format!(
        "{},{},{},{}\n",
        csv_cell(&c.entry_number),
        csv_cell(&c.name),
        csv_cell(&c.phone_number),
        c.participated_at
            .with_timezone(&kst())
            .format("%Y-%m-%d %H:%M:%S%:z"),
    )
}

/// The consenting entrants' contacts as a CSV attachment (owner only).
pub async fn marketing_csv(
    state: &AppState,
    owner: &str,
    campaign_id: Uuid,
) -> Result<Response, ApiError> {
    let rows = contacts::marketing_contacts(&state.app, owner, campaign_id).await?;
    let mut body = String::from(MARKETING_CSV_HEADER);
    for row in &rows {
        body.push_str(&line(row));
    }
    Ok(csv_response(campaign_id, Body::from(body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_line_holds_the_full_contact_in_korean_time() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
        let row = MarketingContact {
            entry_number: "EVT1-20261201-001".into(),
            name: "=김민수".into(),
            phone_number: "010-1234-5678".into(),
            participated_at: at,
        };
        assert_eq!(
            line(&row),
            "EVT1-20261201-001,'=김민수,010-1234-5678,2026-12-01 12:00:00+09:00\n"
        );
    }
}
