//! The write side of a blocking link: direct writes, batching, and the
//! linger window that coalesces closely-spaced sends.
//!
//! With a linger of zero every send is one write. With a linger, a send on
//! an idle link is still written at once; sends that follow closely are
//! gathered in a buffer and written together by whichever comes first: the
//! next receive, an explicit flush, the buffer filling up, or a flusher
//! thread that wakes when the oldest gathered message has waited a linger.
//! The thread is started only the first time a send is gathered.

use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::{BufMut, BytesMut};
use tether_proto::{Envelope, FrameCodec};

use crate::error::{Error, Result};
use crate::stream::Stream;

/// Gathered bytes past this are written at once: a batch that size already
/// amortises the syscall, and the buffer stays small.
const HIGH_WATER: usize = 256 * 1024;

/// Frames up to this size are copied into one stack buffer and written with
/// a plain `write`; larger ones go out with `writev`, without a copy.
const SMALL_FRAME: usize = 256;

/// Shared by the link and its flusher thread.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) stream: Stream,
    state: Mutex<WriteState>,
    /// Held while bytes go to the socket, so writes never interleave. Taken
    /// while holding `state`, never the other way round; the flusher drops
    /// `state` before writing, so senders can keep gathering meanwhile.
    socket: Mutex<()>,
    wake: Condvar,
    /// Set while gathered bytes wait, so a receive can skip the lock.
    pending: AtomicBool,
    /// A receive happened since the last write: the next send answers a
    /// request, and is written at once.
    received_since_write: AtomicBool,
}

#[derive(Debug)]
struct WriteState {
    buf: BytesMut,
    /// When the oldest gathered message arrived; `None` when nothing waits.
    oldest: Option<Instant>,
    last_write: Option<Instant>,
    /// A write by the flusher failed; reported by the next call.
    error: Option<io::Error>,
    linger: Duration,
    closing: bool,
    /// The flusher thread, started the first time a send is gathered.
    flusher: Option<JoinHandle<()>>,
}

/// The write half of a link. Every method takes `&self` and locks what it
/// touches, so a [`crate::Sender`] on another thread can share it.
#[derive(Debug)]
pub(crate) struct Writer {
    pub(crate) shared: Arc<Shared>,
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
    fn write_gathered_and(
        &self,
        st: &mut WriteState,
        env: &Envelope,
        payload: &[u8],
    ) -> Result<()> {
        let res = {
            let _socket = lock(&self.socket);
            let mut parts = [
                IoSlice::new(&st.buf),
                IoSlice::new(env.prefix()),
                IoSlice::new(payload),
                IoSlice::new(env.suffix()),
            ];
            self.stream.write_all_vectored(&mut parts)
        };
        self.written(st);
        res.map_err(Error::from)
    }

    /// Bookkeeping after the gathered bytes went to the socket.
    fn written(&self, st: &mut WriteState) {
        st.buf.clear();
        st.oldest = None;
        st.last_write = Some(Instant::now());
        self.received_since_write.store(false, Ordering::Relaxed);
        self.pending.store(false, Ordering::Relaxed);
    }

    /// Writes everything gathered. The caller holds `state`.
    fn write_gathered(&self, st: &mut WriteState) -> Result<()> {
        if st.buf.is_empty() {
            return Ok(());
        }
        let res = {
            let _socket = lock(&self.socket);
            self.stream.write_all(&st.buf)
        };
        self.written(st);
        res.map_err(Error::from)
    }
}

