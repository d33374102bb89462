//! The `promo` service: HTTP API over the campaign, participation and draw
//! aggregates, plus the command line tools around it.
#![forbid(unsafe_code)]

pub mod abuse;
pub mod app;
pub mod auth;
pub mod bench;
pub mod channel_stats;
pub mod config;
pub mod embedded;
pub mod error;
pub mod openapi;
pub mod pages;
pub mod replay_cmd;
pub mod retention;
pub mod routes;
pub mod state;
pub mod verify_cmd;

pub use app::{router, Application, BuildOptions};
pub use config::Config;
