//! A small random source for new balls and peer ids (xorshift64*): the
//! look of a ball needs no cryptographic randomness.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// Pseudo-random numbers.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded; the same seed gives the same balls.
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// Seeded from the process's hash keys, different in every run.
    pub fn from_entropy() -> Rng {
        let mut h = RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        Rng::new(h.finish())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
}
