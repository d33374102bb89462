//! What every request handler is given: the application (use cases and what
//! they work with), the owner-token verifier and the NATS connection (for
//! readiness).

use std::sync::Arc;

use axum::extract::FromRef;
use promo_application::App;

use crate::auth::Auth;

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub auth: Arc<Auth>,
    pub nats: async_nats::Client,
}

impl FromRef<AppState> for Arc<Auth> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}
