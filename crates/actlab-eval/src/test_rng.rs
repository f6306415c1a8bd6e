//! A small deterministic generator for the statistics' simulation tests (xorshift64, uniform
//! and Box–Muller normal draws): no dependency, the same numbers on every machine.

/// xorshift64 from a nonzero seed.
pub struct Xorshift(pub u64);

impl Xorshift {
    /// Uniform on (0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal.
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}
