//! `Link::sender` (sending from another thread while the link waits in
//! `recv`), `Link::set_interruptible`, and the linger thread keeping its
//! hands off the host program's signals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::Shutdown;
use std::os::unix::thread::JoinHandleExt;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use tether::{Error, Link, Listener, Options};

fn pair() -> (Link, Link) {
    Link::pair(&Options::default()).unwrap()
}

#[test]
fn a_sender_sends_while_the_link_waits_in_recv() {
    let (mut a, mut b) = pair();
    let sender = a.sender();
    let waiting = thread::spawn(move || a.recv());
    thread::sleep(Duration::from_millis(50)); // let it block
    sender.send(b"from the side").unwrap();
    sender.flush().unwrap();
    assert_eq!(
        &b.recv_timeout(Duration::from_secs(10)).unwrap().unwrap()[..],
        b"from the side"
    );
    b.send(b"reply").unwrap();
    assert_eq!(&waiting.join().unwrap().unwrap()[..], b"reply");
}

#[test]
fn senders_share_one_stream_and_never_interleave_frames() {
    let listener = Listener::bind("tcp://127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = Link::connect(&addr).unwrap();
    let mut server = listener.accept().unwrap();
    let threads: Vec<_> = (0u8..4)
        .map(|t| {
            let sender = client.sender();
            thread::spawn(move || {
                // Large and small frames, so some go out with writev while
                // others are gathered.
                for i in 0..300usize {
                    let len = if i % 10 == 0 { 100_000 } else { 10 };
                    sender.send(&vec![t; len]).unwrap();
                }
                sender.flush().unwrap();
            })
        })
        .collect();
    let mut counts = [0usize; 4];
    for _ in 0..4 * 300 {
        let msg = server
            .recv_timeout(Duration::from_secs(10))
            .unwrap()
            .unwrap();
        let t = msg[0];
        assert!(msg.iter().all(|&b| b == t), "a frame mixed two senders");
        counts[t as usize] += 1;
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(counts, [300; 4]);
    drop(client);
    assert!(matches!(server.recv(), Err(Error::Closed)));
}

#[test]
fn the_socket_stays_open_while_a_sender_lives_and_its_drop_writes_what_it_gathered() {
    let (a, mut b) = pair();
    let sender = a.sender();
    drop(a);
    sender.set_linger(Duration::from_secs(60)).unwrap();
    sender.send(b"one").unwrap(); // idle link: written at once
    sender.send(b"two").unwrap(); // gathered, for up to a minute
    drop(sender);
    assert_eq!(&b.recv().unwrap()[..], b"one");
    assert_eq!(&b.recv().unwrap()[..], b"two");
    assert!(matches!(b.recv(), Err(Error::Closed)));
}

#[test]
fn shutting_down_through_a_sender_wakes_a_waiting_recv() {
    let (mut a, _b) = pair();
    let sender = a.sender();
    let (tx, rx) = mpsc::channel();
    let waiting = thread::spawn(move || tx.send(a.recv()).unwrap());
    thread::sleep(Duration::from_millis(50));
    sender.shutdown(Shutdown::Both).unwrap();
    let got = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("recv went on waiting after shutdown");
    assert!(matches!(got, Err(Error::Closed)), "{got:?}");
    waiting.join().unwrap();
}

extern "C" fn ignore_signal(_: libc::c_int) {}

/// Installs a handler for SIGUSR2 without `SA_RESTART`, as the Python
/// runtime installs its own, so a waiting read sees `EINTR`.
fn install_non_restarting_handler() {
    // SAFETY: a plain sigaction with a handler that does nothing.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore_signal as *const () as usize;
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_flags = 0;
        assert_eq!(
            libc::sigaction(libc::SIGUSR2, &action, std::ptr::null_mut()),
            0
        );
    }
}

/// Starts `f` on a thread, signals that thread with SIGUSR2 after it had
/// time to block, and returns what `f` returned and how long after the
/// signal it did.
fn signal_while_waiting<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
    after_signal: impl FnOnce(),
) -> (T, Duration) {
    install_non_restarting_handler();
    let waiting = thread::spawn(f);
    thread::sleep(Duration::from_millis(100));
    let signalled_at = Instant::now();
    // SAFETY: the thread is alive (it waits) and the handler is installed.
    let rc = unsafe { libc::pthread_kill(waiting.as_pthread_t(), libc::SIGUSR2) };
    assert_eq!(rc, 0);
    after_signal();
    let got = waiting.join().unwrap();
    (got, signalled_at.elapsed())
}

#[test]
fn an_interruptible_recv_returns_when_a_signal_comes() {
    let (mut a, b) = pair();
    a.set_interruptible(true);
    let watchdog = b.sender();
    let ((got, a), elapsed) = signal_while_waiting(
        move || {
            let got = a.recv();
            (got, a)
        },
        // Should the signal come before the read starts, a message ends
        // the wait (and the test fails) instead of a hang.
        move || {
            thread::spawn(move || {
                thread::sleep(Duration::from_secs(5));
                let _ = watchdog.send(b"watchdog");
            });
        },
    );
    assert!(matches!(got, Err(Error::Interrupted)), "{got:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    // Nothing was lost: the link still works.
    let mut a = a;
    let mut b = b;
    b.send(b"after").unwrap();
    assert_eq!(&a.recv().unwrap()[..], b"after");
}

#[test]
fn by_default_a_signal_does_not_end_a_recv() {
    let (mut a, b) = pair();
    let sender = b.sender();
    let (got, _) = signal_while_waiting(
        move || a.recv(),
        move || {
            thread::sleep(Duration::from_millis(50));
            sender.send(b"still waiting").unwrap();
        },
    );
    assert_eq!(&got.unwrap()[..], b"still waiting");
    drop(b);
}

/// The blocked-signal mask of each thread of this process named `name`.
fn signal_masks_of_threads_named(name: &str) -> Vec<u64> {
    let mut masks = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = task.unwrap().path();
        let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else {
            continue; // the thread ended meanwhile
        };
        if comm.trim() != name {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(dir.join("status")) else {
            continue;
        };
        let blocked = status
            .lines()
            .find_map(|l| l.strip_prefix("SigBlk:"))
            .unwrap();
        masks.push(u64::from_str_radix(blocked.trim(), 16).unwrap());
    }
    masks
}

#[test]
fn the_linger_thread_blocks_every_signal() {
    let (mut a, mut b) = pair();
    a.set_linger(Duration::from_secs(1)).unwrap();
    for _ in 0..10 {
        a.send(b"x").unwrap(); // the second one starts the linger thread
    }
    // A new thread names itself once it runs: look until it has.
    let deadline = Instant::now() + Duration::from_secs(5);
    let masks = loop {
        let masks = signal_masks_of_threads_named("tether-linger");
        if !masks.is_empty() || Instant::now() > deadline {
            break masks;
        }
        thread::sleep(Duration::from_millis(5));
    };
    assert!(!masks.is_empty(), "no linger thread found");
    let sigint = 1u64 << (libc::SIGINT - 1);
    let sigterm = 1u64 << (libc::SIGTERM - 1);
    for mask in masks {
        assert_eq!(mask & (sigint | sigterm), sigint | sigterm, "{mask:x}");
    }
    a.flush().unwrap();
    for _ in 0..10 {
        b.recv().unwrap();
    }
}
