//! The tools around the service, kept out of the service library: embedded
//! Postgres and NATS for development and tests, read-model replay, draw
//! verification, owner tokens and console sign-in links, and the benchmark. The `promo` binary (`main.rs`) reads its
//! configuration through [`settings`] and dispatches to them and to
//! `promo_api::Application` for `serve`.
#![forbid(unsafe_code)]

pub mod bench;
pub mod embedded;
pub mod recover_stream;
pub mod replay;
pub mod settings;
pub mod token;
pub mod verify;
