//! End-to-end tests: the real service over HTTP against real Postgres and
//! NATS JetStream. One test binary; each test has its own database and stream.

mod abuse;
mod analytics;
mod auth;
mod campaigns;
mod draws;
mod events_doc;
mod faults;
mod hostile_input;
mod master_key;
mod nats_permissions;
mod pages_e2e;
mod pages_preview;
mod pages_wired;
mod participants;
mod participations;
mod privacy;

mod pages_e2e_prizes;
mod prize_claims;
mod prize_contacts;
mod prize_deadline;
mod prize_journey;
mod prize_notify;
mod prize_support;
mod relay;
mod replay;
mod secrets;
mod self_check;
mod shutdown;
mod store_visits;
mod stream_integrity;
mod text_fields;
mod wired_contacts;
