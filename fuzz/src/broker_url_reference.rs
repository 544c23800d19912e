//! A slow broker-URL reader written for clarity from the grammar in
//! docs/PROTOCOL.md ("Broker endpoints"), to check `tether_bridge::url`
//! against. It says only what it accepts and the fields; no messages.

/// The fields of an accepted URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `nats` or `mqtt`.
    pub scheme: &'static str,
    /// Host, without brackets.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Subject or topic.
    pub subject: String,
    /// MQTT QoS.
    pub qos: u8,
    /// MQTT largest packet.
    pub max_packet: usize,
    /// `nats+tls://`, `tls://` or `mqtts://`.
    pub tls: bool,
}

const MAX_NAME: usize = 65_535;
const MQTT_MAX_PACKET: usize = 268_435_455;

/// Reads `text`, or `None` where the grammar refuses it.
pub fn parse(text: &str) -> Option<Url> {
    let (scheme, default_port, tls, rest) = if let Some(r) = text.strip_prefix("nats://") {
        ("nats", 4222, false, r)
    } else if let Some(r) = text.strip_prefix("nats+tls://") {
        ("nats", 4222, true, r)
    } else if let Some(r) = text.strip_prefix("tls://") {
        ("nats", 4222, true, r)
    } else if let Some(r) = text.strip_prefix("mqtt://") {
        ("mqtt", 1883, false, r)
    } else if let Some(r) = text.strip_prefix("mqtts://") {
        ("mqtt", 8883, true, r)
    } else {
        return None;
    };
    let slash = rest.find('/')?;
    let authority = &rest[..slash];
    let path = &rest[slash + 1..];
    if authority.contains('@') {
        return None;
    }
    let (host, port_text) = host_and_port(authority)?;
    let bad = |c: char| c.is_whitespace() || c.is_control() || c == '[' || c == ']';
    if host.is_empty() || host.chars().any(bad) {
        return None;
    }
    let port = match port_text {
        None => default_port,
        Some(p) => number(p).filter(|&n| (1..=65_535).contains(&n))? as u16,
    };
    let (subject, query) = match path.find('?') {
        Some(q) => (&path[..q], &path[q + 1..]),
        None => (path, ""),
    };
    let mut url = Url {
        scheme,
        host: host.to_owned(),
        port,
        subject: subject.to_owned(),
        qos: 0,
        max_packet: MQTT_MAX_PACKET,
        tls,
    };
    for pair in query.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (key, value) = match pair.find('=') {
            Some(e) => (&pair[..e], &pair[e + 1..]),
            None => (pair, ""),
        };
        match (scheme, key, value) {
            ("mqtt", "qos", "0") => url.qos = 0,
            ("mqtt", "qos", "1") => url.qos = 1,
            ("mqtt", "max_packet", v) => {
                url.max_packet = number(v).filter(|n| (64..=MQTT_MAX_PACKET).contains(n))?;
            }
            _ => return None,
        }
    }
    subject_ok(scheme, subject).then_some(url)
}

/// `[HOST]`, `[HOST]:PORT`, `HOST` or `HOST:PORT` (the last colon).
fn host_and_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(inner) = authority.strip_prefix('[') {
        let close = inner.find(']')?;
        let after = &inner[close + 1..];
        let port = match after {
            "" => None,
            a => Some(a.strip_prefix(':')?),
        };
        return Some((&inner[..close], port));
    }
    match authority.rfind(':') {
        Some(c) => Some((&authority[..c], Some(&authority[c + 1..]))),
        None => Some((authority, None)),
    }
}

/// ASCII digits only, as a number (no sign, no spaces).
fn number(text: &str) -> Option<usize> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn subject_ok(scheme: &str, subject: &str) -> bool {
    if subject.is_empty() || subject.len() > MAX_NAME {
        return false;
    }
    if subject.chars().any(char::is_control) {
        return false;
    }
    let (sep, wild, last_only, parts) = if scheme == "nats" {
        if subject.contains(' ') {
            return false;
        }
        ('.', &["*", ">"][..], ">", true)
    } else {
        ('/', &["+", "#"][..], "#", false)
    };
    let pieces: Vec<&str> = subject.split(sep).collect();
    for (i, piece) in pieces.iter().enumerate() {
        if parts && piece.is_empty() {
            return false;
        }
        let has_wild = wild.iter().any(|w| piece.contains(w));
        if has_wild && !wild.contains(piece) {
            return false;
        }
        if *piece == last_only && i + 1 != pieces.len() {
            return false;
        }
    }
    true
}
