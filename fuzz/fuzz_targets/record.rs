//! libFuzzer entry of the `record` target; the logic and what it checks are
//! in src/record.rs (shared with the stable replay, tests/replay.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tether_fuzz::record::check(data));
