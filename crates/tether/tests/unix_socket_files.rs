//! Unix socket files under other users' eyes: the path never exists with
//! a wider mode than asked, and a second bind's stale check is never seen
//! as a connection by the live listener.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tether::{Listener, Options};

/// The events inotify reported in `dir`, as (name, mask).
fn events(fd: i32) -> Vec<(String, u32)> {
    let mut buf = vec![0u8; 64 * 1024];
    // SAFETY: buf is ours for its length; the fd is non-blocking.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    let n = usize::try_from(n).unwrap_or(0);
    let (mut at, mut out) = (0, Vec::new());
    while at + 16 <= n {
        let word = |i: usize| u32::from_ne_bytes(buf[at + i..at + i + 4].try_into().unwrap());
        let (mask, len) = (word(4), word(12) as usize);
        let name = &buf[at + 16..at + 16 + len];
        let name = name.split(|&b| b == 0).next().unwrap_or(&[]);
        out.push((String::from_utf8_lossy(name).into_owned(), mask));
        at += 16 + len;
    }
    out
}

fn watch(dir: &Path) -> i32 {
    // SAFETY: plain inotify calls; the path is NUL-terminated.
    unsafe {
        let fd = libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC);
        assert!(fd >= 0);
        let path = CString::new(dir.as_os_str().as_bytes()).unwrap();
        let mask = libc::IN_CREATE | libc::IN_ATTRIB | libc::IN_MOVED_TO;
        assert!(libc::inotify_add_watch(fd, path.as_ptr(), mask) >= 0);
        fd
    }
}

/// Issue 11, item 4: a bind then chmod left the socket at its path for a
/// moment with the umask's mode (typically 0755), so another user could
/// connect. Now the path first appears by a rename, with its mode set.
#[test]
fn the_socket_path_never_exists_with_a_wider_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    let fd = watch(dir.path());
    let stop = Arc::new(AtomicBool::new(false));
    // A second check that needs no kernel help: whenever the path is
    // there, its mode is the one asked for.
    let spy = {
        let (path, stop) = (path.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Ok(m) = std::fs::symlink_metadata(&path) {
                    seen.push(m.permissions().mode() & 0o777);
                }
            }
            seen
        })
    };
    for _ in 0..50 {
        let listener = Listener::bind_with(
            format!("unix://{}", path.display()).as_str(),
            &Options::new().socket_mode(0o600),
        )
        .unwrap();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        drop(listener);
    }
    // Those who connect see the path, not the detour it was bound in.
    let listener = Listener::bind(format!("unix://{}", path.display()).as_str()).unwrap();
    let ep = listener.local_addr().unwrap();
    let link = tether::Link::connect(&ep).unwrap();
    assert_eq!(link.peer_addr().unwrap(), ep);
    assert_eq!(listener.accept().unwrap().local_addr().unwrap(), ep);
    drop((link, listener));
    stop.store(true, Ordering::Relaxed);
    let seen = spy.join().unwrap();
    assert!(seen.iter().all(|&m| m == 0o600), "modes seen: {seen:?}");

    let evs = events(fd);
    // SAFETY: the fd is ours.
    unsafe { libc::close(fd) };
    let at_path: Vec<u32> = evs.iter().filter(|(n, _)| n == "s").map(|e| e.1).collect();
    assert_eq!(at_path.len(), 51, "events at the path: {evs:?}");
    assert!(
        at_path.iter().all(|&m| m & libc::IN_MOVED_TO != 0),
        "the path was created or chmod-ed in place: {evs:?}"
    );
    // The detour directories are gone.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_path_near_the_length_limit_still_binds_with_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().as_os_str().len();
    // 107 bytes in all: the longest path a socket may have.
    let name = "x".repeat(107 - base - 1);
    let path = dir.path().join(name);
    let listener = Listener::bind_with(
        format!("unix://{}", path.display()).as_str(),
        &Options::new().socket_mode(0o640),
    )
    .unwrap();
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    let ep = listener.local_addr().unwrap();
    let mut link = tether::Link::connect(&ep).unwrap();
    let mut accepted = listener.accept().unwrap();
    link.send(b"hi").unwrap();
    assert_eq!(&accepted.recv().unwrap()[..], b"hi");
}

/// Issue 11, item 4: the stale check of a second listener used to connect
/// to the live one, which saw (and, as `tether listen`, counted) it.
#[test]
fn a_second_bind_is_refused_without_a_connection_to_the_live_listener() {
    let dir = tempfile::tempdir().unwrap();
    let ep = format!("unix://{}", dir.path().join("s").display());
    let live = Listener::bind(ep.as_str()).unwrap();
    for _ in 0..3 {
        let err = Listener::bind(ep.as_str()).unwrap_err();
        assert!(err.to_string().contains("live"), "{err}");
    }
    assert!(live
        .accept_timeout(Duration::from_millis(200))
        .unwrap()
        .is_none());
    // A stale file (nobody listens) is still replaced.
    drop(std::os::unix::net::UnixListener::bind(dir.path().join("t")).unwrap());
    let stale = format!("unix://{}", dir.path().join("t").display());
    let _again = Listener::bind(stale.as_str()).unwrap();
}
