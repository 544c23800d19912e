//! libFuzzer entry of the `decode_frames` target; the logic and what it checks are
//! in src/frames.rs (shared with the stable replay, tests/replay.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tether_fuzz::frames::check(data));
