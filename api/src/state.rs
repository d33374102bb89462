//! What every request handler is given: the application (use cases and what
//! they work with), the owner-token verifier, the NATS connection (for
//! readiness) and the public base URL (for absolute links).

use std::sync::Arc;

use axum::extract::FromRef;
use promo_application::App;

use crate::auth::Auth;

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub auth: Arc<Auth>,
    pub nats: async_nats::Client,
    /// `PUBLIC_BASE_URL`, or `http://{bound address}`; no trailing slash.
    pub public_base_url: Arc<str>,
}

impl AppState {
    /// An absolute link to `path` (which starts with `/`).
    pub fn public_url(&self, path: &str) -> String {
        format!("{}{path}", self.public_base_url)
    }
}

impl FromRef<AppState> for Arc<Auth> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}
