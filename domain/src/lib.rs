//! Pure domain model of the promotion back end: campaigns, participations and
//! verifiable prize draws. No IO lives here: time, ids, keys and randomness
//! arrive with the commands.
#![forbid(unsafe_code)]

pub mod access;
pub mod campaign;
pub mod channel;
pub mod draw;
pub mod draw_protocol;
pub mod entrant;
pub mod entry_number;
pub mod notification;
pub mod participation;
pub mod performance;
pub mod privacy;
pub mod store_visit;
pub mod text;
