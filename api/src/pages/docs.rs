//! `GET /docs`: a browsable reference of `/openapi.json` with Swagger UI,
//! vendored from the npm package `swagger-ui-dist` (see
//! `api/assets/vendor/swagger-ui-5.35.0/README.md`) and served from `/assets`,
//! so no CDN is involved.

use askama::Template;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The page shell Swagger UI renders into; `docs.js` starts it on `/openapi.json`.
#[derive(Debug, Clone, Template)]
#[template(path = "docs.html")]
pub struct DocsPage;

/// `GET /docs`.
pub fn docs_router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new().route("/docs", get(docs))
}

async fn docs() -> Response {
    let mut response = super::render(&DocsPage);
    // Swagger UI sets style attributes from script; everything else is our own origin.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response.into_response()
}
