//! The write side of a blocking link: carries out what the linger policy
//! ([`Coalescer`]) decides, with one gather buffer, one socket lock and a
//! flusher thread, started the first time a send is gathered, that writes
//! the gathered bytes when they are due.

use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::{BufMut, BytesMut};
use tether_proto::{Envelope, FrameCodec};

use crate::coalescer::{Coalescer, SendAction, Tick};
use crate::error::{Error, Result};
use crate::stream::Stream;

/// Frames up to this size are copied into one stack buffer and written with
/// a plain `write`; larger ones go out with `writev`, without a copy.
const SMALL_FRAME: usize = 256;

/// A gather buffer bigger than this is let go once written.
const IDLE_GATHER: usize = 8 * 1024;

/// Shared by the link's senders and the flusher thread.
#[derive(Debug)]
struct Shared {
    stream: Arc<Stream>,
    state: Mutex<WriteState>,
    /// Held while bytes go to the socket, so writes never interleave. Taken
    /// while holding `state`, never the other way round; the flusher drops
    /// `state` before writing, so senders can keep gathering meanwhile.
    socket: Mutex<()>,
    wake: Condvar,
    /// Set while gathered bytes wait, so a receive can skip the lock.
    pending: AtomicBool,
    /// A receive began; handed to the coalescer by the next call that takes
    /// the lock, so a receive itself never takes it.
    received: AtomicBool,
}

#[derive(Debug)]
struct WriteState {
    buf: BytesMut,
    policy: Coalescer,
    /// A write by the flusher failed; reported by the next call.
    error: Option<io::Error>,
    closing: bool,
    /// The flusher thread, started the first time a send is gathered.
    flusher: Option<JoinHandle<()>>,
}

/// The write half of a link. Every method takes `&self` and locks what it
/// touches, so a [`crate::Sender`] on another thread can share it.
#[derive(Debug)]
pub(crate) struct Writer {
    shared: Arc<Shared>,
    encoder: FrameCodec,
}

// A panic while a lock is held cannot leave the state worse than losing the
// link would; carry on with what is there.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn append(buf: &mut BytesMut, env: &Envelope, payload: &[u8]) {
    buf.reserve(env.overhead() + payload.len());
    buf.put_slice(env.prefix());
    buf.put_slice(payload);
    buf.put_slice(env.suffix());
}

impl Shared {
    /// The state, with a receive that began since the last call handed to
    /// the policy, so it sees receives and writes in their order.
    fn state(&self) -> MutexGuard<'_, WriteState> {
        let mut st = lock(&self.state);
        self.note_receive(&mut st);
        st
    }

    fn note_receive(&self, st: &mut WriteState) {
        if self.received.load(Ordering::Relaxed) {
            self.received.store(false, Ordering::Relaxed);
            st.policy.on_receive();
        }
    }

    /// Writes one frame straight to the socket. The caller holds `state`.
    fn write_frame(&self, env: &Envelope, payload: &[u8]) -> io::Result<()> {
        let _socket = lock(&self.socket);
        let total = env.overhead() + payload.len();
        if total <= SMALL_FRAME {
            let mut frame = [0u8; SMALL_FRAME];
            let (prefix, rest) = frame.split_at_mut(env.prefix().len());
            prefix.copy_from_slice(env.prefix());
            rest[..payload.len()].copy_from_slice(payload);
            rest[payload.len()..total - env.prefix().len()].copy_from_slice(env.suffix());
            return self.stream.write_all(&frame[..total]);
        }
        let mut parts = [
            IoSlice::new(env.prefix()),
            IoSlice::new(payload),
            IoSlice::new(env.suffix()),
        ];
        self.stream.write_all_vectored(&mut parts)
    }

    /// Writes everything gathered, then one more frame, in one `writev`.
    /// The caller holds `state`.
    fn write_gathered_and(&self, buf: &mut BytesMut, env: &Envelope, payload: &[u8]) -> Result<()> {
        let res = {
            let _socket = lock(&self.socket);
            let mut parts = [
                IoSlice::new(buf),
                IoSlice::new(env.prefix()),
                IoSlice::new(payload),
                IoSlice::new(env.suffix()),
            ];
            self.stream.write_all_vectored(&mut parts)
        };
        self.emptied(buf);
        res.map_err(Error::from)
    }

    /// Writes everything gathered. The caller holds `state`, and the policy
    /// has counted the write.
    fn write_gathered(&self, buf: &mut BytesMut) -> Result<()> {
        let res = {
            let _socket = lock(&self.socket);
            self.stream.write_all(buf)
        };
        self.emptied(buf);
        res.map_err(Error::from)
    }

    fn emptied(&self, buf: &mut BytesMut) {
        if buf.capacity() > IDLE_GATHER {
            // An idle link keeps little: a burst's buffer is let go.
            *buf = BytesMut::new();
        } else {
            buf.clear();
        }
        self.pending.store(false, Ordering::Relaxed);
    }
}

impl Writer {
    pub(crate) fn new(stream: Arc<Stream>, encoder: FrameCodec, linger: Duration) -> Self {
        Self {
            shared: Arc::new(Shared {
                stream,
                state: Mutex::new(WriteState {
                    buf: BytesMut::new(),
                    policy: Coalescer::new(linger),
                    error: None,
                    closing: false,
                    flusher: None,
                }),
                socket: Mutex::new(()),
                wake: Condvar::new(),
                pending: AtomicBool::new(false),
                received: AtomicBool::new(false),
            }),
            encoder,
        }
    }

    pub(crate) fn stream(&self) -> &Stream {
        &self.shared.stream
    }

    pub(crate) fn framing(&self) -> tether_proto::Framing {
        self.encoder.framing()
    }

    pub(crate) fn linger(&self) -> Duration {
        lock(&self.shared.state).policy.linger()
    }

