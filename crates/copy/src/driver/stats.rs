//! Counters a progress bar reads while the copy runs, and the summary after.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters, updated by the driver's threads.
#[derive(Debug, Default)]
pub struct Stats {
    /// Bytes in the manifest (known sizes).
    pub total_bytes: AtomicU64,
    /// Files in the manifest.
    pub total_files: AtomicU64,
    /// Bytes done: sent or received this run, plus those resumed or skipped.
    pub done_bytes: AtomicU64,
    /// Files done.
    pub done_files: AtomicU64,
}

impl Stats {
    pub(crate) fn add_bytes(&self, n: u64) {
        self.done_bytes.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn add_file(&self) {
        self.done_files.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn set_totals(&self, files: u64, bytes: u64) {
        self.total_files.store(files, Ordering::Relaxed);
        self.total_bytes.store(bytes, Ordering::Relaxed);
    }
}

/// What a finished copy did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Whether this side sent (or received) the files.
    pub sent: bool,
    /// Files in the manifest.
    pub files: u64,
    /// Directories in the manifest.
    pub dirs: u64,
    /// Bytes of file data that crossed the network this run.
    pub bytes: u64,
    /// Bytes that a previous run had already moved (resumed part files).
    pub resumed_bytes: u64,
    /// Files already there, identical, and not sent again.
    pub skipped_files: u64,
    /// Seconds from the manifest's acceptance to the end.
    pub seconds: f64,
    /// The AEAD this side sealed with.
    pub aead: &'static str,
    /// Each file's name and BLAKE3, in manifest order (skipped ones too).
    pub hashes: Vec<(String, [u8; 32])>,
}
