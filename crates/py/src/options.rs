//! Keyword arguments → [`tether::Options`], and seconds → [`Duration`].

use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use tether::{Framing, Options, DEFAULT_LINGER, DEFAULT_MAX_FRAME_LEN};

/// A non-negative, finite number of seconds as a [`Duration`].
pub(crate) fn seconds(name: &str, secs: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        PyValueError::new_err(format!(
            "{name} must be a non-negative, finite number of seconds, got {secs}"
        ))
    })
}

/// An optional number of seconds (`None` stays `None`).
pub(crate) fn opt_seconds(name: &str, secs: Option<f64>) -> PyResult<Option<Duration>> {
    secs.map(|s| seconds(name, s)).transpose()
}

/// The link options given as keyword arguments; `None` for
/// `max_frame_len`, `linger` or `busy_poll` is the library's default, and
/// for `idle_timeout` or `frame_timeout` means no timeout.
pub(crate) fn options(
    framing: &str,
    max_frame_len: Option<usize>,
    nodelay: bool,
    linger: Option<f64>,
    busy_poll: Option<f64>,
    timeouts: Timeouts,
) -> PyResult<Options> {
    let framing: Framing = framing
        .parse()
        .map_err(|e: tether::proto::ParseFramingError| PyValueError::new_err(e.to_string()))?;
    let linger = opt_seconds("linger", linger)?.unwrap_or(DEFAULT_LINGER);
    Ok(Options::new()
        .framing(framing)
        .max_frame_len(max_frame_len.unwrap_or(DEFAULT_MAX_FRAME_LEN))
        .nodelay(nodelay)
        .linger(linger)
        .busy_poll(opt_seconds("busy_poll", busy_poll)?.unwrap_or_default())
        .idle_timeout(opt_seconds("idle_timeout", timeouts.idle)?)
        .frame_timeout(opt_seconds("frame_timeout", timeouts.frame)?))
}

/// The `idle_timeout` and `frame_timeout` keyword arguments, in seconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) idle: Option<f64>,
    pub(crate) frame: Option<f64>,
}
