//! A bench server in a thread of this process, on 127.0.0.1 port 0: what
//! a plain `tether bench` measures against.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;
use tether::{Endpoint, Listener};

use super::accept::serve;
use crate::control::control_options;

/// A server in a thread of this process, on 127.0.0.1 port 0.
#[derive(Debug)]
pub struct Embedded {
    endpoint: Endpoint,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Embedded {
    /// Binds and starts serving.
    pub fn start() -> anyhow::Result<Embedded> {
        let listener = Listener::bind_with("tcp://127.0.0.1:0", &control_options())
            .context("cannot start the embedded bench server")?;
        let endpoint = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || serve(&listener, &flag, true, |_| {}))?;
        Ok(Embedded {
            endpoint,
            stop,
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
