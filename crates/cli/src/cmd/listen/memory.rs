//! Giving memory back to the system after a burst of connections.
//!
//! A closed connection frees its buffers, but glibc keeps freed memory in
//! its arenas. Release build, bursts of 2,000 connections that each sent
//! one message and closed, RSS a few seconds after the sixth burst (from
//! about 6 MB at start):
//! - glibc as it is: 41 MB, and so it stayed (42 MB after 12 bursts);
//! - `M_ARENA_MAX` 1 or 2, or `M_TRIM_THRESHOLD` 0 (set as tunables, as
//!   `mallopt` would): 41 MB, since the free memory is not at the top of
//!   a heap, where trimming looks;
//! - jemalloc 5.3 (preloaded): 38 MB; mimalloc 2.0: 27 MB (both give
//!   memory back only after their decay times, and would add a C
//!   dependency);
//! - `malloc_trim(0)` once the burst was over: 7 MB.
//!
//! So the listener trims, as servers on glibc do, at most once a second
//! and only in a quiet second after enough closes: a steady churn of
//! connections, whose memory is in use again at once, costs no trims.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::MissedTickBehavior;

use super::sink::Sink;

/// How often the listener considers giving freed memory back.
const TICK: Duration = Duration::from_secs(1);
/// Closes since the last trim that make one worth its cost.
const MIN_CLOSED: u64 = 64;

/// When to trim, fed the count of closed connections once a tick (sans
/// clock: the caller owns the timer).
#[derive(Debug, Default)]
pub struct TrimPolicy {
    at_last_trim: u64,
    at_last_tick: u64,
}

impl TrimPolicy {
    /// Whether to trim now, given how many connections have closed in all.
    pub fn due(&mut self, closed: u64) -> bool {
        let quiet = closed == self.at_last_tick;
        self.at_last_tick = closed;
        let due = quiet && closed.saturating_sub(self.at_last_trim) >= MIN_CLOSED;
        if due {
            self.at_last_trim = closed;
        }
        due
    }
}

/// Until the listener stops: once a tick, trims if `closed` (connections
/// closed so far) says a burst is over.
pub async fn trim_after_bursts(closed: Arc<AtomicU64>, sink: Arc<Sink>) {
    let mut policy = TrimPolicy::default();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = sink.stopped() => return,
            _ = tick.tick() => {}
        }
        if policy.due(closed.load(Ordering::Relaxed)) {
            // It walks every arena: off the runtime's threads.
            let _ = tokio::task::spawn_blocking(trim).await;
        }
    }
}

/// Keeps glibc's mmap threshold at its default of 128 KiB for good.
///
/// glibc raises the threshold to the size of each mmapped block freed
/// (up to 32 MiB), so after one big message, frame buffers of later peers
/// come from the per-thread arenas, which keep what is freed and copy on
/// growth. Release build, 200 peers pushing unfinished 16 MiB frames for
/// 4 s under the 256 MiB budget: peak RSS 314 and 340 MiB as glibc is,
/// 266 and 266 MiB with the threshold fixed (`MALLOC_MMAP_THRESHOLD_`);
/// debug build with one 12 MiB message first, 488 MiB against 273. Setting
/// it turns the adjustment off: big buffers are always their own mappings,
/// given back when freed, at the cost of an mmap and munmap per big frame.
pub fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator; it is called
    // before the runtime starts its threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Hands the allocator's free pages back to the system (glibc only;
/// other allocators give memory back on their own).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_closes_trims_once_after_a_quiet_tick() {
        let mut p = TrimPolicy::default();
        // Closing: 0, 500, 2000 closed; not quiet yet.
        assert!(!p.due(0));
        assert!(!p.due(500));
        assert!(!p.due(2000));
        // Quiet: trim once, then not again while nothing closes.
        assert!(p.due(2000));
        assert!(!p.due(2000));
        assert!(!p.due(2000));
    }

    #[test]
    fn few_closes_or_a_steady_churn_never_trim() {
        let mut p = TrimPolicy::default();
        for closed in [1, 2, 2, 10, 10, 63, 63] {
            assert!(!p.due(closed), "{closed}");
        }
        let mut q = TrimPolicy::default();
        for tick in 1..100u64 {
            assert!(!q.due(tick * 1000));
        }
    }
}
