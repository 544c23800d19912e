//! What `--retry` keeps after connecting: the messages the peer has not yet
//! acknowledged, so that when the connection is lost while sending (the
//! listener restarted, say) they are sent again over a new one.
//!
//! Over TCP "acknowledged" is the kernel's count of bytes the peer's TCP
//! acknowledged (`tcpi_bytes_acked`): a message whose last byte is in it
//! reached the peer's machine. One it acknowledged but never read (it was
//! killed with the message in its receive buffer) is the only kind that can
//! be lost. Only TCP says what was acknowledged, so only TCP sends again.

use std::collections::VecDeque;
use std::os::fd::RawFd;

use tether::Framing;

/// The messages written on this connection and not yet acknowledged, each
/// with the stream offset its frame ends at.
#[derive(Debug, Default)]
pub struct Unacked {
    queue: VecDeque<(u64, Vec<u8>)>,
    /// Payload bytes in `queue`.
    held: usize,
    /// Frame bytes handed to the link on this connection.
    written: u64,
    /// `tcpi_bytes_acked` when this connection was made (the SYN's).
    base: u64,
    /// Messages acknowledged on earlier connections and this one.
    acked: u64,
}

/// Check what the peer acknowledged at least once per this many held bytes,
/// so the queue stays about the size of the socket buffers.
pub const CHECK_EVERY: usize = 1 << 20;

impl Unacked {
    /// Starts counting on a new connection `fd`.
    pub fn connected(&mut self, fd: RawFd) {
        self.written = 0;
        self.base = bytes_acked(fd).unwrap_or(0);
    }

    /// Remembers one message handed to the link.
    pub fn push(&mut self, payload: &[u8], framing: Framing) {
        self.written += wire_len(payload.len(), framing);
        self.held += payload.len();
        self.queue.push_back((self.written, payload.to_vec()));
    }

    /// Payload bytes held.
    pub fn held(&self) -> usize {
        self.held
    }

    /// Forgets the messages the peer acknowledged.
    pub fn prune(&mut self, fd: RawFd) {
        if let Some(acked) = bytes_acked(fd) {
            self.forget_upto(acked.saturating_sub(self.base));
        }
    }

    /// Forgets the messages whose frames end within the first `upto` bytes.
    fn forget_upto(&mut self, upto: u64) {
        while self.queue.front().is_some_and(|(end, _)| *end <= upto) {
            if let Some((_, payload)) = self.queue.pop_front() {
                self.held -= payload.len();
                self.acked += 1;
            }
        }
    }

    /// Messages acknowledged so far, over every connection.
    pub fn acked(&self) -> u64 {
        self.acked
    }

    /// Takes every message not acknowledged, oldest first, to send again.
    pub fn take(&mut self) -> Vec<Vec<u8>> {
        self.held = 0;
        self.queue.drain(..).map(|(_, payload)| payload).collect()
    }
}

/// Bytes a message of `len` takes on the wire.
fn wire_len(len: usize, framing: Framing) -> u64 {
    let len = len as u64;
    match framing {
        Framing::Length => len + 4,
        Framing::Line => len + 1,
        Framing::Fixed(_) | Framing::Raw => len,
    }
}

/// Whether `fd` says what its peer acknowledged (it is TCP).
pub fn tells_acks(fd: RawFd) -> bool {
    bytes_acked(fd).is_some()
}

/// The bytes the peer's TCP acknowledged on `fd`; `None` when it is not TCP.
fn bytes_acked(fd: RawFd) -> Option<u64> {
    tcp_info(fd).map(|info| info.tcpi_bytes_acked)
}

/// The kernel's `TCP_INFO` of `fd`; `None` for a socket that is not TCP.
pub fn tcp_info(fd: RawFd) -> Option<libc::tcp_info> {
    // SAFETY: tcp_info is plain data; zeroed is a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `info` and `len` are valid for the option's size.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    (r == 0).then_some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_forgotten_once_its_last_byte_is_acknowledged() {
        let mut u = Unacked::default();
        for m in [&b"ab"[..], b"cde", b"f"] {
            u.push(m, Framing::Length);
        }
        // Frames end at 6, 13 and 18; a peer that acknowledged 13 bytes has
        // the first two.
        u.forget_upto(12);
        assert_eq!((u.acked(), u.held()), (1, 4));
        u.forget_upto(13);
        assert_eq!(u.acked(), 2);
        assert_eq!(u.take(), vec![b"f".to_vec()]);
        assert_eq!(u.held(), 0);
    }

    #[test]
    fn frames_are_counted_as_the_framing_writes_them() {
        assert_eq!(wire_len(5, Framing::Length), 9);
        assert_eq!(wire_len(5, Framing::Line), 6);
        assert_eq!(wire_len(5, Framing::Raw), 5);
    }

    #[test]
    fn only_tcp_tells_what_was_acknowledged() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap_or_else(|_| unreachable!());
        assert!(!tells_acks(std::os::fd::AsRawFd::as_raw_fd(&a)));
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|_| unreachable!());
        let addr = l.local_addr().unwrap_or_else(|_| unreachable!());
        let c = std::net::TcpStream::connect(addr).unwrap_or_else(|_| unreachable!());
        assert!(tells_acks(std::os::fd::AsRawFd::as_raw_fd(&c)));
    }
}
