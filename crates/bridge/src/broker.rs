//! One connection to a broker, whichever protocol: publish to the URL's
//! subject or topic, subscribe to it (wildcards allowed), and refuse a
//! message the broker would not take, naming both numbers.

use bytes::Bytes;

use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::url::{BrokerUrl, Scheme};

/// A connected broker client.
pub struct Broker {
    url: BrokerUrl,
    inner: Inner,
}

enum Inner {
    #[cfg(feature = "nats")]
    Nats(crate::nats::Nats),
    #[cfg(feature = "mqtt")]
    Mqtt(crate::mqtt::Mqtt),
}

/// A message from the broker.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The subject or topic it was published on.
    pub subject: String,
    /// The payload, unchanged.
    pub payload: Bytes,
}

/// The messages of one subscription, in the order the broker sent them.
pub struct Subscription {
    pub(crate) inner: SubInner,
}

pub(crate) enum SubInner {
    #[cfg(feature = "nats")]
    Nats(crate::nats::NatsSub),
    #[cfg(feature = "mqtt")]
    Mqtt(tokio::sync::mpsc::Receiver<Incoming>),
}

impl Subscription {
    /// The next message, or `None` once the client has closed.
    pub async fn next(&mut self) -> Option<Incoming> {
        match &mut self.inner {
            #[cfg(feature = "nats")]
            SubInner::Nats(sub) => sub.next().await,
            #[cfg(feature = "mqtt")]
            SubInner::Mqtt(rx) => rx.recv().await,
        }
    }
}

impl Broker {
    /// Connects to `url`'s broker. `origin`, when given, marks every
    /// message published (a NATS header) and drops messages so marked
    /// coming back, so a bridge never loops.
    pub async fn connect(
        url: &BrokerUrl,
        credentials: Option<&Credentials>,
        origin: Option<&str>,
    ) -> Result<Broker> {
        let inner = match url.scheme {
            #[cfg(feature = "nats")]
            Scheme::Nats => {
                Inner::Nats(crate::nats::Nats::connect(url, credentials, origin).await?)
            }
            #[cfg(feature = "mqtt")]
            Scheme::Mqtt => Inner::Mqtt(crate::mqtt::Mqtt::connect(url, credentials).await?),
            #[allow(unreachable_patterns)]
            other => return Err(Error::NotBuilt(other.name())),
        };
        let _ = origin;
        Ok(Broker {
            url: url.clone(),
            inner,
        })
    }

    /// The endpoint connected to.
    pub fn url(&self) -> &BrokerUrl {
        &self.url
    }

    /// The largest payload the broker takes on this subject or topic.
    pub fn max_payload(&self) -> usize {
        match &self.inner {
            #[cfg(feature = "nats")]
            Inner::Nats(n) => n.max_payload(),
            #[cfg(feature = "mqtt")]
            Inner::Mqtt(m) => m.max_payload(&self.url),
        }
    }

    /// Refuses a payload over [`Broker::max_payload`].
    pub fn check_size(&self, size: usize) -> Result<()> {
        let limit = self.max_payload();
        if size > limit {
            return Err(Error::TooLarge {
                size,
                limit,
                broker: self.url.to_string(),
            });
        }
        Ok(())
    }

    /// Publishes one message (one broker message, payload unchanged).
    pub async fn publish(&self, payload: Bytes) -> Result<()> {
        if self.url.is_wildcard() {
            return Err(self.fail("cannot publish to a wildcard; name one subject or topic"));
        }
        self.check_size(payload.len())?;
        match &self.inner {
            #[cfg(feature = "nats")]
            Inner::Nats(n) => n.publish(&self.url.subject, payload).await,
            #[cfg(feature = "mqtt")]
            Inner::Mqtt(m) => m.publish(&self.url, payload).await,
        }
        .map_err(|why| self.fail(&why))
    }

    /// Subscribes to the URL's subject or topic (wildcards allowed).
    pub async fn subscribe(&self) -> Result<Subscription> {
        let inner = match &self.inner {
            #[cfg(feature = "nats")]
            Inner::Nats(n) => n.subscribe(&self.url.subject).await.map(SubInner::Nats),
            #[cfg(feature = "mqtt")]
            Inner::Mqtt(m) => m.subscribe(&self.url).await.map(SubInner::Mqtt),
        };
        inner
            .map(|inner| Subscription { inner })
            .map_err(|why| self.fail(&why))
    }

    /// Waits until everything published has reached the broker (NATS: a
    /// flush; MQTT: every QoS 1 message acknowledged), then disconnects.
    pub async fn close(self) -> Result<()> {
        let result = match &self.inner {
            #[cfg(feature = "nats")]
            Inner::Nats(n) => n.close().await,
            #[cfg(feature = "mqtt")]
            Inner::Mqtt(m) => m.close().await,
        };
        result.map_err(|why| self.fail(&why))
    }

    /// Whether the client is connected now (a publish would go out, not
    /// wait in the client for a reconnect).
    pub fn is_connected(&self) -> bool {
        match &self.inner {
            #[cfg(feature = "nats")]
            Inner::Nats(n) => n.is_connected(),
            #[cfg(feature = "mqtt")]
            Inner::Mqtt(m) => m.is_connected(),
        }
    }

    /// Which connection this is: it changes whenever the client connects
    /// again. Take it before publishing and hand it to [`Broker::confirm`].
    pub fn epoch(&self) -> u64 {
        match &self.inner {
            #[cfg(feature = "nats")]
            Inner::Nats(n) => n.epoch(),
            #[cfg(feature = "mqtt")]
            Inner::Mqtt(m) => m.epoch(),
        }
    }

    /// Waits (at most `wait`) until the broker has taken everything
    /// published so far (NATS: a PING answered; MQTT: every QoS 1
    /// message acknowledged, at QoS 0 written) on connection `epoch`.
    /// `false` if the connection changed or the wait ran out: what was
    /// published since may be lost, and should be published again.
    pub async fn confirm(&self, epoch: u64, wait: std::time::Duration) -> bool {
        let taken = match &self.inner {
            #[cfg(feature = "nats")]
            Inner::Nats(n) => n.confirm(wait).await,
            #[cfg(feature = "mqtt")]
            Inner::Mqtt(m) => m.confirm(epoch, wait).await,
        };
        taken && self.epoch() == epoch
    }

    /// How many times the connection was lost so far.
    pub fn disconnects(&self) -> u64 {
        match &self.inner {
            #[cfg(feature = "nats")]
            Inner::Nats(n) => n.disconnects(),
            #[cfg(feature = "mqtt")]
            Inner::Mqtt(m) => m.disconnects(),
        }
    }

    fn fail(&self, why: &str) -> Error {
        Error::Broker {
            broker: self.url.to_string(),
            why: why.to_owned(),
        }
    }
}