    pub(crate) fn set_linger(&self, linger: Duration) -> Result<()> {
        let mut st = self.shared.state();
        let WriteState { buf, policy, .. } = &mut *st;
        if policy.set_linger(linger, Instant::now) {
            self.shared.write_gathered(buf)?;
        }
        Ok(())
    }

    /// Sends one message, at once or within the linger.
    pub(crate) fn send(&self, payload: &[u8]) -> Result<()> {
        let env = self.encoder.envelope(payload)?;
        let shared = &self.shared;
        let mut st = shared.state();
        if let Some(e) = st.error.take() {
            return Err(e.into());
        }
        let WriteState { buf, policy, .. } = &mut *st;
        debug_assert_eq!(policy.gathered(), buf.len());
        match policy.on_send(env.overhead() + payload.len(), Instant::now) {
            SendAction::Write => shared.write_frame(&env, payload).map_err(Error::from),
            // Without copying a large payload into the buffer first.
            SendAction::WriteAfterGathered => shared.write_gathered_and(buf, &env, payload),
            SendAction::Gather => {
                append(buf, &env, payload);
                Ok(())
            }
            SendAction::GatherUntil(_) => {
                append(buf, &env, payload);
                arm_flusher(shared, st)
            }
        }
    }

    /// Gathers messages without writing them (until the buffer fills);
    /// [`Writer::flush`] writes what was gathered. Takes the lock once.
    pub(crate) fn feed_all<I, B>(&self, messages: I) -> Result<()>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let shared = &*self.shared;
        let mut st = shared.state();
        let WriteState { buf, policy, .. } = &mut *st;
        let mut result = Ok(());
        for message in messages {
            let payload = message.as_ref();
            let env = match self.encoder.envelope(payload) {
                Ok(env) => env,
                Err(e) => {
                    // The messages before this one stay gathered, in order.
                    result = Err(e.into());
                    break;
                }
            };
            append(buf, &env, payload);
            if policy.on_feed(env.overhead() + payload.len(), Instant::now) {
                shared.write_gathered(buf)?;
            }
        }
        if !buf.is_empty() {
            shared.pending.store(true, Ordering::Relaxed);
        }
        result
    }

    /// Writes whatever is gathered.
    pub(crate) fn flush(&self) -> Result<()> {
        let mut st = self.shared.state();
        if let Some(e) = st.error.take() {
            return Err(e.into());
        }
        let WriteState { buf, policy, .. } = &mut *st;
        if policy.on_flush(Instant::now) {
            self.shared.write_gathered(buf)?;
        }
        Ok(())
    }

    /// Called before a receive: writes what is gathered (so a request never
    /// waits out the linger) and marks the next send as a reply.
    pub(crate) fn before_receive(&self) -> Result<()> {
        if self.shared.pending.load(Ordering::Relaxed) {
            self.flush()?;
        }
        self.shared.received.store(true, Ordering::Relaxed);
        Ok(())
    }
}

/// Has the flusher look at the new deadline, starting its thread the first
/// time.
fn arm_flusher(shared: &Arc<Shared>, mut st: MutexGuard<'_, WriteState>) -> Result<()> {
    shared.pending.store(true, Ordering::Relaxed);
    if st.flusher.is_some() {
        drop(st);
        shared.wake.notify_one();
        return Ok(());
    }
    // Started with the state locked: the thread's first act is to take the
    // lock, so it sees the deadline set here.
    let for_thread = Arc::clone(shared);
    st.flusher = Some(spawn_without_signals(move || run_flusher(&for_thread))?);
    Ok(())
}

/// Starts the flusher thread with every signal blocked, so a signal meant
/// for the host program (Ctrl-C in Python, say) reaches one of its own
/// threads and interrupts what that thread waits for, never this one.
fn spawn_without_signals(run: impl FnOnce() + Send + 'static) -> io::Result<JoinHandle<()>> {
    // SAFETY: sigset_t is plain data; sigfillset and pthread_sigmask only
    // write the sets passed to them. A new thread inherits the mask of the
    // thread that creates it, so the mask is set around the spawn.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let spawned = std::thread::Builder::new()
            .name("tether-linger".into())
            .spawn(run);
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        spawned
    }
}

/// Writes gathered messages when the policy says they are due.
fn run_flusher(shared: &Shared) {
    let mut st = shared.state();
    loop {
        if st.closing {
            return;
        }
        let now = Instant::now();
        match st.policy.on_tick(now) {
            Tick::Idle => {
                st = shared.wake.wait(st).unwrap_or_else(|p| p.into_inner());
            }
            Tick::WaitUntil(due) => {
                st = shared
                    .wake
                    .wait_timeout(st, due - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            Tick::Write => {
                // Take the batch and the socket, then let senders gather
                // the next batch while this one is written.
                let batch = st.buf.split();
                shared.pending.store(false, Ordering::Relaxed);
                let socket = lock(&shared.socket);
                drop(st);
                let res = shared.stream.write_all(&batch);
                drop(socket);
                drop(batch);
                st = shared.state();
                if let Err(e) = res {
                    st.error = Some(e);
                }
                continue;
            }
        }
        // Woken: a receive may have begun meanwhile.
        shared.note_receive(&mut st);
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let flusher = {
            let mut st = lock(&self.shared.state);
            let WriteState { buf, policy, .. } = &mut *st;
            // Best effort: a message the caller sent should not vanish
            // because the link was dropped inside the linger.
            if policy.on_flush(Instant::now) {
                let _ = self.shared.write_gathered(buf);
            }
            st.closing = true;
            st.flusher.take()
        };
        self.shared.wake.notify_one();
        if let Some(handle) = flusher {
            let _ = handle.join();
        }
    }
}
