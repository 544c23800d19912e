//! libFuzzer entry of the `broker_url` target; the logic and what it checks
//! are in src/broker_url.rs (shared with the stable replay, tests/replay.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tether_fuzz::broker_url::check(data));
