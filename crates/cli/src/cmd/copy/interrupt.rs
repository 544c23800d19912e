//! Ctrl-C: a thread waits for SIGINT or SIGTERM, puts the terminal back,
//! says the state is resumable, and exits 130. Everything on disk is
//! already consistent (part files hold only checked bytes), so no other
//! thread needs to be told.

use std::sync::Mutex;

/// The terminal settings to put back if the prompt is interrupted.
static SAVED: Mutex<Option<(i32, libc::termios)>> = Mutex::new(None);

fn signals() -> libc::sigset_t {
    // SAFETY: sigemptyset and sigaddset only write the set we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        set
    }
}

/// Blocks SIGINT and SIGTERM in this thread (and the threads it starts)
/// and starts the thread that waits for them.
pub fn install() {
    let set = signals();
    // SAFETY: changes this thread's signal mask only.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    std::thread::spawn(move || {
        let mut sig = 0;
        // SAFETY: waits for a signal from a set we own.
        unsafe { libc::sigwait(&set, &mut sig) };
        let saved = SAVED.lock().ok().and_then(|mut s| s.take());
        echo_restore(saved);
        eprintln!("\ntether: interrupted; finished files and .tether-part files are kept: run the same command again (with a new code) to resume");
        std::process::exit(130);
    });
}

/// Turns echo off on `fd`; returns what to put back.
pub fn echo_off(fd: i32) -> Option<(i32, libc::termios)> {
    // SAFETY: tcgetattr fills the struct we own; tcsetattr reads it.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) != 0 {
            return None;
        }
        let old = t;
        t.c_lflag &= !libc::ECHO;
        t.c_lflag |= libc::ECHONL;
        libc::tcsetattr(fd, libc::TCSANOW, &t);
        if let Ok(mut saved) = SAVED.lock() {
            *saved = Some((fd, old));
        }
        Some((fd, old))
    }
}

/// Puts back what [`echo_off`] changed.
pub fn echo_restore(saved: Option<(i32, libc::termios)>) {
    if let Some((fd, t)) = saved {
        // SAFETY: restores settings read from the same fd.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &t) };
    }
    if let Ok(mut s) = SAVED.lock() {
        s.take();
    }
}
