//! MQTT 3.1.1 through `rumqttc`. One task polls the event loop: it hands
//! messages to the subscription, counts acknowledgements (so `close`
//! waits for every QoS 1 message), and after a lost connection waits as
//! [`Backoff`] says before the next poll reconnects.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rumqttc::tokio_rustls::rustls::{ClientConfig, RootCertStore};
use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet, QoS, TlsConfiguration, Transport,
};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::backoff::Backoff;
use crate::broker::Incoming;
use crate::credentials::Credentials;
use crate::echoes::Echoes;
use crate::error::{Error, Result};
use crate::nats::CA_FILE;
use crate::url::BrokerUrl;

/// Messages waiting for the subscriber before the event loop waits.
const SUB_QUEUE: usize = 4096;
/// Own messages remembered, to drop them coming back.
const ECHOES: usize = 65_536;
/// How long `close` waits for the last acknowledgements.
const DRAIN: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Shared {
    published: AtomicU64,
    acked: AtomicU64,
    subacks: AtomicU64,
    disconnects: AtomicU64,
    connected: AtomicBool,
    progress: Notify,
    /// The topic subscribed to, subscribed again after a reconnect (a
    /// clean session, or a broker restarted, has forgotten it).
    topic: Mutex<Option<String>>,
    echoes: Mutex<Option<Echoes>>,
    subscriber: Mutex<Option<mpsc::Sender<Incoming>>>,
}

pub(crate) struct Mqtt {
    client: AsyncClient,
    qos: QoS,
    shared: Arc<Shared>,
}

fn qos(level: u8) -> QoS {
    if level == 0 {
        QoS::AtMostOnce
    } else {
        QoS::AtLeastOnce
    }
}

fn client_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("tether-{}-{nanos:x}", std::process::id())
}

/// The trust for `mqtts://`, as for `nats+tls://`: the PEM file named by
/// `TETHER_BROKER_CA_FILE`, or else the system roots.
fn tls(url: &BrokerUrl) -> Result<TlsConfiguration> {
    let fail = |why: String| Error::Connect {
        broker: url.to_string(),
        why,
    };
    if let Some(path) = std::env::var_os(CA_FILE) {
        let ca = std::fs::read(&path).map_err(|e| {
            fail(format!(
                "cannot read {CA_FILE} {}: {e}",
                std::path::Path::new(&path).display()
            ))
        })?;
        return Ok(TlsConfiguration::Simple {
            ca,
            alpn: None,
            client_auth: None,
        });
    }
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(fail(format!(
            "no system root certificates found ({} errors); set {CA_FILE} to a PEM file",
            found.errors.len()
        )));
    }
    let config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConfiguration::Rustls(Arc::new(config)))
}

impl Mqtt {
    pub(crate) async fn connect(
        url: &BrokerUrl,
        credentials: Option<&Credentials>,
    ) -> Result<Mqtt> {
        let mut options = MqttOptions::new(client_id(), url.host.clone(), url.port);
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_max_packet_size(url.max_packet, url.max_packet)
            .set_request_channel_capacity(1024)
            .set_clean_session(true);
        if let Some(c) = credentials {
            options.set_credentials(c.user.clone(), c.password.clone());
        }
        if url.tls {
            options.set_transport(Transport::Tls(tls(url)?));
        }
        let (client, eventloop) = AsyncClient::new(options, 1024);
        let shared = Arc::new(Shared::default());
        let (ready, connected) = oneshot::channel();
        let qos = qos(url.qos);
        let resubscribe = client.clone();
        tokio::spawn(drive(
            eventloop,
            resubscribe,
            Arc::clone(&shared),
            qos,
            ready,
        ));
        let fail = |why: String| Error::Connect {
            broker: url.to_string(),
            why,
        };
        match tokio::time::timeout(Duration::from_secs(10), connected).await {
            Ok(Ok(Ok(()))) => Ok(Mqtt {
                client,
                qos,
                shared,
            }),
            Ok(Ok(Err(why))) => Err(fail(why)),
            Ok(Err(_)) => Err(fail("the client stopped".into())),
            Err(_) => Err(fail("no answer within 10 s".into())),
        }
    }

    pub(crate) fn max_payload(&self, url: &BrokerUrl) -> usize {
        // Fixed header (1 + up to 4), topic length (2) and topic, packet id.
        let id = if url.qos > 0 { 2 } else { 0 };
        url.max_packet
            .saturating_sub(1 + 4 + 2 + url.subject.len() + id)
    }

    pub(crate) async fn publish(
        &self,
        url: &BrokerUrl,
        payload: Bytes,
    ) -> std::result::Result<(), String> {
        if let Ok(mut echoes) = self.shared.echoes.lock() {
            if let Some(e) = echoes.as_mut() {
                e.published(&url.subject, &payload);
            }
        }
        self.shared.published.fetch_add(1, Ordering::Relaxed);
        self.client
            .publish_bytes(url.subject.clone(), self.qos, false, payload)
            .await
            .map_err(|e| e.to_string())
    }

