//! Static assets compiled into the binary and served under `/assets/`.
//!
//! Our own files are addressed by content (`/assets/app.1a2b3c4d.css`, the first
//! 8 hex digits of their SHA-256), vendored ones by version in the path
//! (`/assets/vendor/swagger-ui-5.35.0/…`), so every URL names exactly one body and
//! can be cached for a year as `immutable`; a new build changes the URL instead.
//! No CDN, no build step: the files are read with `include_bytes!`.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    /// The name templates ask for, e.g. `app.css`.
    name: &'static str,
    body: &'static [u8],
    content_type: &'static str,
    /// Content-hashed URL (our files) or served under its name (versioned vendor files).
    hashed: bool,
}

const SWAGGER: &str = "vendor/swagger-ui-5.35.0";

static ASSETS: &[Asset] = &[
    Asset {
        // One stylesheet for every page, kept in two files for reading.
        name: "app.css",
        body: concat!(
            include_str!("../../assets/css/base.css"),
            include_str!("../../assets/css/pages.css")
        )
        .as_bytes(),
        content_type: "text/css; charset=utf-8",
        hashed: true,
    },
    Asset {
        name: "app.js",
        body: include_bytes!("../../assets/app.js"),
        content_type: "text/javascript; charset=utf-8",
        hashed: true,
    },
    Asset {
        name: "docs.js",
        body: include_bytes!("../../assets/docs.js"),
        content_type: "text/javascript; charset=utf-8",
        hashed: true,
    },
    Asset {
        name: "icon.svg",
        body: include_bytes!("../../assets/icon.svg"),
        content_type: "image/svg+xml",
        hashed: true,
    },
    Asset {
        name: "vendor/swagger-ui-5.35.0/swagger-ui-bundle.js",
        body: include_bytes!("../../assets/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js"),
        content_type: "text/javascript; charset=utf-8",
        hashed: false,
    },
    Asset {
        name: "vendor/swagger-ui-5.35.0/swagger-ui.css",
        body: include_bytes!("../../assets/vendor/swagger-ui-5.35.0/swagger-ui.css"),
        content_type: "text/css; charset=utf-8",
        hashed: false,
    },
];

/// Served path (after `/assets/`) → asset.
static BY_PATH: LazyLock<HashMap<String, &'static Asset>> =
    LazyLock::new(|| ASSETS.iter().map(|a| (served_path(a), a)).collect());

fn served_path(asset: &Asset) -> String {
    if !asset.hashed {
        return asset.name.to_string();
    }
    let digest = Sha256::digest(asset.body);
    let hash = hex::encode(&digest[..4]);
    match asset.name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{}.{hash}", asset.name),
    }
}

/// The URL of the asset named `name` (e.g. `app.css` → `/assets/app.1a2b3c4d.css`).
/// Templates call this, so a changed file changes every page's link to it.
pub fn url(name: &str) -> String {
    static BY_NAME: LazyLock<HashMap<&'static str, String>> = LazyLock::new(|| {
        ASSETS
            .iter()
            .map(|a| (a.name, format!("/assets/{}", served_path(a))))
            .collect()
    });
    match BY_NAME.get(name) {
        Some(url) => url.clone(),
        None => {
            // A typo in a template: visible in tests and logs, harmless for users.
            debug_assert!(false, "unknown asset {name}");
            tracing::warn!(asset = name, "unknown asset requested by a template");
            format!("/assets/{name}")
        }
    }
}

/// The Swagger UI file `file` of the vendored version.
pub fn swagger(file: &str) -> String {
    url(&format!("{SWAGGER}/{file}"))
}

/// `GET /assets/{*path}`: embedded files with year-long immutable caching.
pub fn assets_router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new().route("/assets/{*path}", get(serve))
}

async fn serve(Path(path): Path<String>) -> Response {
    let Some(asset) = BY_PATH.get(path.as_str()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        asset.body,
    )
        .into_response()
}

/// Total bytes of our own assets a page loads (the budget is well under 200 KB).
pub fn page_asset_bytes() -> usize {
    ASSETS
        .iter()
        .filter(|a| matches!(a.name, "app.css" | "app.js" | "icon.svg"))
        .map(|a| a.body.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    #[test]
    fn own_assets_are_content_addressed() {
        let css = url("app.css");
        assert!(css.starts_with("/assets/app.") && css.ends_with(".css"));
        assert_eq!(css.len(), "/assets/app.12345678.css".len());
        assert_eq!(
            swagger("swagger-ui.css"),
            "/assets/vendor/swagger-ui-5.35.0/swagger-ui.css"
        );
    }

    #[test]
    fn pages_stay_within_their_asset_budget() {
        assert!(page_asset_bytes() < 60_000, "{} bytes", page_asset_bytes());
    }

    #[tokio::test]
    async fn serves_with_long_cache_headers_and_404s_the_rest() {
        let app: Router = assets_router();
        let res = app
            .clone()
            .oneshot(Request::get(url("app.css")).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/css; charset=utf-8"
        );
        assert!(res.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable"));
        for missing in [
            "/assets/app.css",
            "/assets/app.00000000.css",
            "/assets/../Cargo.toml",
        ] {
            let res = app
                .clone()
                .oneshot(Request::get(missing).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{missing}");
        }
    }
}
