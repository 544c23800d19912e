//! The progress bar: bytes, files, rate, eta, on stderr when it is a
//! terminal, and only once the copy has run for a second.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tether_copy::driver::Stats;

/// How long a copy runs before the bar appears.
const DELAY: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(100);

/// A thread drawing the bar from the driver's counters.
pub struct Bar {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    /// Starts the bar's thread (nothing when stderr is not a terminal, or `quiet`).
    pub fn start(stats: Arc<Stats>, quiet: bool) -> Bar {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let stop = stop.clone();
            std::thread::spawn(move || draw(&stats, &stop))
        });
        Bar { stop, thread }
    }

    /// Stops and clears the bar.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn draw(stats: &Stats, stop: &AtomicBool) {
    let mut first: Option<Instant> = None;
    let mut bar: Option<ProgressBar> = None;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        let done = stats.done_bytes.load(Ordering::Relaxed);
        let files = stats.done_files.load(Ordering::Relaxed);
        if done == 0 && files == 0 {
            continue;
        }
        let since = *first.get_or_insert_with(Instant::now);
        if since.elapsed() < DELAY {
            continue;
        }
        let b = bar.get_or_insert_with(|| {
            let b = ProgressBar::with_draw_target(Some(stats.total_bytes.load(Ordering::Relaxed)), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{msg} {bytes}/{total_bytes} [{bar:30}] {percent:>3}% {binary_bytes_per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            b.set_style(style);
            b
        });
        let total_files = stats.total_files.load(Ordering::Relaxed);
        b.set_message(format!(
            "{}/{} files",
            super::ask::group(files),
            super::ask::group(total_files)
        ));
        b.set_position(done);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}
