//! Request rejections (a body, query or path axum could not read) as our
//! JSON errors, naming the field in Korean.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;

use super::ApiError;

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::BytesRejection(ref inner)
                if inner.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Self::PayloadTooLarge
            }
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType,
            JsonRejection::JsonSyntaxError(_) => {
                Self::validation("body", "올바른 JSON 형식이 아닙니다")
            }
            other => {
                let (field, reason) = json_data_problem(&other.body_text());
                Self::validation(&field, reason)
            }
        }
    }
}

/// The field and a Korean reason from serde's message about a JSON body
/// that parsed but does not fit (axum reports it as
/// `Failed to deserialize ...: {path}: {serde message}`).
fn json_data_problem(text: &str) -> (String, &'static str) {
    let detail = text.split_once("target type: ").map_or(text, |(_, d)| d);
    if let Some(rest) = detail.split("missing field `").nth(1) {
        let field = rest.split('`').next().unwrap_or("body");
        return (field.to_string(), "필수 항목입니다");
    }
    match detail.split_once(": ") {
        Some((path, _)) if !path.contains(' ') => (path.to_string(), "형식이 올바르지 않습니다"),
        _ => ("body".to_string(), "형식이 올바르지 않습니다"),
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        let (field, reason) = json_data_problem(&rejection.body_text());
        let field = if field == "body" {
            "query".to_string()
        } else {
            field
        };
        Self::validation(&field, reason)
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        // An id that does not parse cannot name an existing campaign.
        Self::CampaignNotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_problems_name_the_field_in_korean() {
        assert_eq!(
            json_data_problem("Failed to deserialize the JSON body into the target type: missing field `title` at line 1 column 2"),
            ("title".to_string(), "필수 항목입니다")
        );
        assert_eq!(
            json_data_problem("Failed to deserialize the JSON body into the target type: endsAt: input contains invalid characters at line 1 column 9"),
            ("endsAt".to_string(), "형식이 올바르지 않습니다")
        );
        assert_eq!(json_data_problem("something else").0, "body");
    }
}
