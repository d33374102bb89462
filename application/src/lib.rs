//! The application layer: one use case per user intent, each taking typed
//! input and answering a typed result or an [`AppError`]. HTTP handlers,
//! background jobs and CLI commands all call these; none calls another's
//! handler. [`commands::CommandService`] is the single place that executes
//! commands.
#![forbid(unsafe_code)]

pub mod campaign_cache;
pub mod campaigns;
pub mod claims;
pub mod commands;
pub mod contacts;
pub mod context;
pub mod draws;
pub mod error;
pub mod jobs;
pub mod participation;
pub mod performance;
pub mod privacy;
pub mod self_check;
pub mod store_visits;

pub use context::{system_clock, App, AppParts, Clock};
pub use error::{AppError, AppResult};
