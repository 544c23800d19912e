//! Runs every fuzz target's logic on stable Rust, without libFuzzer: over
//! the tracked seeds in `seeds/<target>/`, then over a bounded number of
//! inputs made by mutating them with a fixed-seed generator, so `.ci/test`
//! checks the differential properties on every machine.

use std::fs;
use std::path::{Path, PathBuf};

use tether_fuzz::TARGETS;

/// Mutated inputs per target, spread over its seeds: enough to leave the
/// seeds' neighbourhood, few enough to keep the replay at a few seconds.
const MUTATIONS_PER_TARGET: usize = 10_000;
/// Longest mutated input.
const MAX_LEN: usize = 4096;

fn seeds_of(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    let mut seeds: Vec<(PathBuf, Vec<u8>)> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .map(|p| {
                let bytes = fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                (p, bytes)
            })
            .collect(),
        Err(e) => panic!("{}: {e} (every target needs seeds)", dir.display()),
    };
    seeds.sort();
    seeds
}

/// xorshift64*: a small deterministic generator, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One of libFuzzer's simpler mutations: flip, set, insert, delete, or
/// duplicate a run of bytes.
fn mutate(input: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 if at < out.len() => out[at] ^= 1 << rng.below(8),
            1 if at < out.len() => out[at] = rng.next() as u8,
            2 => out.insert(at, rng.next() as u8),
            3 if at < out.len() => {
                out.remove(at);
            }
            _ => {
                let len = rng.below(out.len() - at + 1).min(64);
                let run = out[at..at + len].to_vec();
                out.splice(at..at, run);
            }
        }
    }
    out.truncate(MAX_LEN);
    out
}

/// `TETHER_FUZZ_RUNS=N` mutates N inputs per target instead (a longer run
/// on stable, without libFuzzer), `TETHER_FUZZ_ONLY=NAME` runs one target,
/// and `TETHER_FUZZ_SEED=N` starts the generator elsewhere.
fn setting(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
}

#[test]
fn every_target_holds_on_its_seeds_and_their_mutations() {
    let only = std::env::var("TETHER_FUZZ_ONLY").ok();
    let mutations = setting("TETHER_FUZZ_RUNS").map_or(MUTATIONS_PER_TARGET, |n| n as usize);
    for &(name, check) in TARGETS {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let seeds = seeds_of(name);
        assert!(!seeds.is_empty(), "fuzz/seeds/{name}/ is empty");
        // Spread small seeds over the state; xorshift needs it nonzero.
        let seed = setting("TETHER_FUZZ_SEED").map_or(0x7e7e_7e7e_0000_0001, |n| {
            n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1
        });
        let mut rng = Rng(seed);
        let per_seed = (mutations / seeds.len()).max(1);
        let mut runs = 0;
        for (path, seed) in &seeds {
            if std::panic::catch_unwind(|| check(seed)).is_err() {
                panic!("{name}: seed {} failed", path.display());
            }
            runs += 1;
            for n in 0..per_seed {
                let input = mutate(seed, &mut rng);
                if std::panic::catch_unwind(|| check(&input)).is_err() {
                    panic!(
                        "{name}: mutation {n} of {} failed on {input:?}",
                        path.display()
                    );
                }
                runs += 1;
            }
        }
        eprintln!("{name}: {runs} inputs");
    }
}
