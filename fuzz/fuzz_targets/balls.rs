//! libFuzzer entry of the `balls` target; the logic and what it checks are
//! in src/balls.rs (shared with the stable replay, tests/replay.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tether_fuzz::balls::check(data));
