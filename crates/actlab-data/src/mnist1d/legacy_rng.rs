//! The part of NumPy's legacy `RandomState` (MT19937) that the MNIST-1D generator draws from,
//! reproduced draw for draw: `seed(int)`, `rand()`, `randn()`, `randint(0, n)` (`choice(n)`)
//! and `permutation(n)`. The same seed gives the same numbers as `np.random.seed(seed)`, so the
//! dataset this crate generates is the reference implementation's.

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER: u32 = 0x8000_0000;
const LOWER: u32 = 0x7fff_ffff;

/// MT19937 with NumPy's legacy Gaussian cache.
#[derive(Debug, Clone)]
pub struct LegacyRng {
    state: [u32; N],
    pos: usize,
    gauss: Option<f64>,
}

impl LegacyRng {
    /// `np.random.seed(seed)` for an integer seed (Matsumoto and Nishimura's `init_genrand`).
    pub fn new(seed: u32) -> LegacyRng {
        let mut state = [0u32; N];
        state[0] = seed;
        for i in 1..N {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        LegacyRng {
            state,
            pos: N,
            gauss: None,
        }
    }

    fn generate(&mut self) {
        for i in 0..N {
            let y = (self.state[i] & UPPER) | (self.state[(i + 1) % N] & LOWER);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            self.state[i] = self.state[(i + M) % N] ^ (y >> 1) ^ mag;
        }
        self.pos = 0;
    }

    /// The next 32-bit output (`genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.generate();
        }
        let mut y = self.state[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `rand()`: a double in [0, 1) from 53 random bits (two outputs).
    pub fn rand(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `randn()`: the legacy polar Box–Muller method, which yields two values per accepted
    /// pair and keeps the second for the next call.
    pub fn randn(&mut self) -> f64 {
        if let Some(g) = self.gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.rand() - 1.0;
            let x2 = 2.0 * self.rand() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// A uniform integer in `0..=max`: 32-bit outputs masked to `max`'s bit width, rejected
    /// while above it (`random_interval`, and `randint` on the legacy masked path).
    pub fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16] {
            mask |= mask >> shift;
        }
        loop {
            let value = self.next_u32() & mask;
            if value <= max {
                return value;
            }
        }
    }

    /// `choice(n)` = `randint(0, n)`: uniform in `0..n` (`n ≥ 1`).
    pub fn choice(&mut self, n: u32) -> u32 {
        self.interval(n.saturating_sub(1))
    }

    /// `permutation(n)`: `arange(n)` shuffled by the legacy Fisher–Yates (from the end).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut out: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            // n ≤ u32::MAX: a dataset of at most 10⁶ samples.
            let j = self.interval(i as u32) as usize;
            out.swap(i, j);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values: the 10,000th output of `std::mt19937` with its default seed 5489 (the
    /// C++ standard's check), and NumPy's first draws after `np.random.seed(42)`, which are
    /// quoted everywhere (`rand()` = 0.3745401188473625, then `randn()` on a fresh seed =
    /// 0.4967141530112327, −0.13826430117118466).
    #[test]
    fn draws_match_mt19937_and_numpy() {
        let mut rng = LegacyRng::new(5489);
        let mut last = 0;
        for _ in 0..10_000 {
            last = rng.next_u32();
        }
        assert_eq!(last, 4_123_659_995);
        let mut rng = LegacyRng::new(42);
        assert_eq!(rng.rand(), 0.374_540_118_847_362_5);
        assert_eq!(rng.rand(), 0.950_714_306_409_916_2);
        let mut rng = LegacyRng::new(42);
        assert!((rng.randn() - 0.496_714_153_011_232_7).abs() < 1e-15);
        assert!((rng.randn() + 0.138_264_301_171_184_66).abs() < 1e-15);
        assert!((rng.randn() - 0.647_688_538_100_692_2).abs() < 1e-15);
    }

    #[test]
    fn intervals_are_uniform_and_permutations_are_permutations() {
        let mut rng = LegacyRng::new(7);
        let mut counts = [0usize; 48];
        for _ in 0..48_000 {
            counts[rng.choice(48) as usize] += 1;
        }
        // Each count is Binomial(48000, 1/48): mean 1000, sd ≈ 31; 6 sd either way.
        assert!(
            counts.iter().all(|&c| (814..=1186).contains(&c)),
            "{counts:?}"
        );
        let mut p = rng.permutation(1000);
        p.sort_unstable();
        assert_eq!(p, (0..1000).collect::<Vec<_>>());
        assert_eq!(rng.interval(0), 0);
    }
}
