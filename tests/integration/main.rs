//! End-to-end tests: the real service over HTTP against real Postgres and
//! NATS JetStream. One test binary; each test has its own database and stream.

mod auth;
mod campaigns;
mod participants;
mod participations;
mod relay;
