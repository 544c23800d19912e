//! The write side of a blocking link: direct writes, batching, and the
//! linger window that coalesces closely-spaced sends.
//!
//! With a linger of zero every send is one `writev`. With a linger, a send on
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

/// Shared by the link and its flusher thread.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) stream: Stream,
    state: Mutex<WriteState>,
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
    flusher_started: bool,
}

/// The write half of a link.
#[derive(Debug)]
pub(crate) struct Writer {
    pub(crate) shared: Arc<Shared>,
    encoder: FrameCodec,
    flusher: Option<JoinHandle<()>>,
}

fn lock(shared: &Shared) -> MutexGuard<'_, WriteState> {
    // A panic while holding the lock cannot leave the buffer half-appended
    // in a way that matters more than losing the link; carry on.
    shared.state.lock().unwrap_or_else(|p| p.into_inner())
}

fn append(buf: &mut BytesMut, env: &Envelope, payload: &[u8]) {
    buf.reserve(env.overhead() + payload.len());
    buf.put_slice(env.prefix());
    buf.put_slice(payload);
    buf.put_slice(env.suffix());
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
                    flusher_started: false,
                }),
                wake: Condvar::new(),
                pending: AtomicBool::new(false),
                received_since_write: AtomicBool::new(true),
            }),
            encoder,
            flusher: None,
        }
    }

    pub(crate) fn stream(&self) -> &Stream {
        &self.shared.stream
    }

    pub(crate) fn linger(&self) -> Duration {
        lock(&self.shared).linger
    }

    pub(crate) fn set_linger(&mut self, linger: Duration) -> Result<()> {
        let mut st = lock(&self.shared);
        st.linger = linger;
        if linger.is_zero() {
            self.write_gathered(&mut st)?;
        }
        Ok(())
    }

    /// Sends one message, at once or within the linger.
    pub(crate) fn send(&mut self, payload: &[u8]) -> Result<()> {
        let env = self.encoder.envelope(payload)?;
        let shared = Arc::clone(&self.shared);
        let mut st = lock(&shared);
        if let Some(e) = st.error.take() {
            return Err(e.into());
        }
        let now = Instant::now();
        let idle = st.buf.is_empty()
            && (shared.received_since_write.load(Ordering::Relaxed)
                || st
                    .last_write
                    .map_or(true, |t| now.duration_since(t) >= st.linger));
        if st.linger.is_zero() || idle {
            let res = if st.buf.is_empty() {
                let mut parts = [
                    IoSlice::new(env.prefix()),
                    IoSlice::new(payload),
                    IoSlice::new(env.suffix()),
                ];
                shared.stream.write_all_vectored(&mut parts)
            } else {
                append(&mut st.buf, &env, payload);
                let res = shared.stream.write_all(&st.buf);
                st.buf.clear();
                st.oldest = None;
                shared.pending.store(false, Ordering::Relaxed);
                res
            };
            st.last_write = Some(now);
            shared.received_since_write.store(false, Ordering::Relaxed);
            return res.map_err(Error::from);
        }
        append(&mut st.buf, &env, payload);
        if st.buf.len() >= HIGH_WATER {
            return self.write_gathered(&mut st);
        }
        if st.oldest.is_none() {
            st.oldest = Some(now);
            shared.pending.store(true, Ordering::Relaxed);
            if st.flusher_started {
                shared.wake.notify_one();
            } else {
                st.flusher_started = true;
                drop(st);
                self.start_flusher()?;
            }
        }
        Ok(())
    }

    /// Gathers one message without writing it (until the buffer fills);
    /// [`Writer::flush`] writes what was gathered.
    pub(crate) fn feed(&mut self, payload: &[u8]) -> Result<()> {
        let env = self.encoder.envelope(payload)?;
        let shared = Arc::clone(&self.shared);
        let mut st = lock(&shared);
        append(&mut st.buf, &env, payload);
        if st.buf.len() >= HIGH_WATER {
            self.write_gathered(&mut st)?;
        } else {
            shared.pending.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Writes whatever is gathered.
    pub(crate) fn flush(&mut self) -> Result<()> {
        let shared = Arc::clone(&self.shared);
        let mut st = lock(&shared);
        if let Some(e) = st.error.take() {
            return Err(e.into());
        }
        self.write_gathered(&mut st)
    }

    /// Called before a receive: writes what is gathered (so a request never
    /// waits out the linger) and marks the next send as a reply.
    pub(crate) fn before_receive(&mut self) -> Result<()> {
        let shared = Arc::clone(&self.shared);
        if shared.pending.load(Ordering::Relaxed) {
            self.flush()?;
        }
        shared.received_since_write.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn write_gathered(&self, st: &mut WriteState) -> Result<()> {
        if st.buf.is_empty() {
            return Ok(());
        }
        let res = self.shared.stream.write_all(&st.buf);
        st.buf.clear();
        st.oldest = None;
        st.last_write = Some(Instant::now());
        self.shared
            .received_since_write
            .store(false, Ordering::Relaxed);
        self.shared.pending.store(false, Ordering::Relaxed);
        res.map_err(Error::from)
    }

    fn start_flusher(&mut self) -> Result<()> {
        let shared = Arc::clone(&self.shared);
        let handle = std::thread::Builder::new()
            .name("tether-linger".into())
            .spawn(move || flusher(&shared))?;
        self.flusher = Some(handle);
        Ok(())
    }
}

/// Writes gathered messages once the oldest has waited a linger.
fn flusher(shared: &Shared) {
    let mut st = lock(shared);
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
        if let Err(e) = shared.stream.write_all(&st.buf) {
            st.error = Some(e);
        }
        st.buf.clear();
        st.oldest = None;
        st.last_write = Some(now);
        shared.received_since_write.store(false, Ordering::Relaxed);
        shared.pending.store(false, Ordering::Relaxed);
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let shared = Arc::clone(&self.shared);
        {
            let mut st = lock(&shared);
            // Best effort: a message the caller sent should not vanish
            // because the link was dropped inside the linger.
            let _ = self.write_gathered(&mut st);
            st.closing = true;
        }
        shared.wake.notify_one();
        if let Some(handle) = self.flusher.take() {
            let _ = handle.join();
        }
    }
}
