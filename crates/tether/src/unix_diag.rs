//! Whether a Unix socket file has a listener, asked of the kernel
//! (`sock_diag`, as `ss -xl` does) rather than by connecting, so a live
//! listener never sees a probe connection.
//!
//! The kernel lists each listening socket with the (device, inode) of the
//! file it is bound to, which still holds after the file was renamed into
//! place (the bound name in `/proc/net/unix` would not). Only sockets of
//! this network namespace are listed: a caller that finds none must still
//! make sure by other means.

use std::io;

/// `struct nlmsghdr`.
const NLMSG_HDR: usize = 16;
/// `struct unix_diag_msg`.
const DIAG_MSG: usize = 16;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const TCP_LISTEN: u32 = 10;
const UDIAG_SHOW_VFS: u32 = 0x2;
const UNIX_DIAG_VFS: u16 = 1;
/// Replies read before giving up: far more listening sockets than a
/// machine has, so the loop is bounded without ever cutting a real dump.
const MAX_REPLIES: usize = 1 << 16;

/// `Ok(true)` when a socket of this network namespace listens on the file
/// with this (device, inode); `Err` when the kernel cannot be asked.
pub(crate) fn listening_on(dev: u64, ino: u64) -> io::Result<bool> {
    let sock = Netlink::open()?;
    sock.send_dump_request()?;
    let mut buf = vec![0u8; 32 * 1024];
    for _ in 0..MAX_REPLIES {
        let n = sock.recv(&mut buf)?;
        match scan(&buf[..n], dev, ino)? {
            Scan::More => {}
            Scan::Found => return Ok(true),
            Scan::Done => return Ok(false),
        }
    }
    Err(io::Error::other("sock_diag dump did not end"))
}

enum Scan {
    More,
    Found,
    Done,
}

/// One datagram of the dump: netlink messages, each a `unix_diag_msg` and
/// its attributes.
fn scan(mut data: &[u8], dev: u64, ino: u64) -> io::Result<Scan> {
    while data.len() >= NLMSG_HDR {
        let len = u32_at(data, 0) as usize;
        let kind = u16_at(data, 4);
        if len < NLMSG_HDR || len > data.len() {
            return Err(io::Error::other("malformed sock_diag reply"));
        }
        match kind {
            NLMSG_DONE => return Ok(Scan::Done),
            NLMSG_ERROR => {
                let code = data.get(16..20).map_or(0, |b| u32_at(b, 0) as i32);
                return Err(io::Error::from_raw_os_error(
                    code.checked_neg().unwrap_or(0),
                ));
            }
            SOCK_DIAG_BY_FAMILY
                if len >= NLMSG_HDR + DIAG_MSG
                    && vfs_matches(&data[NLMSG_HDR + DIAG_MSG..len], dev, ino) =>
            {
                return Ok(Scan::Found);
            }
            _ => {}
        }
        data = &data[align(len).min(data.len())..];
    }
    Ok(Scan::More)
}

/// Whether the attributes hold a `UNIX_DIAG_VFS` naming this file. The
/// kernel reports its inode in 32 bits and its device in the kernel's
/// own encoding (major << 20 | minor) on some versions and in the user
/// encoding on others: either is taken.
fn vfs_matches(mut attrs: &[u8], dev: u64, ino: u64) -> bool {
    while attrs.len() >= 4 {
        let len = u16_at(attrs, 0) as usize;
        let kind = u16_at(attrs, 2);
        if len < 4 || len > attrs.len() {
            return false;
        }
        if kind == UNIX_DIAG_VFS && len >= 12 {
            let (vfs_ino, vfs_dev) = (u32_at(attrs, 4), u32_at(attrs, 8));
            let kernel_dev = libc::makedev(vfs_dev >> 20, vfs_dev & 0xfffff);
            return u64::from(vfs_ino) == (ino & 0xffff_ffff)
                && (u64::from(vfs_dev) == dev || kernel_dev == dev);
        }
        attrs = &attrs[align(len).min(attrs.len())..];
    }
    false
}

fn align(len: usize) -> usize {
    (len + 3) & !3
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A `NETLINK_SOCK_DIAG` socket, closed on drop.
struct Netlink(std::os::fd::OwnedFd);

impl Netlink {
    fn open() -> io::Result<Netlink> {
        use std::os::fd::FromRawFd;
        // SAFETY: plain socket(2); the descriptor is owned below.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                libc::NETLINK_SOCK_DIAG,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor nobody else owns.
        Ok(Netlink(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) }))
    }

    /// A dump of every listening Unix socket, with its file's identity.
    fn send_dump_request(&self) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let mut req = [0u8; NLMSG_HDR + 24];
        let len = req.len() as u32;
        req[0..4].copy_from_slice(&len.to_ne_bytes());
        req[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
        req[6..8].copy_from_slice(&flags.to_ne_bytes());
        // unix_diag_req: family, protocol, pad, states, ino, show, cookie.
        req[16] = libc::AF_UNIX as u8;
        req[20..24].copy_from_slice(&(1u32 << TCP_LISTEN).to_ne_bytes());
        req[28..32].copy_from_slice(&UDIAG_SHOW_VFS.to_ne_bytes());
        // SAFETY: a zeroed sockaddr_nl addresses the kernel.
        let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: req and kernel outlive the call; lengths are theirs.
        let sent = unsafe {
            libc::sendto(
                self.0.as_raw_fd(),
                req.as_ptr().cast(),
                req.len(),
                0,
                (&kernel as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        loop {
            // SAFETY: buf is ours for the length given.
            let n =
                unsafe { libc::recv(self.0.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::net::UnixListener;

    #[test]
    fn a_listening_socket_is_found_by_its_file_and_a_closed_one_is_not() {
        let dir = std::env::temp_dir().join(format!("tether-diag-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s");
        let live = UnixListener::bind(&path).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert!(listening_on(meta.dev(), meta.ino()).unwrap());
        // Renamed, it is still found: the kernel lists the inode.
        std::fs::rename(&path, dir.join("t")).unwrap();
        assert!(listening_on(meta.dev(), meta.ino()).unwrap());
        drop(live);
        assert!(!listening_on(meta.dev(), meta.ino()).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn malformed_replies_are_errors_not_panics() {
        assert!(scan(&[0xff; 40], 1, 1).is_err());
        assert!(matches!(scan(&[1, 2, 3], 1, 1), Ok(Scan::More)));
        assert!(!vfs_matches(&[0xff; 9], 1, 1));
    }
}
