//! Broker URLs: `nats://HOST[:PORT]/SUBJECT` (`nats+tls://` for TLS) and
//! `mqtt://HOST[:PORT]/TOPIC[?qos=0|1][&max_packet=N]` (`mqtts://` for TLS).
//!
//! A user name or password in the URL is refused: it would show in `ps`
//! and the shell history; see [`crate::credentials`].

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// Longest subject or topic accepted (MQTT's own limit, 65535 bytes).
pub const MAX_NAME: usize = 65_535;
/// MQTT 3.1.1's largest packet (the remaining-length field's maximum).
pub const MQTT_MAX_PACKET: usize = 268_435_455;

/// Which broker protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// NATS core.
    Nats,
    /// MQTT 3.1.1.
    Mqtt,
}

impl Scheme {
    /// `nats` or `mqtt`.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Nats => "nats",
            Scheme::Mqtt => "mqtt",
        }
    }

    fn default_port(self, tls: bool) -> u16 {
        match (self, tls) {
            (Scheme::Nats, _) => 4222,
            (Scheme::Mqtt, false) => 1883,
            // The port IANA gives MQTT over TLS.
            (Scheme::Mqtt, true) => 8883,
        }
    }
}

/// A parsed broker endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    /// The protocol.
    pub scheme: Scheme,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// NATS subject or MQTT topic (filter), without the leading `/`.
    pub subject: String,
    /// MQTT quality of service (0 or 1); 0 for NATS.
    pub qos: u8,
    /// MQTT: the largest packet this client sends or takes.
    pub max_packet: usize,
    /// Over TLS (`nats+tls://`, `tls://` or `mqtts://`): the server's certificate
    /// is checked against the system roots, or the CA file named by
    /// `TETHER_BROKER_CA_FILE`.
    pub tls: bool,
}

/// Whether `text` names a broker endpoint (and not a tether link).
pub fn is_broker(text: &str) -> bool {
    ["nats://", "nats+tls://", "tls://", "mqtt://", "mqtts://"]
        .iter()
        .any(|p| text.starts_with(p))
}

impl BrokerUrl {
    /// `HOST:PORT`, with IPv6 hosts in brackets.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Whether the subject or topic holds a wildcard (so it can only be
    /// listened on, not published to).
    pub fn is_wildcard(&self) -> bool {
        match self.scheme {
            Scheme::Nats => self.subject.split('.').any(|t| t == "*" || t == ">"),
            Scheme::Mqtt => self.subject.contains(['+', '#']),
        }
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}/{}",
            match (self.scheme, self.tls) {
                (Scheme::Nats, true) => "nats+tls",
                (Scheme::Mqtt, true) => "mqtts",
                (scheme, false) => scheme.name(),
            },
            self.address(),
            self.subject
        )
    }
}

impl FromStr for BrokerUrl {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        parse(text).map_err(|why| Error::Url {
            url: text.chars().take(200).collect(),
            why,
        })
    }
}

fn parse(text: &str) -> Result<BrokerUrl, String> {
    let prefixes = [
        ("nats://", Scheme::Nats, false),
        ("nats+tls://", Scheme::Nats, true),
        ("tls://", Scheme::Nats, true),
        ("mqtt://", Scheme::Mqtt, false),
        ("mqtts://", Scheme::Mqtt, true),
    ];
    let Some((scheme, tls, rest)) = prefixes
        .iter()
        .find_map(|&(p, scheme, tls)| Some((scheme, tls, text.strip_prefix(p)?)))
    else {
        return Err(
            "use nats://HOST:PORT/SUBJECT or mqtt://HOST:PORT/TOPIC (nats+tls://, mqtts:// for TLS)"
                .into(),
        );
    };
    let (authority, path) = rest
        .split_once('/')
        .ok_or("no subject: add /SUBJECT (nats) or /TOPIC (mqtt) after the port")?;
    if authority.contains('@') {
        return Err(
            "credentials do not go in the url (they would show in ps); set TETHER_BROKER_USER and TETHER_BROKER_PASSWORD or TETHER_BROKER_PASSWORD_FILE"
                .into(),
        );
    }
    let (host, port) = split_host_port(authority, scheme.default_port(tls))?;
    let (subject, query) = path.split_once('?').unwrap_or((path, ""));
    let mut url = BrokerUrl {
        scheme,
        host,
        port,
        subject: subject.to_owned(),
        qos: 0,
        max_packet: MQTT_MAX_PACKET,
        tls,
    };
    apply_query(&mut url, query)?;
    check_subject(scheme, subject)?;
    Ok(url)
}

fn split_host_port(authority: &str, default: u16) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("unclosed [ in the host")?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or("after ] comes :PORT or nothing")?,
            ),
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    if host.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err("spaces in the host".into());
    }
    // Printed again, a host with a colon goes in brackets: one holding a
    // bracket could not be read back.
    if host.contains(['[', ']']) {
        return Err("[ or ] inside the host".into());
    }
    let port = match port {
        None => default,
        Some(p) => digits(p)
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("port {p:?} is not 1 to 65535"))?,
    };
    Ok((host.to_owned(), port))
}

/// `text` if it is ASCII digits only (`str::parse` also takes a `+`).
fn digits(text: &str) -> Option<&str> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then_some(text)
}

fn apply_query(url: &mut BrokerUrl, query: &str) -> Result<(), String> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match (url.scheme, key) {
            (Scheme::Mqtt, "qos") => {
                url.qos = match value {
                    "0" => 0,
                    "1" => 1,
                    _ => return Err(format!("qos {value:?} is not 0 or 1")),
                }
            }
            (Scheme::Mqtt, "max_packet") => {
                url.max_packet = digits(value)
                    .and_then(|v| v.parse::<usize>().ok())
                    .filter(|&n| (64..=MQTT_MAX_PACKET).contains(&n))
                    .ok_or_else(|| {
                        format!("max_packet {value:?} is not 64 to {MQTT_MAX_PACKET}")
                    })?;
            }
            _ => return Err(format!("unknown option {key:?}")),
        }
    }
    Ok(())
}

fn check_subject(scheme: Scheme, subject: &str) -> Result<(), String> {
    if subject.is_empty() {
        return Err("empty subject".into());
    }
    if subject.len() > MAX_NAME {
        return Err(format!(
            "subject of {} bytes, over {MAX_NAME}",
            subject.len()
        ));
    }
    if subject.contains(|c: char| c.is_control() || (scheme == Scheme::Nats && c == ' ')) {
        return Err("spaces or control characters in the subject".into());
    }
    match scheme {
        Scheme::Nats => check_nats(subject),
        Scheme::Mqtt => check_mqtt(subject),
    }
}

fn check_nats(subject: &str) -> Result<(), String> {
    let tokens: Vec<&str> = subject.split('.').collect();
    for (i, token) in tokens.iter().enumerate() {
        if token.is_empty() {
            return Err("empty token in the subject (two dots, or one at an end)".into());
        }
        if *token == ">" && i + 1 != tokens.len() {
            return Err("'>' may only be the last token".into());
        }
        if token.len() > 1 && token.contains(['*', '>']) {
            return Err(format!("wildcard inside the token {token:?}"));
        }
    }
    Ok(())
}

fn check_mqtt(topic: &str) -> Result<(), String> {
    let levels: Vec<&str> = topic.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        if *level == "#" && i + 1 != levels.len() {
            return Err("'#' may only be the last level".into());
        }
        if level.len() > 1 && level.contains(['+', '#']) {
            return Err(format!("wildcard inside the level {level:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
