//! Background jobs. Each calls use cases, like an HTTP handler does: the
//! retention sweep (erase personal data), the channel statistics collector
//! (record observed statistics) and the distribution consumer (record
//! distribution reports arriving over NATS).

pub mod channel_stats;
pub mod distribution;
pub mod retention;
