//! The logic of tether's fuzz targets, shared by the libFuzzer binaries in
//! `fuzz_targets/` (nightly, `cargo fuzz run NAME`) and the stable replay of
//! the tracked seeds in `tests/replay.rs`.
//!
//! Every target is differential: the decoder under test against a slow
//! reference written for clarity from docs/PROTOCOL.md (`reference`), so a
//! target finds wrong frames, not only panics.
//!
//! To add a target (copy records, ball messages, broker URLs, ...): a module
//! here with `pub fn check(data: &[u8])` that panics on a difference, one
//! line in [`TARGETS`], a three-line binary in `fuzz_targets/` with its
//! `[[bin]]` in Cargo.toml, and a few seeds in `seeds/NAME/`. The replay
//! test refuses a target without seeds.

pub mod balls;
pub mod balls_reference;
pub mod broker_url;
pub mod broker_url_reference;
pub mod copy_record;
pub mod frames;
pub mod record;
pub mod record_reference;
pub mod reference;
pub mod truncation;

/// A target's check: panics when the code under test disagrees with its
/// reference or breaks a bound.
pub type Check = fn(&[u8]);

/// Every target, by the name of its binary and of its seed directory.
pub const TARGETS: &[(&str, Check)] = &[
    ("decode_frames", frames::check),
    ("truncated_frames", truncation::check),
    ("record", record::check),
    ("balls", balls::check),
    ("copy_record", copy_record::check),
    ("broker_url", broker_url::check),
];
