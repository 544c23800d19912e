//! Notices that stdout has closed (the reader of a pipe has gone, as after
//! `| head -3`) without waiting for a message to write, so a listener that
//! receives nothing more still ends at once.

use tokio::sync::oneshot;

/// Resolves once stdout reports an error or hang-up; never for a terminal
/// or a file that stays open.
pub fn watch() -> oneshot::Receiver<()> {
    let (gone, rx) = oneshot::channel();
    // A plain thread, not the runtime's: it may block for the whole run and
    // must not hold the runtime's shutdown. It ends with the process.
    let spawned = std::thread::Builder::new()
        .name("stdout-watch".into())
        .spawn(move || {
            if wait_for_hangup(libc::STDOUT_FILENO) {
                let _ = gone.send(());
            }
        });
    // Without the thread, a closed stdout is still noticed at the next write.
    drop(spawned);
    rx
}

/// Blocks until `fd` reports `POLLERR` or `POLLHUP` (true), or cannot be
/// polled (false). No events are asked for: those two are always reported,
/// and a pipe's write end reports `POLLERR` once its reader has gone.
fn wait_for_hangup(fd: libc::c_int) -> bool {
    loop {
        let mut p = libc::pollfd {
            fd,
            events: 0,
            revents: 0,
        };
        // SAFETY: one valid pollfd, and its count.
        let r = unsafe { libc::poll(&mut p, 1, -1) };
        if r < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        if p.revents & libc::POLLNVAL != 0 {
            return false;
        }
        if p.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
            return true;
        }
    }
}
