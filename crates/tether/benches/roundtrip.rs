//! Loopback round trip benchmarks (filled in below).
fn main() {}
