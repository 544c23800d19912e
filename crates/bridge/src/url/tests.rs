use super::*;

fn url(s: &str) -> BrokerUrl {
    match s.parse() {
        Ok(u) => u,
        Err(e) => panic!("{s}: {e}"),
    }
}

fn err(s: &str) -> String {
    match s.parse::<BrokerUrl>() {
        Ok(u) => panic!("{s} parsed as {u:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_issue_commands_parse() {
    let n = url("nats://127.0.0.1:4222/grid.bits");
    assert_eq!(
        (n.scheme, n.host.as_str(), n.port, n.subject.as_str()),
        (Scheme::Nats, "127.0.0.1", 4222, "grid.bits")
    );
    assert!(!n.is_wildcard());
    assert!(url("nats://127.0.0.1:4222/grid.>").is_wildcard());
    let m = url("mqtt://broker:1883/sensors/#");
    assert_eq!(
        (m.scheme, m.port, m.subject.as_str(), m.qos),
        (Scheme::Mqtt, 1883, "sensors/#", 0)
    );
    assert!(m.is_wildcard());
    assert_eq!(url("mqtt://broker/cmd/device7?qos=1").qos, 1);
    assert_eq!(url("nats://[::1]/a").address(), "[::1]:4222");
    assert_eq!(url("mqtt://h:1/a/b?max_packet=1000").max_packet, 1000);
}

#[test]
fn display_round_trips() {
    for s in ["nats://127.0.0.1:4222/grid.bits", "mqtt://[::1]:1883/a/+/c"] {
        assert_eq!(url(s).to_string(), s);
    }
}

#[test]
fn bad_urls_say_why() {
    assert!(err("nats://u:p@h:1/a").contains("TETHER_BROKER_PASSWORD"));
    assert!(err("nats://h:1").contains("no subject"));
    assert!(err("nats://h:0/a").contains("port"));
    assert!(err("nats://h:1/a..b").contains("empty token"));
    assert!(err("nats://h:1/a.>.b").contains("last token"));
    assert!(err("nats://h:1/a b").contains("spaces"));
    assert!(err("mqtt://h:1/a/#/b").contains("last level"));
    assert!(err("mqtt://h:1/a?qos=2").contains("qos"));
    assert!(err("mqtt://h:1/a?max_packet=1").contains("max_packet"));
    assert!(err("nats://h:1/a?qos=1").contains("unknown option"));
    assert!(err("tcp://h:1/a").contains("use nats://"));
    assert!(err("nats://:1/a").contains("no host"));
    // Found by the broker_url fuzz target: text after ] was ignored, and
    // a port or max_packet with a + sign was taken, and a host with a
    // bracket printed as a URL that did not read back.
    assert!(err("mqtt://[::1]x/t").contains("after ]"));
    assert!(err("mqtt://h:+80/t").contains("port"));
    assert!(err("mqtt://h/t?max_packet=+100").contains("max_packet"));
    assert!(err("nats://a::1]:4222/s").contains("inside the host"));
    assert_eq!(url("mqtt://[::1]/t").port, 1883);
}

#[test]
fn mqtts_is_mqtt_over_tls_on_8883() {
    let m = url("mqtts://broker/cmd/+?qos=1");
    assert_eq!(
        (m.scheme, m.tls, m.port, m.qos, m.subject.as_str()),
        (Scheme::Mqtt, true, 8883, 1, "cmd/+")
    );
    assert!(!url("mqtt://broker/cmd").tls);
    assert_eq!(
        url("mqtts://[::1]:8884/a/b").to_string(),
        "mqtts://[::1]:8884/a/b"
    );
    assert!(is_broker("mqtts://h/t"));
}
