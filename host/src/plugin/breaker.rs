//! The circuit breaker: a plugin that keeps failing is quarantined (skipped)
//! for a backoff that doubles with each relapse, then given one more chance;
//! a single success closes the breaker again.
//!
//! A breaker belongs to one loaded version of a plugin, so hot-reloading a
//! fixed version starts with a closed breaker.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::BreakerConfig;
use crate::decision::vote::FailureKind;

/// Whether a call may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Call the plugin.
    Call,
    /// Skip it: it is quarantined until the given time.
    Quarantined(DateTime<Utc>),
}

/// The breaker's state, as shown in `GET /v1/plugins`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Quarantined: calls are skipped.
    Open,
    /// The quarantine is over; the next call decides.
    HalfOpen,
}

/// A snapshot of a plugin's health.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// The breaker's state.
    pub breaker: BreakerState,
    /// Failures in a row, up to now.
    pub consecutive_failures: u32,
    /// Failures since the plugin went live, by class.
    pub failures: BTreeMap<FailureKind, u64>,
    /// Calls since the plugin went live (quarantined skips excluded).
    pub calls: u64,
    /// How many times the breaker opened.
    pub quarantines: u32,
    /// The end of the current (or latest) quarantine.
    pub quarantined_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
struct Inner {
    consecutive: u32,
    calls: u64,
    failures: BTreeMap<FailureKind, u64>,
    quarantines: u32,
    /// The current quarantine length while the breaker is open or half-open.
    backoff: Option<Duration>,
    open_until: Option<(Instant, DateTime<Utc>)>,
    /// Fingerprints of the inputs behind the current run of failures.
    failing_inputs: VecDeque<u64>,
}

/// The breaker of one plugin version.
#[derive(Debug, Default)]
pub struct Breaker {
    inner: Mutex<Inner>,
}

impl Breaker {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the next call may go ahead.
    pub fn admit(&self) -> Admission {
        match self.lock().open_until {
            Some((until, wall)) if Instant::now() < until => Admission::Quarantined(wall),
            _ => Admission::Call,
        }
    }

    /// Records a successful call; closes the breaker if it was open.
    pub fn succeeded(&self, plugin: &str) {
        let mut s = self.lock();
        s.calls += 1;
        s.consecutive = 0;
        s.failing_inputs.clear();
        if s.backoff.take().is_some() {
            s.open_until = None;
            tracing::info!(plugin, "plugin recovered; circuit breaker closed");
        }
    }

    /// Records a failed call of class `kind` on the input fingerprinted by
    /// `input`, opening the breaker after `config.failures` failures in a
    /// row on distinct inputs, or again at once when the first call after a
    /// quarantine fails.
    ///
    /// The same input failing again is counted in the failure totals but
    /// does not bring the breaker closer to opening: one client resending a
    /// pathological request must not switch the plugin off for everyone.
    pub fn failed(&self, plugin: &str, kind: FailureKind, input: u64, config: &BreakerConfig) {
        let mut s = self.lock();
        s.calls += 1;
        *s.failures.entry(kind).or_default() += 1;
        let relapse = s.backoff.is_some();
        if s.failing_inputs.contains(&input) && !relapse {
            return;
        }
        if s.failing_inputs.len() >= config.failures as usize {
            s.failing_inputs.pop_front();
        }
        s.failing_inputs.push_back(input);
        s.consecutive += 1;
        if !relapse && s.consecutive < config.failures {
            return;
        }
        let max = Duration::from_millis(config.max_backoff_ms);
        let backoff = match s.backoff {
            Some(previous) => (previous * 2).min(max),
            None => Duration::from_millis(config.backoff_ms).min(max),
        };
        s.backoff = Some(backoff);
        s.quarantines += 1;
        crate::telemetry::service::quarantined(plugin);
        let wall = Utc::now() + chrono::Duration::from_std(backoff).unwrap_or_default();
        s.open_until = Some((Instant::now() + backoff, wall));
        tracing::warn!(
            plugin,
            consecutive_failures = s.consecutive,
            last_failure = kind.as_str(),
            quarantine_ms = backoff.as_millis() as u64,
            "plugin quarantined by its circuit breaker"
        );
    }

    /// The current health.
    pub fn health(&self) -> Health {
        let s = self.lock();
        let breaker = match (s.backoff, s.open_until) {
            (None, _) => BreakerState::Closed,
            (Some(_), Some((until, _))) if Instant::now() < until => BreakerState::Open,
            (Some(_), _) => BreakerState::HalfOpen,
        };
        Health {
            breaker,
            consecutive_failures: s.consecutive,
            failures: s.failures.clone(),
            calls: s.calls,
            quarantines: s.quarantines,
            quarantined_until: s.open_until.map(|(_, wall)| wall),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BreakerConfig {
        BreakerConfig {
            failures: 3,
            backoff_ms: 40,
            max_backoff_ms: 100,
        }
    }

    #[test]
    fn opens_after_consecutive_failures_and_a_success_resets_the_count() {
        let b = Breaker::default();
        b.failed("p", FailureKind::Trap, 1, &config());
        b.failed("p", FailureKind::Trap, 2, &config());
        b.succeeded("p");
        b.failed("p", FailureKind::Trap, 3, &config());
        b.failed("p", FailureKind::Trap, 4, &config());
        assert_eq!(b.admit(), Admission::Call);
        b.failed("p", FailureKind::Deadline, 5, &config());
        assert!(matches!(b.admit(), Admission::Quarantined(_)));
        let h = b.health();
        assert_eq!(h.breaker, BreakerState::Open);
        assert_eq!(h.failures[&FailureKind::Trap], 4);
        assert_eq!(h.failures[&FailureKind::Deadline], 1);
        assert_eq!(h.quarantines, 1);
    }

    #[test]
    fn a_relapse_after_quarantine_reopens_at_once_with_a_doubled_capped_backoff() {
        let b = Breaker::default();
        for input in 0..3 {
            b.failed("p", FailureKind::Trap, input, &config());
        }
        std::thread::sleep(Duration::from_millis(45));
        assert_eq!(b.health().breaker, BreakerState::HalfOpen);
        assert_eq!(b.admit(), Admission::Call);
        b.failed("p", FailureKind::Trap, 7, &config());
        assert_eq!(b.health().breaker, BreakerState::Open);
        assert_eq!(b.lock().backoff, Some(Duration::from_millis(80)));
        b.lock().open_until = None;
        b.failed("p", FailureKind::Trap, 8, &config());
        assert_eq!(b.lock().backoff, Some(Duration::from_millis(100)), "capped");
        b.lock().open_until = None;
        b.succeeded("p");
        assert_eq!(b.health().breaker, BreakerState::Closed);
        assert_eq!(b.health().consecutive_failures, 0);
    }

    #[test]
    fn one_input_failing_again_and_again_does_not_open_the_breaker() {
        let b = Breaker::default();
        for _ in 0..50 {
            b.failed("p", FailureKind::OutOfFuel, 7, &config());
        }
        assert_eq!(b.admit(), Admission::Call);
        let h = b.health();
        assert_eq!(h.breaker, BreakerState::Closed);
        assert_eq!(h.failures[&FailureKind::OutOfFuel], 50);
        // Failures on distinct inputs still open it.
        b.failed("p", FailureKind::Trap, 8, &config());
        b.failed("p", FailureKind::Trap, 9, &config());
        assert!(matches!(b.admit(), Admission::Quarantined(_)));
    }
}
