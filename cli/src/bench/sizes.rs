//! How big a quick or a full bench run is.

use std::time::Duration;

use super::BenchOptions;

/// The sizes of one run.
pub(super) struct Sizes {
    pub(super) run: Duration,
    pub(super) clients: usize,
    pub(super) entrants: usize,
    pub(super) list_rows: i64,
    pub(super) reads: usize,
    pub(super) replay_events: i64,
}

impl Sizes {
    pub(super) fn for_options(options: BenchOptions) -> Self {
        if options.quick {
            Sizes {
                run: Duration::from_secs(2),
                clients: 32,
                entrants: 100_000,
                list_rows: 100_000,
                reads: 100,
                replay_events: 100_000,
            }
        } else {
            Sizes {
                run: Duration::from_secs(10),
                clients: 32,
                entrants: 1_000_000,
                list_rows: 1_000_000,
                reads: 500,
                replay_events: 1_000_000,
            }
        }
    }
}
