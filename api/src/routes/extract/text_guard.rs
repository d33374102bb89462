//! The one text rule ([`promo_domain::text`]) applied to every string of a
//! JSON body and every query parameter before they are parsed into request
//! types, so no free-text field can carry a NUL or another control
//! character into the service (Postgres refuses NUL with an error).
//!
//! Bodies are scanned as bytes first (a JSON string holds a control
//! character only as a `\u00XX` escape, or a C1 control as its two UTF-8
//! bytes); only a suspicious body is parsed a second time to name the field.

use axum::extract::Query;
use axum::http::Uri;
use promo_domain::text;
use serde_json::Value;

use crate::error::ApiError;

/// Refuses a JSON body with a control character in any string value.
pub fn check_json_body(bytes: &[u8]) -> Result<(), ApiError> {
    if !may_hold_a_control(bytes) {
        return Ok(());
    }
    // Bad JSON is answered by the real parse that follows.
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(());
    };
    match find(&value, String::new()) {
        Some((field, e)) => Err(ApiError::validation(&field, e.reason_ko())),
        None => Ok(()),
    }
}

/// Refuses a query string with a control character in a name or value.
pub fn check_query(uri: &Uri) -> Result<(), ApiError> {
    if uri.query().is_none() {
        return Ok(());
    }
    let Ok(Query(pairs)) = Query::<Vec<(String, String)>>::try_from_uri(uri) else {
        return Ok(());
    };
    for (name, value) in &pairs {
        let field = if text::check(name).is_ok() {
            name.as_str()
        } else {
            "query"
        };
        if let Err(e) = text::check(name).and(text::check(value)) {
            return Err(ApiError::validation(field, e.reason_ko()));
        }
    }
    Ok(())
}

/// A `\u` escape (any: the cheap test) or a UTF-8 encoded C1 control.
fn may_hold_a_control(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .any(|w| w == b"\\u" || (w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1])))
}

/// The path (`channels[0]`, `store.name`) of the first string that breaks
/// the rule.
fn find(value: &Value, path: String) -> Option<(String, text::TextError)> {
    match value {
        Value::String(s) => text::check(s).err().map(|e| (or_body(path), e)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find(v, format!("{}[{i}]", or_body(path.clone())))),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            let key = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            find(v, key)
        }),
        _ => None,
    }
}

fn or_body(path: String) -> String {
    if path.is_empty() {
        "body".to_string()
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_holding_a_control_character_is_named() {
        let err = |body: &str| match check_json_body(body.as_bytes()) {
            Err(ApiError::Validation { field, .. }) => Some(field),
            _ => None,
        };
        assert_eq!(
            err(r#"{"storeName":"a\u0000b"}"#).as_deref(),
            Some("storeName")
        );
        assert_eq!(
            err(r#"{"channels":["NAVER","\u001b"]}"#).as_deref(),
            Some("channels[1]")
        );
        assert_eq!(err("{\"prize\":\"\u{85}\"}").as_deref(), Some("prize"));
        assert_eq!(err(r#"{"title":"\u0041\n\t\u00e9"}"#), None);
        assert_eq!(err(r#"{"title":"\\u0000"}"#), None);
        assert_eq!(err(r#"{"title":"plain"}"#), None);
    }

    #[test]
    fn query_parameters_are_checked_too() {
        let uri = |q: &str| q.parse::<Uri>().unwrap();
        assert!(check_query(&uri("/x?q=%00")).is_err());
        assert!(check_query(&uri("/x?q=%C2%85")).is_err());
        assert!(check_query(&uri("/x?q=%ED%99%8D&page=1")).is_ok());
        assert!(check_query(&uri("/x")).is_ok());
    }
}
