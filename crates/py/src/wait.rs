//! Blocking calls that stay responsive to Ctrl-C.
//!
//! A wait is cut into slices of at most [`SLICE`]. Each slice runs with the
//! GIL released (other Python threads run meanwhile); between slices the
//! GIL is taken back and pending signals are handled, so `KeyboardInterrupt`
//! arrives within about one slice.

use std::time::{Duration, Instant};

use pyo3::prelude::*;

use crate::errors::Fault;

/// The longest a blocking call waits without checking for signals.
///
/// No shorter than the library's `KERNEL_TIMEOUT_MIN` (50 ms): from there
/// up `Link::recv_timeout` is one blocking read with `SO_RCVTIMEO` instead
/// of `poll` + read, so a message costs one syscall. A signal interrupts
/// that read (links are made interruptible), so `KeyboardInterrupt` comes
/// at once; other waits see it within one slice. Only the last slice of a
/// finite timeout is shorter. A receive with no timeout is not sliced: it
/// is one plain read, which a signal ends (see `Link::until_done`).
pub(crate) const SLICE: Duration = Duration::from_millis(50);

/// Calls `step(slice)` with the GIL released until it returns `Some`, the
/// `timeout` (`None`: for ever) passes, or a signal handler raises.
/// `Ok(None)` means the timeout passed.
pub(crate) fn sliced<T, F>(
    py: Python<'_>,
    timeout: Option<Duration>,
    mut step: F,
) -> PyResult<Option<T>>
where
    T: Send,
    F: FnMut(Duration) -> Result<Option<T>, Fault> + Send,
{
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let slice = match deadline {
            None => SLICE,
            Some(d) => d.saturating_duration_since(Instant::now()).min(SLICE),
        };
        match py.detach(|| step(slice)) {
            Ok(Some(got)) => return Ok(Some(got)),
            Ok(None) => {}
            // PEP 475: a wait a signal cut short runs the handlers (below),
            // then goes on; the signal is Python's, never the caller's error.
            Err(Fault::Tether(tether::Error::Interrupted)) => {}
            Err(fault) => return Err(fault.into_py(py)),
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
        py.check_signals()?;
    }
}