    pub(crate) async fn subscribe(
        &self,
        url: &BrokerUrl,
    ) -> std::result::Result<mpsc::Receiver<Incoming>, String> {
        let (tx, rx) = mpsc::channel(SUB_QUEUE);
        if let Ok(mut s) = self.shared.subscriber.lock() {
            *s = Some(tx);
        }
        if let Ok(mut e) = self.shared.echoes.lock() {
            *e = Some(Echoes::new(ECHOES));
        }
        if let Ok(mut t) = self.shared.topic.lock() {
            *t = Some(url.subject.clone());
        }
        let before = self.shared.subacks.load(Ordering::Acquire);
        self.client
            .subscribe(url.subject.clone(), self.qos)
            .await
            .map_err(|e| e.to_string())?;
        // Say "listening" only once the broker has taken the SUBSCRIBE.
        let acked = async {
            while self.shared.subacks.load(Ordering::Acquire) == before {
                self.shared.progress.notified().await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), acked)
            .await
            .map_err(|_| {
                "the broker did not acknowledge the subscription within 10 s".to_owned()
            })?;
        Ok(rx)
    }

    pub(crate) async fn close(&self) -> std::result::Result<(), String> {
        let published = self.shared.published.load(Ordering::Acquire);
        let drained = async {
            while self.shared.acked.load(Ordering::Acquire) < published {
                self.shared.progress.notified().await;
            }
        };
        let result = tokio::time::timeout(DRAIN, drained).await;
        let _ = self.client.disconnect().await;
        let acked = self.shared.acked.load(Ordering::Acquire);
        result.map_err(|_| {
            format!(
                "{} of {published} messages not acknowledged within 10 s",
                published - acked.min(published)
            )
        })
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::Acquire)
    }

    /// Connections lost so far: the event loop counts a loss before it
    /// reconnects, and acknowledgements of the new connection come after.
    pub(crate) fn epoch(&self) -> u64 {
        self.shared.disconnects.load(Ordering::Acquire)
    }

    pub(crate) async fn confirm(&self, epoch: u64, wait: Duration) -> bool {
        let published = self.shared.published.load(Ordering::Acquire);
        let taken = async {
            loop {
                let notified = self.shared.progress.notified();
                if self.epoch() != epoch {
                    return false;
                }
                if self.shared.acked.load(Ordering::Acquire) >= published {
                    return true;
                }
                notified.await;
            }
        };
        tokio::time::timeout(wait, taken).await.unwrap_or(false)
    }

    pub(crate) fn disconnects(&self) -> u64 {
        self.shared.disconnects.load(Ordering::Relaxed)
    }
}

async fn drive(
    mut eventloop: EventLoop,
    client: AsyncClient,
    shared: Arc<Shared>,
    qos: QoS,
    ready: oneshot::Sender<std::result::Result<(), String>>,
) {
    let mut ready = Some(ready);
    let mut backoff = Backoff::default();
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                backoff.succeeded();
                shared.connected.store(true, Ordering::Release);
                match ready.take() {
                    Some(r) => {
                        let _ = r.send(Ok(()));
                    }
                    None if !ack.session_present => resubscribe(&client, &shared, qos),
                    None => {}
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => deliver(&shared, p.topic, p.payload).await,
            Ok(Event::Incoming(Packet::PubAck(_))) => progress(&shared.acked, &shared),
            Ok(Event::Incoming(Packet::SubAck(_))) => progress(&shared.subacks, &shared),
            Ok(Event::Outgoing(Outgoing::Publish(_))) if qos == QoS::AtMostOnce => {
                progress(&shared.acked, &shared)
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => break,
            Ok(_) => {}
            Err(e) => {
                if let Some(r) = ready.take() {
                    let _ = r.send(Err(e.to_string()));
                    break;
                }
                if matches!(e, rumqttc::ConnectionError::RequestsDone) {
                    break;
                }
                // A lost connection, not a failed attempt to reconnect.
                if shared.connected.swap(false, Ordering::AcqRel) {
                    shared.disconnects.fetch_add(1, Ordering::AcqRel);
                }
                shared.progress.notify_waiters();
                let at = backoff.failed(Instant::now());
                tokio::time::sleep_until(at.into()).await;
            }
        }
    }
    // Wake anyone waiting: nothing more will come.
    if let Ok(mut s) = shared.subscriber.lock() {
        s.take();
    }
    shared.progress.notify_waiters();
}

/// Subscribes again to the topic, from another task: the request goes
/// through the channel this event loop drains.
fn resubscribe(client: &AsyncClient, shared: &Shared, qos: QoS) {
    let topic = shared.topic.lock().ok().and_then(|t| t.clone());
    if let Some(topic) = topic {
        let client = client.clone();
        tokio::spawn(async move { client.subscribe(topic, qos).await });
    }
}

fn progress(counter: &AtomicU64, shared: &Shared) {
    counter.fetch_add(1, Ordering::Release);
    shared.progress.notify_waiters();
}

async fn deliver(shared: &Shared, topic: String, payload: Bytes) {
    let own = match shared.echoes.lock() {
        Ok(mut e) => e.as_mut().is_some_and(|e| e.is_own(&topic, &payload)),
        Err(_) => false,
    };
    if own {
        return;
    }
    let tx = shared.subscriber.lock().ok().and_then(|s| s.clone());
    if let Some(tx) = tx {
        let _ = tx
            .send(Incoming {
                subject: topic,
                payload,
            })
            .await;
    }
}
