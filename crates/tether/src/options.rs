//! Settings of a link, with the defaults that serve a send loop best.

use std::time::Duration;

use tether_proto::{FrameCodec, Framing, DEFAULT_MAX_FRAME_LEN};

/// How long a send that follows closely on another may wait to be written
/// together with the sends after it. See [`Options::linger`].
pub const DEFAULT_LINGER: Duration = Duration::from_micros(100);

/// Settings of a link: framing, limits, Nagle and linger.
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

    /// The codec these options describe.
    pub fn codec(&self) -> FrameCodec {
        FrameCodec::new(self.framing, self.max_frame_len)
    }
}
