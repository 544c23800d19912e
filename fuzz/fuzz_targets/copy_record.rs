//! libFuzzer entry of the `copy_record` target; the logic and what it checks are
//! in src/copy_record.rs (shared with the stable replay, tests/replay.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tether_fuzz::copy_record::check(data));
