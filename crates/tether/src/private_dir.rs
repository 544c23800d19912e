//! A fresh directory of mode 0700 beside a socket path: the socket is
//! bound and given its mode in there, where no other user can reach it,
//! and then renamed into place without replacing anything.
//!
//! The socket keeps the name it was bound with (the kernel reports it as
//! the peer address of those who connect), so the detour is named
//! `.tether-XXXXXXXX/NAME` and [`undetour`] maps it back to the path.

use std::ffi::CString;
use std::fs::{self, DirBuilder, File, Permissions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Room in `sockaddr_un.sun_path`, with its terminating NUL.
const SUN_PATH: usize = 108;
/// How the detour directory's name begins; eight hex digits follow.
const PREFIX: &str = ".tether-";
/// Names tried before giving up on a fresh one.
const ATTEMPTS: usize = 16;

/// The directory, removed (with a socket left inside) on drop.
#[derive(Debug)]
pub(crate) struct PrivateDir {
    dir: PathBuf,
    /// Kept open for the `/proc/self/fd` path of a long socket path.
    handle: Option<File>,
    socket: PathBuf,
}

impl PrivateDir {
    /// Makes a fresh directory of mode 0700 in the directory of `path`.
    pub(crate) fn beside(path: &Path) -> io::Result<PrivateDir> {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
        for _ in 0..ATTEMPTS {
            let dir = parent.join(format!("{PREFIX}{:08x}", unique()));
            match DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(PrivateDir::at(dir, Path::new(name))),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no fresh directory name beside the socket path",
        ))
    }

    fn at(dir: PathBuf, name: &Path) -> PrivateDir {
        let socket = dir.join(name);
        if socket.as_os_str().len() < SUN_PATH {
            return PrivateDir {
                dir,
                handle: None,
                socket,
            };
        }
        // The detour is longer than a socket path may be: reach the
        // directory through its descriptor instead (Linux resolves
        // `/proc/self/fd/N` to it).
        match File::open(&dir) {
            Ok(handle) => PrivateDir {
                socket: Path::new(&format!("/proc/self/fd/{}", handle.as_raw_fd())).join(name),
                handle: Some(handle),
                dir,
            },
            Err(_) => PrivateDir {
                dir,
                handle: None,
                socket,
            },
        }
    }

    /// Where the socket is bound before it is moved.
    pub(crate) fn socket(&self) -> &Path {
        &self.socket
    }

    /// Binds the socket in here and gives it `mode`.
    pub(crate) fn bind(&self, mode: u32) -> io::Result<UnixListener> {
        let listener = UnixListener::bind(&self.socket)?;
        fs::set_permissions(&self.socket, Permissions::from_mode(mode))?;
        Ok(listener)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        // The socket is gone once it was moved; after a failure it is not.
        let _ = fs::remove_file(&self.socket);
        let _ = fs::remove_dir(&self.dir);
        self.handle = None;
    }
}

/// The path a socket bound in a detour directory was moved to: the name
/// the kernel reports for it, less the detour. Any other name is as is.
pub(crate) fn undetour(bound: &Path) -> Option<PathBuf> {
    let name = bound.file_name()?;
    let dir = bound.parent()?;
    let hex = dir.file_name()?.to_str()?.strip_prefix(PREFIX)?;
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(dir.parent()?.join(name))
}

/// Renames `from` to `to` unless something is at `to` by then (another
/// listener bound it since the stale check): that is `AddrInUse`, and
/// nothing is replaced.
pub(crate) fn move_into_place(from: &Path, to: &Path) -> io::Result<()> {
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in the path"))
    };
    let (src, dst) = (c(from)?, c(to)?);
    match rename_noreplace(&src, &dst) {
        Ok(()) => return Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => return Err(in_use()),
        // A filesystem without RENAME_NOREPLACE: a hard link is just as
        // unwilling to replace.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {}
        Err(e) => return Err(e),
    }
    // SAFETY: both are NUL-terminated paths that outlive the call.
    if unsafe { libc::link(src.as_ptr(), dst.as_ptr()) } != 0 {
        let e = io::Error::last_os_error();
        return Err(if e.raw_os_error() == Some(libc::EEXIST) {
            in_use()
        } else {
            e
        });
    }
    fs::remove_file(from)
}

#[cfg(target_os = "linux")]
fn rename_noreplace(src: &CString, dst: &CString) -> io::Result<()> {
    // SAFETY: both are NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            src.as_ptr(),
            libc::AT_FDCWD,
            dst.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn rename_noreplace(_: &CString, _: &CString) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}

fn in_use() -> io::Error {
    io::Error::new(
        io::ErrorKind::AddrInUse,
        "another socket was bound at the path meanwhile; not replaced",
    )
}

/// A name part no other bind of this process, or (with the pid and the
/// clock) of another, is using.
fn unique() -> u32 {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let mixed = (u64::from(std::process::id()) << 32 ^ u64::from(nanos))
        .wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    (mixed ^ mixed >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detour_name_maps_back_to_the_path_and_others_stay() {
        let back = |p: &str| undetour(Path::new(p));
        assert_eq!(
            back("/run/.tether-00c0ffee/app.sock"),
            Some("/run/app.sock".into())
        );
        assert_eq!(back("/run/.tether-nothex!!/app.sock"), None);
        assert_eq!(back("/run/.tether-abc/app.sock"), None);
        assert_eq!(back("/run/app.sock"), None);
    }
}
