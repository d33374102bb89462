//! What every request handler is given: the application (use cases and what
//! they work with), the owner-token verifier, the NATS connection (for
//! readiness) and the base URL pages build absolute links from.

use std::sync::Arc;

use axum::extract::FromRef;
use promo_application::App;

use crate::auth::Auth;

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub auth: Arc<Auth>,
    pub nats: async_nats::Client,
    /// `PUBLIC_BASE_URL`, or `http://` and the bound address; no trailing `/`.
    pub public_base_url: Arc<str>,
}

impl AppState {
    /// `public_base_url` followed by `path` (which starts with `/`).
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.public_base_url)
    }

    /// Whether people reach the service over https (the console cookie is then `Secure`).
    pub fn is_https(&self) -> bool {
        self.public_base_url.starts_with("https://")
    }
}

impl FromRef<AppState> for Arc<Auth> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}
