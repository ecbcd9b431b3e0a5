//! A small seeded generator (SplitMix64). Written here rather than taken
//! from a crate so that a seed means the same traffic whatever version of
//! a random-number library the build resolves to.

/// Independent streams drawn from one seed: each conversation's script, its
/// outcomes and the delivery order have their own, so that changing how one
/// is drawn leaves the others as they were.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// The conversation itself: customer, topic, mood, messages.
    Script = 1,
    /// What happened after the decision.
    Outcomes = 2,
    /// A customer's fixed traits (language, tier).
    Customer = 3,
    /// Duplicates and late deliveries of outcome events.
    Delivery = 4,
}

/// SplitMix64: tiny, fast, and every seed (zero included) is a good one.
#[derive(Debug, Clone)]
pub struct Rng(u64);

/// The SplitMix64 finaliser, also used to hash seeds together.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// The generator of `stream` for item `index` under `seed`.
    pub fn new(seed: u64, stream: Stream, index: u64) -> Rng {
        Rng(mix(seed ^ mix(((stream as u64) << 56) ^ mix(index))))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n); `n` must not be 0.
    pub fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift rather than `%`, which favours small values.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in [lo, hi], inclusive.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items`, uniformly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index into `weights`, with probability proportional to its weight.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// A standard normal draw (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Log-normally distributed around `median`, `spread` the log's
    /// standard deviation: waiting times have a long right tail.
    pub fn lognormal(&mut self, median: f64, spread: f64) -> f64 {
        median * (spread * self.normal()).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_one_sequence_and_streams_differ() {
        let draw = |s| {
            let mut r = Rng::new(7, s, 3);
            (0..4).map(|_| r.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(Stream::Script), draw(Stream::Script));
        assert_ne!(draw(Stream::Script), draw(Stream::Outcomes));
    }

    #[test]
    fn draws_stay_in_range_and_weights_are_followed() {
        let mut r = Rng::new(1, Stream::Script, 0);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            assert!((0.0..1.0).contains(&r.unit()));
            assert!((2..=5).contains(&r.between(2, 5)));
            counts[r.weighted(&[60.0, 25.0, 15.0])] += 1;
        }
        let share = |c: u32| f64::from(c) / 30_000.0;
        assert!((share(counts[0]) - 0.60).abs() < 0.02, "{counts:?}");
        assert!((share(counts[2]) - 0.15).abs() < 0.02, "{counts:?}");
    }
}
