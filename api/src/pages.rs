//! Server-rendered HTML pages: the customer's event pages and the owner
//! console, in Korean, phone first.
//!
//! Each page is a view-model struct (plain data, no database or state access)
//! that derives an askama template from `api/templates/`, so a template that
//! names a missing field does not compile. Handlers fill a view model and
//! answer it with [`render`]. Assets are embedded and served by
//! [`assets_router`]; `/docs` by [`docs_router`].
//!
//! Pages work without JavaScript (plain HTML forms); `app.js` only adds
//! conveniences (live entry count, copy buttons, print).

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub mod assets;
pub mod charts;
pub mod console;
pub mod customer;
pub mod docs;
pub mod format;
pub mod icons;
pub mod view;

pub use assets::assets_router;
pub use docs::docs_router;

/// The policy for our own pages: nothing inline but SVG, nothing from elsewhere.
/// Inline `<svg>` markup is not script or style, so charts and the QR code pass.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
                   script-src 'self'; connect-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// Answers a page with 200.
pub fn render<T: Template>(page: &T) -> Response {
    render_with_status(StatusCode::OK, page)
}

/// Answers a page with `status` (e.g. 400 for a form shown again with errors,
/// 404 for an unknown campaign). Pages may carry personal data or a CSRF
/// token, so they are never stored by caches.
pub fn render_with_status<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (
            status,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(CSP),
                ),
                (
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            html,
        )
            .into_response(),
        Err(error) => {
            // A template error is a bug; the visitor gets a short Korean apology.
            tracing::error!(%error, "page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                )],
                "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요.",
            )
                .into_response()
        }
    }
}

/// A page for a whole-page problem: unknown campaign, expired link, server error.
#[derive(Debug, Clone, Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub title: String,
    pub detail: String,
    /// Where to go next (href, label).
    pub next: Option<(String, String)>,
}

impl MessagePage {
    /// 404 for `/e/{id}` and friends when the campaign does not exist.
    pub fn event_not_found() -> Self {
        Self {
            title: "이벤트를 찾을 수 없습니다".into(),
            detail: "링크가 정확한지 확인하거나 매장에 문의해 주세요. 종료된 지 오래된 이벤트는 내려갔을 수 있어요.".into(),
            next: None,
        }
    }
}