impl Writer {
    pub(crate) fn new(stream: Stream, encoder: FrameCodec, linger: Duration) -> Self {
        Self {
            shared: Arc::new(Shared {
                stream,
                state: Mutex::new(WriteState {
                    buf: BytesMut::new(),
                    oldest: None,
                    last_write: None,
                    error: None,
                    linger,
                    closing: false,
                    flusher: None,
                }),
                socket: Mutex::new(()),
                wake: Condvar::new(),
                pending: AtomicBool::new(false),
                received_since_write: AtomicBool::new(true),
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
        lock(&self.shared.state).linger
    }

    pub(crate) fn set_linger(&self, linger: Duration) -> Result<()> {
        let mut st = lock(&self.shared.state);
        st.linger = linger;
        if linger.is_zero() {
            self.shared.write_gathered(&mut st)?;
        }
        Ok(())
    }

    /// Sends one message, at once or within the linger.
    pub(crate) fn send(&self, payload: &[u8]) -> Result<()> {
        let env = self.encoder.envelope(payload)?;
        let shared = &self.shared;
        let mut st = lock(&shared.state);
        if let Some(e) = st.error.take() {
            return Err(e.into());
        }
        let frame_len = env.overhead() + payload.len();
        if !st.buf.is_empty() && (st.linger.is_zero() || st.buf.len() + frame_len >= HIGH_WATER) {
            // Written now, behind what is gathered, without copying a large
            // payload into the buffer first.
            return shared.write_gathered_and(&mut st, &env, payload);
        }
        if !st.buf.is_empty() {
            // Something is gathered already (by an earlier send or by
            // feed): this message goes behind it, never ahead.
            append(&mut st.buf, &env, payload);
            if st.oldest.is_some() {
                // The flusher is armed already; no clock needed.
                return Ok(());
            }
            return arm_flusher(shared, st, Instant::now());
        }
        if st.linger.is_zero() {
            return shared.write_frame(&env, payload).map_err(Error::from);
        }
        let now = Instant::now();
        let idle = shared.received_since_write.load(Ordering::Relaxed)
            || st
                .last_write
                .map_or(true, |t| now.duration_since(t) >= st.linger);
        if idle || frame_len >= HIGH_WATER {
            st.last_write = Some(now);
            shared.received_since_write.store(false, Ordering::Relaxed);
            return shared.write_frame(&env, payload).map_err(Error::from);
        }
        append(&mut st.buf, &env, payload);
        arm_flusher(shared, st, now)
    }

    /// Gathers messages without writing them (until the buffer fills);
    /// [`Writer::flush`] writes what was gathered. Takes the lock once.
    pub(crate) fn feed_all<I, B>(&self, messages: I) -> Result<()>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let shared = &*self.shared;
        let mut st = lock(&shared.state);
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
            append(&mut st.buf, &env, payload);
            if st.buf.len() >= HIGH_WATER {
                shared.write_gathered(&mut st)?;
            }
        }
        if !st.buf.is_empty() {
            shared.pending.store(true, Ordering::Relaxed);
        }
        result
    }

    /// Writes whatever is gathered.
    pub(crate) fn flush(&self) -> Result<()> {
        let mut st = lock(&self.shared.state);
        if let Some(e) = st.error.take() {
            return Err(e.into());
        }
        self.shared.write_gathered(&mut st)
    }

    /// Called before a receive: writes what is gathered (so a request never
    /// waits out the linger) and marks the next send as a reply.
    pub(crate) fn before_receive(&self) -> Result<()> {
        if self.shared.pending.load(Ordering::Relaxed) {
            self.flush()?;
        }
        self.shared
            .received_since_write
            .store(true, Ordering::Relaxed);
        Ok(())
    }
}

/// Makes the flusher write what is gathered one linger after `now`,
/// starting its thread the first time.
fn arm_flusher(
    shared: &Arc<Shared>,
    mut st: MutexGuard<'_, WriteState>,
    now: Instant,
) -> Result<()> {
    st.oldest = Some(now);
    shared.pending.store(true, Ordering::Relaxed);
    if st.flusher.is_some() {
        drop(st);
        shared.wake.notify_one();
        return Ok(());
    }
    // Started with the state locked: the thread's first act is to take the
    // lock, so it sees `oldest` as set here.
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

/// Writes gathered messages once the oldest has waited a linger.
fn run_flusher(shared: &Shared) {
    let mut st = lock(&shared.state);
    loop {
        if st.closing {
            return;
        }
        let Some(oldest) = st.oldest else {
            st = shared.wake.wait(st).unwrap_or_else(|p| p.into_inner());
            continue;
        };
        let due = oldest + st.linger;
        let now = Instant::now();
        if now < due {
            st = shared
                .wake
                .wait_timeout(st, due - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            continue;
        }
        // Take the batch and the socket, then let senders gather the next
        // batch while this one is written.
        let batch = st.buf.split();
        st.oldest = None;
        st.last_write = Some(now);
        shared.received_since_write.store(false, Ordering::Relaxed);
        shared.pending.store(false, Ordering::Relaxed);
        let socket = lock(&shared.socket);
        drop(st);
        let res = shared.stream.write_all(&batch);
        drop(socket);
        drop(batch);
        st = lock(&shared.state);
        if let Err(e) = res {
            st.error = Some(e);
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let flusher = {
            let mut st = lock(&self.shared.state);
            // Best effort: a message the caller sent should not vanish
            // because the link was dropped inside the linger.
            let _ = self.shared.write_gathered(&mut st);
            st.closing = true;
            st.flusher.take()
        };
        self.shared.wake.notify_one();
        if let Some(handle) = flusher {
            let _ = handle.join();
        }
    }
}
