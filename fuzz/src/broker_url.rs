//! Target `broker_url`: any text parses as a broker URL or fails cleanly;
//! it parses exactly when the reference reader reads it, to the same
//! fields; an accepted URL printed and parsed again is the same endpoint;
//! a refusal's message is bounded and quotes the text escaped.

use tether_bridge::BrokerUrl;

use crate::broker_url_reference;

/// Input: the URL's text (not UTF-8 is replaced, as a shell would not
/// pass it either).
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = text.parse::<BrokerUrl>();
    let reference = broker_url_reference::parse(&text);
    match (&parsed, &reference) {
        (Ok(url), Some(want)) => {
            assert_eq!(url.scheme.name(), want.scheme, "{text:?}");
            assert_eq!(url.host, want.host, "{text:?}");
            assert_eq!(url.port, want.port, "{text:?}");
            assert_eq!(url.subject, want.subject, "{text:?}");
            assert_eq!(url.qos, want.qos, "{text:?}");
            assert_eq!(url.max_packet, want.max_packet, "{text:?}");
            assert_eq!(url.tls, want.tls, "{text:?}");
            let again: BrokerUrl = url
                .to_string()
                .parse()
                .unwrap_or_else(|e| panic!("{text:?} printed as {url} does not parse: {e}"));
            assert_eq!(
                (again.scheme, again.tls, &again.host, again.port, &again.subject),
                (url.scheme, url.tls, &url.host, url.port, &url.subject),
                "{text:?}"
            );
        }
        (Err(e), None) => {
            let message = e.to_string();
            // The text is quoted at most 200 characters long, escaped.
            assert!(message.chars().count() <= 200 * 10 + 400, "{message}");
            assert!(!message.chars().any(char::is_control), "{message:?}");
        }
        (Ok(url), None) => panic!("{text:?} accepted as {url:?}; the reference refuses it"),
        (Err(e), Some(want)) => panic!("{text:?} refused ({e}); the reference reads {want:?}"),
    }
}
