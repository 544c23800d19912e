//! libFuzzer entry of the `truncated_frames` target; the logic and what it checks are
//! in src/truncation.rs (shared with the stable replay, tests/replay.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tether_fuzz::truncation::check(data));
