//! What the background loops report about themselves, for `/ready`: a
//! projector stuck (on a gap that does not fill, or on an error it keeps
//! retrying) for longer than the stall threshold, a projector halted on an
//! event it cannot apply, a relay that refused to start.
//!
//! The board only holds state; the loops also log and set the metrics
//! (`promo_projector_stalled`, `promo_relay_refused`) when they report.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Default of `PROJECTOR_STALL_SECS`.
pub const DEFAULT_STALL_AFTER: Duration = Duration::from_secs(30);

/// Shared, cheap to clone.
#[derive(Clone, Debug)]
pub struct Health {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug)]
struct Inner {
    stall_after: Duration,
    projectors: BTreeMap<String, ProjectorState>,
    relay_refused: Option<String>,
}

#[derive(Debug, Default)]
struct ProjectorState {
    stuck_since: Option<Instant>,
    reason: String,
    reported: bool,
    halted: Option<String>,
}

/// One problem `/ready` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `relay` or `projector`.
    pub component: &'static str,
    /// The projector's name, or `relay`.
    pub name: String,
    /// `stalled`, `halted` or `refused`.
    pub state: &'static str,
    pub reason: String,
    /// How long it has been stuck (stalls only).
    pub for_secs: u64,
}

impl Default for Health {
    fn default() -> Self {
        Self::new(DEFAULT_STALL_AFTER)
    }
}

impl Health {
    pub fn new(stall_after: Duration) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                stall_after,
                projectors: BTreeMap::new(),
                relay_refused: None,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned board is still a board: the data is plain state.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_stall_after(&self, stall_after: Duration) {
        self.lock().stall_after = stall_after;
    }

    pub fn stall_after(&self) -> Duration {
        self.lock().stall_after
    }

    /// The projector moved forward (or has nothing waiting).
    pub fn projector_progressed(&self, name: &str) {
        if let Some(state) = self.lock().projectors.get_mut(name) {
            state.stuck_since = None;
            state.reported = false;
        }
    }

    /// The projector could not move forward. Returns how long it has been
    /// stuck the first time that passes the stall threshold (so the caller
    /// logs and sets the metric once), `None` otherwise.
    pub fn projector_stuck(&self, name: &str, reason: &str) -> Option<Duration> {
        let mut inner = self.lock();
        let stall_after = inner.stall_after;
        let state = inner.projectors.entry(name.to_string()).or_default();
        let since = *state.stuck_since.get_or_insert_with(Instant::now);
        state.reason = reason.to_string();
        let stuck_for = since.elapsed();
        if stuck_for >= stall_after && !state.reported {
            state.reported = true;
            return Some(stuck_for);
        }
        None
    }

    /// The projector stopped on an event it cannot apply.
    pub fn projector_halted(&self, name: &str, reason: &str) {
        self.lock()
            .projectors
            .entry(name.to_string())
            .or_default()
            .halted = Some(reason.to_string());
    }

    pub fn relay_refused(&self, reason: &str) {
        self.lock().relay_refused = Some(reason.to_string());
    }

    pub fn relay_started(&self) {
        self.lock().relay_refused = None;
    }

    /// Everything that makes the service not ready, relay first.
    pub fn problems(&self) -> Vec<Problem> {
        let inner = self.lock();
        let mut problems = Vec::new();
        if let Some(reason) = &inner.relay_refused {
            problems.push(Problem {
                component: "relay",
                name: "relay".to_string(),
                state: "refused",
                reason: reason.clone(),
                for_secs: 0,
            });
        }
        for (name, state) in &inner.projectors {
            if let Some(reason) = &state.halted {
                problems.push(Problem {
                    component: "projector",
                    name: name.clone(),
                    state: "halted",
                    reason: reason.clone(),
                    for_secs: 0,
                });
            } else if let Some(since) = state.stuck_since {
                let stuck_for = since.elapsed();
                if stuck_for >= inner.stall_after {
                    problems.push(Problem {
                        component: "projector",
                        name: name.clone(),
                        state: "stalled",
                        reason: state.reason.clone(),
                        for_secs: stuck_for.as_secs(),
                    });
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_projector_is_stalled_only_after_the_threshold_and_reported_once() {
        let health = Health::new(Duration::from_secs(3600));
        assert_eq!(health.projector_stuck("p", "gap"), None);
        assert!(health.problems().is_empty());

        health.set_stall_after(Duration::ZERO);
        assert!(health.projector_stuck("p", "gap").is_some());
        assert_eq!(health.projector_stuck("p", "gap"), None, "reported once");
        let problems = health.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            (problems[0].name.as_str(), problems[0].state),
            ("p", "stalled")
        );

        health.projector_progressed("p");
        assert!(health.problems().is_empty());
    }

    #[test]
    fn a_halted_projector_and_a_refusing_relay_are_problems() {
        let health = Health::default();
        health.projector_halted("campaigns", "does not decode");
        health.relay_refused("restored database");
        let names: Vec<_> = health.problems().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["relay", "campaigns"]);
        health.relay_started();
        assert_eq!(health.problems().len(), 1);
    }
}
