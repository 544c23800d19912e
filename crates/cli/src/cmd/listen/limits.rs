//! Limits against peers that hold resources: the fd limit and the
//! connection cap. (The idle and frame timeouts are the links' own, set
//! in their `Options`.)

use std::fs::File;
use std::io;

/// Descriptors kept out of the connection cap: the listener, stdio, the
/// runtime's own, the `--output` file and the reserve.
const FDS_KEPT: u64 = 32;

/// What one listener allows its peers.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once; at the cap, accepting pauses and the
    /// kernel's backlog holds newcomers.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
        }
    }
}

/// Raises the soft fd limit to the hard one (as Go's runtime and nginx
/// do) and returns the soft limit now in force.
pub fn raise_fd_limit() -> io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim = raised;
        }
    }
    Ok(lim.rlim_cur)
}

/// The default `--max-connections` for a soft fd limit.
pub fn default_max_connections(fd_limit: u64) -> usize {
    usize::try_from(fd_limit.saturating_sub(FDS_KEPT).max(1)).unwrap_or(usize::MAX)
}

/// A descriptor held in reserve: when accept fails for want of
/// descriptors, giving this one up lets the listener take the pending
/// connection and close it, instead of spinning on `EMFILE`.
#[derive(Debug)]
pub struct Reserve(Option<File>);

impl Reserve {
    /// Takes one descriptor (of `/dev/null`).
    pub fn new() -> Self {
        Reserve(File::open("/dev/null").ok())
    }

    /// Gives the descriptor up for a moment.
    pub fn release(&mut self) {
        self.0 = None;
    }

    /// Takes it back.
    pub fn retake(&mut self) {
        if self.0.is_none() {
            self.0 = File::open("/dev/null").ok();
        }
    }
}

/// Whether an accept failed for want of descriptors.
pub fn out_of_fds(e: &tether::Error) -> bool {
    let code = match e {
        tether::Error::Io(io) => io.raw_os_error(),
        _ => None,
    };
    matches!(code, Some(libc::EMFILE) | Some(libc::ENFILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_for_the_listeners_own_descriptors() {
        assert_eq!(default_max_connections(1024), 992);
        assert_eq!(default_max_connections(10), 1);
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let now = raise_fd_limit().unwrap_or(0);
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we own.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
        assert_eq!(now, lim.rlim_cur);
        assert_eq!(lim.rlim_cur, lim.rlim_max);
    }
}
