//! Settings of a link, with the defaults that serve a send loop best.

use std::time::Duration;

use crate::budget::Budget;
use tether_proto::{FrameCodec, Framing, DEFAULT_MAX_FRAME_LEN};

/// How long a send that follows closely on another may wait to be written
/// together with the sends after it. See [`Options::linger`].
pub const DEFAULT_LINGER: Duration = Duration::from_micros(100);

/// How long a frame that has begun may take to arrive whole, by default.
/// See [`Options::frame_timeout`].
pub const DEFAULT_FRAME_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings of a link: framing, limits, timeouts, Nagle and linger.
///
/// ```
/// use std::time::Duration;
/// use tether::{Framing, Options};
///
/// let opts = Options::new()
///     .framing(Framing::Line)
///     .linger(Duration::ZERO)
///     .max_frame_len(1 << 20);
/// assert_eq!(opts.framing, Framing::Line);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// How messages are delimited on the stream (default: length prefix).
    pub framing: Framing,
    /// Largest message accepted or sent, in bytes (default 16 MiB).
    pub max_frame_len: usize,
    /// `TCP_NODELAY`: true (the default) turns Nagle's algorithm off, so a
    /// small message is not held back waiting for an acknowledgement.
    pub nodelay: bool,
    /// Coalescing window for [`crate::Link::send`]. A send on an idle link
    /// (nothing written for a linger, or a receive since the last write) is
    /// written at once; sends that follow it closely are gathered and written
    /// together, none waiting longer than the linger. Zero writes every send
    /// at once. Default: [`DEFAULT_LINGER`].
    pub linger: Duration,
    /// How long a blocking receive first spins on non-blocking reads before
    /// it sleeps in the kernel, so a reply that comes within it costs no
    /// wake-up. Off (zero) by default: while it spins, it burns a whole CPU.
    pub busy_poll: Duration,
    /// Permissions of a Unix socket file a listener binds (default
    /// `0o600`: other users cannot connect unless asked).
    pub socket_mode: u32,
    /// A receiving link whose peer sends nothing for this long closes the
    /// connection and reports [`crate::Error::IdleTimeout`]. Off (`None`)
    /// by default: devices may talk rarely.
    pub idle_timeout: Option<Duration>,
    /// A frame whose first bytes have arrived must be whole within this,
    /// or the receiving link closes the connection and reports
    /// [`crate::Error::FrameTimeout`]: a peer that sends a header and then
    /// a byte a second cannot hold a connection and its buffer for ever.
    /// Default [`DEFAULT_FRAME_TIMEOUT`] (30 s); `None` waits for ever.
    pub frame_timeout: Option<Duration>,
    /// A byte budget shared by every async link made with these options
    /// (all links of an [`crate::AsyncListener`]): bytes read but not yet
    /// taken as whole messages. A link that would go over it stops reading
    /// until others give bytes back; one that waits longer than the frame
    /// timeout is closed by it. Each link holds up to 8 KiB outside the
    /// budget, so small messages always pass. `None` (the default): no
    /// budget. Blocking links do not use it.
    pub budget: Option<Budget>,
    /// Links a listener bound with these options may have alive at once;
    /// at the cap it does not accept (the kernel's backlog holds
    /// newcomers) until one of them is dropped. `None` (the default): no
    /// cap.
    pub max_connections: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            framing: Framing::Length,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            nodelay: true,
            linger: DEFAULT_LINGER,
            busy_poll: Duration::ZERO,
            socket_mode: 0o600,
            idle_timeout: None,
            frame_timeout: Some(DEFAULT_FRAME_TIMEOUT),
            budget: None,
            max_connections: None,
        }
    }
}

impl Options {
    /// The defaults: length framing, 16 MiB limit, Nagle off, 100 µs linger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the framing.
    pub fn framing(mut self, framing: Framing) -> Self {
        self.framing = framing;
        self
    }

    /// Sets the largest message accepted or sent.
    pub fn max_frame_len(mut self, max_frame_len: usize) -> Self {
        self.max_frame_len = max_frame_len;
        self
    }

    /// Sets `TCP_NODELAY` (true turns Nagle off).
    pub fn nodelay(mut self, nodelay: bool) -> Self {
        self.nodelay = nodelay;
        self
    }

    /// Sets the linger window; zero writes every send at once.
    pub fn linger(mut self, linger: Duration) -> Self {
        self.linger = linger;
        self
    }

    /// Sets the busy-poll time of blocking receives (zero: off, the
    /// default). Worth it for round trips when a core is free to burn:
    /// a reply that arrives within it skips the sleep and the wake-up.
    pub fn busy_poll(mut self, busy_poll: Duration) -> Self {
        self.busy_poll = busy_poll;
        self
    }

    /// Sets the permissions of a Unix socket file a listener binds.
    pub fn socket_mode(mut self, mode: u32) -> Self {
        self.socket_mode = mode;
        self
    }

    /// Sets the idle timeout (`None`: off, the default).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets the frame timeout (`None`: wait for ever; default 30 s).
    pub fn frame_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.frame_timeout = timeout;
        self
    }

    /// Sets the byte budget shared by the async links made with these
    /// options (see [`Options::budget`]).
    pub fn budget(mut self, budget: Option<Budget>) -> Self {
        self.budget = budget;
        self
    }

    /// Sets the connection cap of a listener (`None`: none, the default).
    pub fn max_connections(mut self, max: Option<usize>) -> Self {
        self.max_connections = max;
        self
    }

    /// The timeouts these options describe, starting now.
    pub(crate) fn patience(&self) -> crate::patience::Patience {
        crate::patience::Patience::new(
            self.idle_timeout,
            self.frame_timeout,
            std::time::Instant::now,
        )
    }

    /// The codec these options describe.
    pub fn codec(&self) -> FrameCodec {
        FrameCodec::new(self.framing, self.max_frame_len)
    }
}
