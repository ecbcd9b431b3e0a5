//! What a plugin may observe of the world besides its input — the time and
//! random numbers — made a function of the decision, so that a logged
//! decision can be decided again and give the same votes.
//!
//! A plugin's wall clock reads the decision's `now`, its monotonic clock
//! starts at zero for every call, and its random numbers (`wasi:random`,
//! secure and insecure, and the insecure seed) come from a generator seeded
//! with the decision's id. Both clocks advance by one microsecond per read:
//! time never stands still for code that waits for it to pass, and yet the
//! same code reading the clock the same number of times sees the same
//! times.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{SeedableRng, TryRng};
use sha2::{Digest, Sha256};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

/// How far each clock read moves both clocks on.
const TICK: Duration = Duration::from_micros(1);

/// The time and the random seed of one decision, as its plugins see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entropy {
    /// The decision's `now`, since the Unix epoch. A `now` before the epoch
    /// reads as the epoch: WASI's wall clock cannot go below it.
    now: Duration,
    /// sha256 of the decision id.
    seed: [u8; 32],
}

impl Entropy {
    /// The entropy of the decision `decision_id` made at `now`.
    pub fn of(decision_id: &str, now: DateTime<Utc>) -> Entropy {
        let micros = u64::try_from(now.timestamp_micros()).unwrap_or(0);
        Entropy {
            now: Duration::from_micros(micros),
            seed: Sha256::digest(decision_id.as_bytes()).into(),
        }
    }

    /// A stream of the seed for one use, so that the secure and insecure
    /// generators do not hand out the same numbers.
    fn stream(&self, name: &str) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.seed)
            .chain_update(name.as_bytes())
            .finalize()
            .into()
    }

    /// The value of `wasi:random/insecure-seed`.
    pub(super) fn insecure_seed(&self) -> u128 {
        let s = self.stream("insecure-seed");
        u128::from_le_bytes(s[..16].try_into().expect("16 of 32 bytes"))
    }
}

/// The clocks and generators of one store. A reused instance keeps its
/// store, so the host re-arms this before each call rather than building
/// new clocks.
#[derive(Clone)]
pub struct Observed(Arc<Mutex<State>>);

struct State {
    now: Duration,
    elapsed: Duration,
    secure: StdRng,
    insecure: StdRng,
}

impl Observed {
    /// Clocks and generators set to `entropy`.
    pub fn new(entropy: &Entropy) -> Observed {
        Observed(Arc::new(Mutex::new(State::of(entropy))))
    }

    /// Sets them to `entropy` for the next call.
    pub fn arm(&self, entropy: &Entropy) {
        *self.lock() = State::of(entropy);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The monotonic time read, then moved on by one tick.
    fn read(&self) -> (Duration, Duration) {
        let mut s = self.lock();
        let read = (s.now + s.elapsed, s.elapsed);
        s.elapsed += TICK;
        read
    }

    /// The wall clock of a WASI context.
    pub fn wall_clock(&self) -> WallClock {
        WallClock(self.clone())
    }

    /// The monotonic clock of a WASI context.
    pub fn monotonic_clock(&self) -> MonotonicClock {
        MonotonicClock(self.clone())
    }

    /// The generator behind `wasi:random/random`.
    pub fn secure_random(&self) -> Random {
        Random {
            observed: self.clone(),
            secure: true,
        }
    }

    /// The generator behind `wasi:random/insecure`.
    pub fn insecure_random(&self) -> Random {
        Random {
            observed: self.clone(),
            secure: false,
        }
    }
}

impl State {
    fn of(entropy: &Entropy) -> State {
        State {
            now: entropy.now,
            elapsed: Duration::ZERO,
            secure: StdRng::from_seed(entropy.stream("secure")),
            insecure: StdRng::from_seed(entropy.stream("insecure")),
        }
    }
}

/// `wasi:clocks/wall-clock`: the decision's `now`, moving on per read.
pub struct WallClock(Observed);

impl HostWallClock for WallClock {
    fn resolution(&self) -> Duration {
        TICK
    }

    fn now(&self) -> Duration {
        self.0.read().0
    }
}

/// `wasi:clocks/monotonic-clock`: zero at the start of every call.
pub struct MonotonicClock(Observed);

impl HostMonotonicClock for MonotonicClock {
    fn resolution(&self) -> u64 {
        TICK.as_nanos() as u64
    }

    fn now(&self) -> u64 {
        self.0.read().1.as_nanos() as u64
    }
}

/// A generator seeded from the decision id.
pub struct Random {
    observed: Observed,
    secure: bool,
}

impl Random {
    fn with<T>(&mut self, f: impl FnOnce(&mut StdRng) -> T) -> T {
        let mut s = self.observed.lock();
        f(if self.secure {
            &mut s.secure
        } else {
            &mut s.insecure
        })
    }
}

impl TryRng for Random {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.with(|r| r.try_next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.with(|r| r.try_next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.with(|r| r.try_fill_bytes(dst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_same_decision_sees_the_same_world() {
        let e = Entropy::of("d-1", at("2026-03-01T10:00:00Z"));
        let a = Observed::new(&e);
        let b = Observed::new(&e);
        let (wa, wb) = (a.wall_clock(), b.wall_clock());
        let (first_a, first_b) = (wa.now(), wb.now());
        assert_eq!(first_a, Duration::from_secs(1_772_359_200));
        assert_eq!(first_a, first_b);
        assert_eq!(wa.now(), first_a + TICK, "each read moves the clock on");
        let (mut ra, mut rb) = (a.secure_random(), b.secure_random());
        assert_eq!(ra.next_u64(), rb.next_u64());
        assert_ne!(a.insecure_random().next_u64(), a.secure_random().next_u64());

        let other = Entropy::of("d-2", at("2026-03-01T10:00:00Z"));
        assert_ne!(
            Observed::new(&other).secure_random().next_u64(),
            Observed::new(&e).secure_random().next_u64()
        );
        assert_ne!(e.insecure_seed(), other.insecure_seed());
    }

    #[test]
    fn arming_starts_the_call_over() {
        let e = Entropy::of("d-1", at("2026-03-01T10:00:00Z"));
        let o = Observed::new(&e);
        let first = o.secure_random().next_u64();
        let mono = o.monotonic_clock();
        assert_eq!(mono.now(), 0);
        assert_eq!(mono.now(), 1_000);
        o.arm(&e);
        assert_eq!(mono.now(), 0);
        assert_eq!(o.secure_random().next_u64(), first);
    }

    #[test]
    fn a_now_before_the_epoch_reads_as_the_epoch() {
        let e = Entropy::of("d", at("1960-01-01T00:00:00Z"));
        assert_eq!(Observed::new(&e).wall_clock().now(), Duration::ZERO);
    }
}
