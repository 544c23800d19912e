//! The file of a Unix listening socket: what may be replaced before a
//! bind, and removed after, without stealing another listener's socket.

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use crate::private_dir::{move_into_place, PrivateDir};

/// A Unix socket path, removed when the listener that bound it goes away,
/// but only while it is still the file this listener made.
#[derive(Debug)]
pub(crate) struct SocketFile {
    pub(crate) path: PathBuf,
    /// (device, inode) of the file the bind made.
    made: Option<(u64, u64)>,
}

impl SocketFile {
    /// Binds `path` with permissions `mode`, first removing a socket file
    /// that nobody listens on. The socket is made in a fresh directory of
    /// mode 0700 beside the path, given its mode there, and only then
    /// renamed into place: at no moment does the path exist with a mode
    /// wider than `mode` (a bind then chmod would leave one, and a umask
    /// change would be process-wide).
    pub(crate) fn bind(path: &Path, mode: u32) -> io::Result<(UnixListener, SocketFile)> {
        clear_stale(path)?;
        let private = PrivateDir::beside(path)?;
        let listener = private.bind(mode)?;
        let made = fs::symlink_metadata(private.socket())
            .ok()
            .map(|m| (m.dev(), m.ino()));
        move_into_place(private.socket(), path)?;
        drop(private);
        let file = SocketFile {
            path: path.to_path_buf(),
            made,
        };
        Ok((listener, file))
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let now = fs::symlink_metadata(&self.path)
            .ok()
            .map(|m| (m.dev(), m.ino()));
        // Another listener may have bound the path since: leave its file.
        if now.is_some() && now == self.made {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Removes a socket file only when a connect to it is refused (nobody
/// listens); anything else at the path is an error that names it. A
/// connect that fails otherwise (`EACCES`: another user's socket) is
/// not proof of staleness, so the file stays. Where the kernel can say
/// that a socket listens on the file, no connect is made at all, so a
/// live listener never sees a probe.
fn clear_stale(path: &Path) -> io::Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        other => other?,
    };
    let kind = meta.file_type();
    if !kind.is_socket() {
        let what = if kind.is_symlink() {
            "a symlink"
        } else if kind.is_dir() {
            "a directory"
        } else if kind.is_file() {
            "a regular file"
        } else {
            "a file that is not a socket"
        };
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{what} is at the path; not replaced"),
        ));
    }
    if listened_on(&meta) {
        return Err(live());
    }
    // Nobody in this network namespace listens (or the kernel could not
    // say): the connect decides, and is refused unless a listener of
    // another namespace shares the file.
    match UnixStream::connect(path) {
        Ok(_) => Err(live()),
        Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => fs::remove_file(path),
        Err(e) => Err(e),
    }
}

/// Whether the kernel lists a listener bound to this file.
#[cfg(target_os = "linux")]
fn listened_on(meta: &fs::Metadata) -> bool {
    crate::unix_diag::listening_on(meta.dev(), meta.ino()).unwrap_or(false)
}

#[cfg(not(target_os = "linux"))]
fn listened_on(_: &fs::Metadata) -> bool {
    false
}

fn live() -> io::Error {
    io::Error::new(
        io::ErrorKind::AddrInUse,
        "a listener is live on this socket",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tether-sf-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_stale_socket_is_replaced_and_a_live_one_is_not() {
        let d = dir("stale");
        let path = d.join("s");
        let stale = UnixListener::bind(&path).unwrap();
        drop(stale); // the file stays, nobody listens: refused
        let (_live, _file) = SocketFile::bind(&path, 0o600).unwrap();
        let err = SocketFile::bind(&path, 0o600).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        assert_eq!(
            fs::symlink_metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn files_dirs_and_symlinks_are_named_not_replaced() {
        let d = dir("kinds");
        fs::write(d.join("f"), b"x").unwrap();
        fs::create_dir(d.join("d")).unwrap();
        std::os::unix::fs::symlink(d.join("f"), d.join("l")).unwrap();
        for (name, what) in [
            ("f", "a regular file"),
            ("d", "a directory"),
            ("l", "a symlink"),
        ] {
            let err = SocketFile::bind(&d.join(name), 0o600).unwrap_err();
            assert!(err.to_string().contains(what), "{name}: {err}");
        }
        assert_eq!(fs::read(d.join("f")).unwrap(), b"x");
    }

    #[test]
    fn stop_leaves_a_path_another_listener_bound_since() {
        let d = dir("inode");
        let path = d.join("s");
        let (first, file) = SocketFile::bind(&path, 0o600).unwrap();
        drop(first);
        // Someone else's socket now sits at the path (made while ours
        // still existed, so the inode differs).
        let _other = UnixListener::bind(d.join("other")).unwrap();
        fs::rename(d.join("other"), &path).unwrap();
        drop(file);
        assert!(fs::symlink_metadata(&path).is_ok());
    }
}
