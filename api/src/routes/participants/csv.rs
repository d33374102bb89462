//! What the participant CSV downloads share: cell quoting with formula
//! defusing, and the attachment response.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

/// Quotes a CSV cell when needed and defuses spreadsheet formulas
/// (a cell starting with = + - @ is prefixed with ').
pub fn csv_cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// A `text/csv` attachment of the given body.
pub fn csv_response(campaign_id: Uuid, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"participants-{campaign_id}.csv\""),
            ),
        ],
        body,
    )
        .into_response()
}
