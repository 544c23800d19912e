//! The control state machine of one bench client: hello, then tests one
//! after another (settings -> ready -> run -> ... -> done -> results) until
//! the client leaves.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use tether::{Endpoint, Link};

use super::data::DataSocket;
use super::stop::POLL;
use crate::control::{parse_json, send_json, Reply, Request, TestSettings, PROTOCOL};
use crate::sys::pin_thread;

/// One client: tests one after another until it closes.
pub(super) fn handle(
    mut link: Link,
    stop: &Arc<AtomicBool>,
    allow_pinning: bool,
) -> anyhow::Result<()> {
    // The control link has no linger thread to wake: every reply follows a
    // request.
    let local_ip = match link.local_addr()? {
        Endpoint::Tcp { .. } => link
            .local_addr()?
            .socket_addrs()
            .ok()
            .and_then(|a| a.first().map(SocketAddr::ip)),
        _ => None,
    };
    let mut hello_done = false;
    loop {
        let msg = match link.recv_timeout(POLL) {
            Ok(Some(m)) => m,
            Ok(None) if stop.load(Ordering::Relaxed) => return Ok(()),
            Ok(None) => continue,
            Err(e) if e.is_disconnect() => return Ok(()),
            Err(e) => return Err(e).context("control link"),
        };
        let request: Request = match parse_json(&msg) {
            Ok(r) => r,
            Err(e) => {
                send_json(&mut link, &error_reply(&e))?;
                return Err(e);
            }
        };
        match request {
            Request::Hello { protocol, .. } => {
                if protocol != PROTOCOL {
                    send_json(
                        &mut link,
                        &Reply::Error {
                            message: format!(
                                "this server speaks control protocol {PROTOCOL}, not {protocol}"
                            ),
                        },
                    )?;
                    return Ok(());
                }
                hello_done = true;
                send_json(
                    &mut link,
                    &Reply::Hello {
                        protocol: PROTOCOL,
                        version: env!("CARGO_PKG_VERSION").to_owned(),
                    },
                )?;
            }
            Request::Settings(mut settings) if hello_done => {
                if !allow_pinning {
                    settings.cpu = None;
                }
                run_test(&mut link, &settings, local_ip)?
            }
            other => {
                let message = format!("unexpected {other:?} here");
                send_json(&mut link, &Reply::Error { message })?;
            }
        }
    }
}

fn error_reply(e: &anyhow::Error) -> Reply {
    Reply::Error {
        message: format!("{e:#}"),
    }
}

/// Waits for the next control message, or `None` if the client left.
fn next_request(link: &mut Link) -> anyhow::Result<Option<Request>> {
    match link.recv() {
        Ok(m) => match parse_json(&m) {
            Ok(r) => Ok(Some(r)),
            Err(e) => {
                // Told why, then closed: the exchange cannot be trusted.
                send_json(link, &error_reply(&e))?;
                Err(e)
            }
        },
        Err(e) if e.is_disconnect() => Ok(None),
        Err(e) => Err(e).context("control link"),
    }
}

/// settings -> ready -> run -> ... -> done -> results.
fn run_test(link: &mut Link, settings: &TestSettings, ip: Option<IpAddr>) -> anyhow::Result<()> {
    let (socket, endpoint) = match DataSocket::bind(settings, ip) {
        Ok(s) => s,
        Err(e) => return send_json(link, &error_reply(&e)),
    };
    send_json(
        link,
        &Reply::Ready {
            endpoint: endpoint.to_string(),
        },
    )?;
    match next_request(link)? {
        Some(Request::Run) => {}
        Some(other) => {
            let message = format!("expected run, got {other:?}");
            return send_json(link, &Reply::Error { message });
        }
        None => return Ok(()),
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let settings = *settings;
    let worker = std::thread::Builder::new()
        .name("bench-data".into())
        .spawn(move || {
            if let Some(cpu) = settings.cpu {
                pin_thread(cpu);
            }
            socket.serve(&settings, &flag)
        })?;
    // The client's traffic runs now; its `done` (or its leaving) ends it.
    let next = next_request(link);
    stop.store(true, Ordering::Relaxed);
    let outcome = match worker.join() {
        Ok(r) => r,
        Err(_) => Err(anyhow::anyhow!("the data thread panicked")),
    };
    match next? {
        Some(Request::Done) => {}
        Some(other) => {
            let message = format!("expected done, got {other:?}");
            return send_json(link, &Reply::Error { message });
        }
        None => return Ok(()),
    }
    match outcome {
        Ok(results) => send_json(link, &Reply::Results(results)),
        Err(e) => send_json(link, &error_reply(&e)),
    }
}
