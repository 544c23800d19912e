//! NATS core through `async-nats`: at most once, in order per publisher.
//! `no_echo` keeps a connection's own messages from coming back to it; the
//! `Tether-Origin` header marks a bridge's messages so that another
//! connection of the same bridge drops them too.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::{ConnectOptions, Event, HeaderMap, RequestErrorKind};
use bytes::Bytes;
use futures_util::StreamExt;

use crate::backoff::Backoff;
use crate::broker::Incoming;
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::url::BrokerUrl;

/// The environment variable naming a PEM file of CA certificates to trust
/// for `nats+tls://` (instead of the system roots).
pub const CA_FILE: &str = "TETHER_BROKER_CA_FILE";

/// Where confirmation requests go (nothing should serve it).
const CONFIRM_SUBJECT: &str = "_TETHER.confirm";

/// The header naming the bridge a message came through.
pub const ORIGIN: &str = "Tether-Origin";

pub(crate) struct Nats {
    client: async_nats::Client,
    origin: Option<String>,
    disconnects: Arc<AtomicU64>,
}

pub(crate) struct NatsSub {
    sub: async_nats::Subscriber,
    origin: Option<String>,
}

impl NatsSub {
    pub(crate) async fn next(&mut self) -> Option<Incoming> {
        loop {
            let m = self.sub.next().await?;
            let own = match (&self.origin, &m.headers) {
                (Some(origin), Some(h)) => h.get(ORIGIN).is_some_and(|v| v.as_str() == origin),
                _ => false,
            };
            if !own {
                return Some(Incoming {
                    subject: m.subject.to_string(),
                    payload: m.payload,
                });
            }
        }
    }
}

impl Nats {
    pub(crate) async fn connect(
        url: &BrokerUrl,
        credentials: Option<&Credentials>,
        origin: Option<&str>,
    ) -> Result<Nats> {
        let disconnects = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&disconnects);
        let policy = Backoff::default();
        let mut options = ConnectOptions::new()
            .name("tether")
            .no_echo()
            .connection_timeout(Duration::from_secs(5))
            .client_capacity(8192)
            .subscription_capacity(65_536)
            .max_reconnects(None)
            .reconnect_delay_callback(move |attempts| {
                policy.delay(u32::try_from(attempts).unwrap_or(u32::MAX))
            })
            .event_callback(move |event| {
                let counter = Arc::clone(&counter);
                async move {
                    if matches!(event, Event::Disconnected) {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        if let Some(c) = credentials {
            options = options.user_and_password(c.user.clone(), c.password.clone());
        }
        if url.tls {
            options = options.require_tls(true);
            if let Some(ca) = std::env::var_os(CA_FILE) {
                options = options.add_root_certificates(ca.into());
            }
        }
        let client = options
            .connect(url.address())
            .await
            .map_err(|e| Error::Connect {
                broker: url.to_string(),
                why: e.to_string(),
            })?;
        Ok(Nats {
            client,
            origin: origin.map(str::to_owned),
            disconnects,
        })
    }

    pub(crate) fn max_payload(&self) -> usize {
        self.client.server_info().max_payload
    }

    pub(crate) async fn publish(
        &self,
        subject: &str,
        payload: Bytes,
    ) -> std::result::Result<(), String> {
        let subject = subject.to_owned();
        let sent = match &self.origin {
            Some(origin) => {
                let mut headers = HeaderMap::new();
                headers.insert(ORIGIN, origin.as_str());
                self.client
                    .publish_with_headers(subject, headers, payload)
                    .await
            }
            None => self.client.publish(subject, payload).await,
        };
        sent.map_err(|e| e.to_string())
    }

    pub(crate) async fn subscribe(&self, subject: &str) -> std::result::Result<NatsSub, String> {
        let sub = self
            .client
            .subscribe(subject.to_owned())
            .await
            .map_err(|e| e.to_string())?;
        // The SUB must reach the server before the caller says "listening".
        self.client.flush().await.map_err(|e| e.to_string())?;
        Ok(NatsSub {
            sub,
            origin: self.origin.clone(),
        })
    }

    pub(crate) async fn close(&self) -> std::result::Result<(), String> {
        self.client.flush().await.map_err(|e| e.to_string())
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Connections made so far: the connector counts one before the new
    /// connection carries anything, so a PING answered on a later
    /// connection shows up as a changed epoch.
    pub(crate) fn epoch(&self) -> u64 {
        self.client.statistics().connects.load(Ordering::Acquire)
    }

    /// A round trip on this connection: a request to a subject no one
    /// serves. The server answers "no responders" only after it has handled
    /// every message published before it (a flush only empties the client's
    /// buffer into the socket, and `no_echo` rules out a message to self).
    pub(crate) async fn confirm(&self, wait: Duration) -> bool {
        let probe = self.client.request(CONFIRM_SUBJECT, Bytes::new());
        match tokio::time::timeout(wait, probe).await {
            Ok(Ok(_)) => true,
            Ok(Err(e)) => e.kind() == RequestErrorKind::NoResponders,
            Err(_) => false,
        }
    }

    pub(crate) fn disconnects(&self) -> u64 {
        self.disconnects.load(Ordering::Relaxed)
    }
}
