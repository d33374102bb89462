//! The `promo` service: HTTP API over the campaign, participation and draw
//! aggregates, plus the command line tools around it.
#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod config;
pub mod embedded;
pub mod error;
pub mod openapi;
pub mod routes;
pub mod state;

pub use app::{router, Application, BuildOptions};
pub use config::Config;
