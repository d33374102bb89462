//! The answers every operation can give besides its own, added to the
//! document so it states what the server does: 400 for a request that does
//! not parse, 401/403 on owner endpoints, 404 for an unknown `{eventId}`,
//! 413/415 for bodies, 429 where abuse limits apply, 500 for an internal
//! error (answered generically, logged with detail).

use utoipa::openapi::path::Operation;
use utoipa::openapi::{Content, OpenApi, Ref, Response, ResponseBuilder};

/// Adds the missing common responses to every operation of `openapi`.
pub fn add(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let limited = path == "/api/v1/participations" || path.ends_with("/entry-status");
        let has_event_id = path.contains("{eventId}");
        for operation in [
            item.get.as_mut(),
            item.post.as_mut(),
            item.patch.as_mut(),
            item.put.as_mut(),
            item.delete.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_body = operation.request_body.is_some();
            let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let wants = [
                (
                    "400",
                    "VALIDATION_ERROR: a field or parameter is invalid (the message names it)",
                    has_body || has_params,
                ),
                (
                    "401",
                    "UNAUTHORIZED: missing or invalid owner token",
                    secured,
                ),
                (
                    "403",
                    "FORBIDDEN: not the campaign's owner",
                    secured && has_event_id,
                ),
                ("404", "NOT_FOUND / EVENT_NOT_FOUND", has_event_id),
                ("413", "PAYLOAD_TOO_LARGE: body over 64 KiB", has_body),
                (
                    "415",
                    "UNSUPPORTED_MEDIA_TYPE: the body must be application/json",
                    has_body,
                ),
                (
                    "429",
                    "RATE_LIMITED: too many requests (Retry-After)",
                    limited,
                ),
                (
                    "500",
                    "INTERNAL_ERROR: answered generically, logged with detail",
                    true,
                ),
            ];
            for (status, description, applies) in wants {
                if applies {
                    add_if_missing(operation, status, description);
                }
            }
        }
    }
}

fn add_if_missing(operation: &mut Operation, status: &str, description: &str) {
    if operation.responses.responses.contains_key(status) {
        return;
    }
    let response: Response = ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
        )
        .build();
    operation
        .responses
        .responses
        .insert(status.to_string(), response.into());
}
