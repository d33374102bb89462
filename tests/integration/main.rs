//! End-to-end tests: the real service over HTTP against real Postgres and
//! NATS JetStream. One test binary; each test has its own database and stream.

mod abuse;
mod analytics;
mod auth;
mod campaigns;
mod draws;
mod faults;
mod hostile_input;
mod master_key;
mod nats_permissions;
mod pages_preview;
mod participants;
mod participations;
mod privacy;
mod relay;
mod replay;
mod secrets;
mod self_check;
mod store_visits;
mod text_fields;
