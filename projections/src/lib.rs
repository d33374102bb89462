//! The read side: projectors consume the event stream from JetStream durable
//! consumers and keep read models in Postgres. Each read model is one module
//! holding its projection (idempotent, checkpointed in the same transaction
//! as its writes) and the queries that read it. Any read model can be
//! rebuilt from the event store beside the live one (`replay`).
#![forbid(unsafe_code)]

pub mod access_log;
pub mod analytics;
pub mod campaigns;
pub mod draws;
pub mod notifications;
pub mod participants;
pub mod prizes;
pub mod projector;
pub mod replay;
