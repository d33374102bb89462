//! The `promo` service's HTTP layer: routes, auth, error mapping and the
//! OpenAPI document, and `Application`, which assembles and runs the service.
#![forbid(unsafe_code)]

pub mod abuse;
pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod openapi;
pub mod pages;
pub mod routes;
pub mod state;

pub use app::{router, Application, BuildOptions};
pub use config::Config;
