//! The client end of the control exchange (see [`crate::control`]): one
//! session per bench server, one test after another.

use std::net::IpAddr;

use anyhow::{bail, Context};
use tether::{Endpoint, Link};

use crate::control::{
    control_options, parse_json, send_json, Reply, Request, ServerResults, TestSettings, PROTOCOL,
    REPLY_TIMEOUT,
};

/// The client end of the control exchange.
#[derive(Debug)]
pub struct Session {
    link: Link,
    endpoint: Endpoint,
    server_version: String,
    same_host: bool,
    server_cpu: Option<usize>,
}

impl Session {
    /// Connects to a bench server and exchanges hellos.
    pub fn connect(endpoint: &Endpoint) -> anyhow::Result<Session> {
        let mut link = Link::connect_timeout(endpoint.clone(), REPLY_TIMEOUT, &control_options())
            .with_context(|| format!("cannot reach the bench server at {endpoint}"))?;
        send_json(
            &mut link,
            &Request::Hello {
                protocol: PROTOCOL,
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
        )?;
        let server_version = match recv_reply(&mut link)? {
            Reply::Hello { protocol, version } if protocol == PROTOCOL => version,
            Reply::Hello { protocol, .. } => bail!(
                "the bench server at {endpoint} speaks control protocol {protocol}, this client {PROTOCOL}"
            ),
            Reply::Error { message } => bail!("the bench server refused: {message}"),
            other => bail!("unexpected answer to hello: {other:?}"),
        };
        let same_host = match link.peer_addr()? {
            Endpoint::Unix(_) => true,
            Endpoint::Tcp { .. } | Endpoint::Udp { .. } => endpoint
                .socket_addrs()
                .ok()
                .and_then(|a| a.first().map(|a| a.ip()))
                .is_some_and(|ip: IpAddr| ip.is_loopback()),
        };
        Ok(Session {
            link,
            endpoint: endpoint.clone(),
            server_version,
            same_host,
            server_cpu: None,
        })
    }

    /// Asks the server to run the data thread of the next tests on `cpu`.
    pub fn set_server_cpu(&mut self, cpu: Option<usize>) {
        self.server_cpu = cpu;
    }

    /// The server's tether version.
    pub fn server_version(&self) -> &str {
        &self.server_version
    }

    /// The control endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// True when the server is on this machine, so Unix sockets work.
    pub fn same_host(&self) -> bool {
        self.same_host
    }

    /// Runs one test: settings, ready, run, the client's traffic, done,
    /// results. The client's error wins over the server's.
    pub fn test<T>(
        &mut self,
        settings: &TestSettings,
        client: impl FnOnce(&Endpoint) -> anyhow::Result<T>,
    ) -> anyhow::Result<(T, ServerResults)> {
        let endpoint = self.begin(settings)?;
        let outcome = client(&endpoint);
        let results = self.finish();
        Ok((outcome?, results?))
    }

    /// settings, ready, run: the data endpoint, ready for traffic. Pair
    /// with [`Session::finish`].
    pub fn begin(&mut self, settings: &TestSettings) -> anyhow::Result<Endpoint> {
        let settings = TestSettings {
            cpu: self.server_cpu,
            ..*settings
        };
        send_json(&mut self.link, &Request::Settings(settings))?;
        let endpoint = match recv_reply(&mut self.link)? {
            Reply::Ready { endpoint } => endpoint
                .parse::<Endpoint>()
                .with_context(|| format!("the server offered a bad endpoint {endpoint:?}"))?,
            Reply::Error { message } => bail!("the bench server cannot set up the test: {message}"),
            other => bail!("unexpected answer to settings: {other:?}"),
        };
        send_json(&mut self.link, &Request::Run)?;
        Ok(endpoint)
    }

    /// done, results.
    pub fn finish(&mut self) -> anyhow::Result<ServerResults> {
        send_json(&mut self.link, &Request::Done)?;
        match recv_reply(&mut self.link)? {
            Reply::Results(results) => Ok(results),
            Reply::Error { message } => bail!("the bench server failed the test: {message}"),
            other => bail!("unexpected answer to done: {other:?}"),
        }
    }
}

fn recv_reply(link: &mut Link) -> anyhow::Result<Reply> {
    let bytes = link
        .recv_timeout(REPLY_TIMEOUT)
        .context("lost the control link to the bench server")?
        .with_context(|| {
            format!(
                "the bench server did not answer within {} s",
                REPLY_TIMEOUT.as_secs()
            )
        })?;
    parse_json(&bytes)
}
