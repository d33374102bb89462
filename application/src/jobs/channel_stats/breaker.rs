//! The per-channel circuit breaker of the statistics collector: it opens
//! when more than half of a channel's recent fetches failed, so a failing
//! channel API is left alone for a while instead of being hammered.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// When a channel's breaker opens: more than `max_failure_percent` of the
/// last `window` fetches failed (counted once at least `min_calls` fetches
/// are in the window), as the design says ("실패율 50% 초과 시 Open", docs/analytics.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    pub window: usize,
    pub min_calls: usize,
    pub max_failure_percent: usize,
    /// Open for this long, then one trial call (half-open).
    pub cooldown: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            window: 10,
            min_calls: 4,
            max_failure_percent: 50,
            cooldown: Duration::from_secs(30),
        }
    }
}

/// A per-channel circuit breaker over the failure rate of recent fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CircuitBreaker {
    /// Recent outcomes, newest last (`true` = failed).
    Closed {
        recent: VecDeque<bool>,
    },
    Open {
        until: Instant,
    },
    /// The cooldown is over: one trial call decides.
    HalfOpen,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        CircuitBreaker::Closed {
            recent: VecDeque::new(),
        }
    }
}

impl CircuitBreaker {
    /// May the channel be called now? Moves an expired open breaker to half-open.
    pub fn allow(&mut self, now: Instant) -> bool {
        match self {
            CircuitBreaker::Closed { .. } | CircuitBreaker::HalfOpen => true,
            CircuitBreaker::Open { until } if now >= *until => {
                *self = CircuitBreaker::HalfOpen;
                true
            }
            CircuitBreaker::Open { .. } => false,
        }
    }

    pub fn on_success(&mut self, policy: &BreakerPolicy) {
        self.record(false, Instant::now(), policy);
    }

    pub fn on_failure(&mut self, now: Instant, policy: &BreakerPolicy) {
        self.record(true, now, policy);
    }

    fn record(&mut self, failed: bool, now: Instant, policy: &BreakerPolicy) {
        match self {
            CircuitBreaker::Closed { recent } => {
                recent.push_back(failed);
                while recent.len() > policy.window.max(1) {
                    recent.pop_front();
                }
                let failures = recent.iter().filter(|f| **f).count();
                if recent.len() >= policy.min_calls.max(1)
                    && failures * 100 > recent.len() * policy.max_failure_percent
                {
                    *self = CircuitBreaker::Open {
                        until: now + policy.cooldown,
                    };
                }
            }
            CircuitBreaker::HalfOpen | CircuitBreaker::Open { .. } => {
                *self = if failed {
                    CircuitBreaker::Open {
                        until: now + policy.cooldown,
                    }
                } else {
                    CircuitBreaker::default()
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(min_calls: usize) -> BreakerPolicy {
        BreakerPolicy {
            window: 10,
            min_calls,
            max_failure_percent: 50,
            cooldown: Duration::from_secs(30),
        }
    }

    #[test]
    fn the_breaker_opens_above_half_failures_and_half_opens_after_cooldown() {
        let t0 = Instant::now();
        let policy = policy(4);
        let mut breaker = CircuitBreaker::default();
        for failed in [false, true, false, true] {
            assert!(breaker.allow(t0));
            breaker.record(failed, t0, &policy);
        }
        assert!(breaker.allow(t0), "exactly 50 % keeps it closed");
        breaker.on_failure(t0, &policy);
        assert!(
            !breaker.allow(t0 + Duration::from_secs(29)),
            "3 of 5 failed: open"
        );
        assert!(breaker.allow(t0 + policy.cooldown));
        assert_eq!(breaker, CircuitBreaker::HalfOpen);
        // A failed trial re-opens it at once; a successful one closes it.
        breaker.on_failure(t0 + policy.cooldown, &policy);
        assert!(!breaker.allow(t0 + policy.cooldown + Duration::from_secs(1)));
        assert!(breaker.allow(t0 + policy.cooldown * 2));
        breaker.on_success(&policy);
        assert_eq!(breaker, CircuitBreaker::default());
    }

    #[test]
    fn too_few_calls_never_open_it_and_old_outcomes_leave_the_window() {
        let t0 = Instant::now();
        let policy = policy(4);
        let mut breaker = CircuitBreaker::default();
        for _ in 0..3 {
            breaker.on_failure(t0, &policy);
        }
        assert!(breaker.allow(t0), "three calls are below the minimum");
        let mut breaker = CircuitBreaker::default();
        for _ in 0..10 {
            breaker.on_success(&policy);
        }
        for _ in 0..5 {
            breaker.on_failure(t0, &policy);
        }
        assert!(breaker.allow(t0), "5 of the last 10 failed: not above half");
        breaker.on_failure(t0, &policy);
        assert!(!breaker.allow(t0), "6 of the last 10 failed");
    }
}
