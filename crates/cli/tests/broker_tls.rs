//! `nats+tls://` and `mqtts://`: nats-server and mosquitto with a
//! self-signed certificate made here (rcgen, ring), on free loopback ports.
//! With the certificate named by TETHER_BROKER_CA_FILE a message goes
//! through; without it, or with another CA, the connection is refused,
//! naming the broker.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod broker_support;
mod listen_send_support;

use std::path::PathBuf;
use std::process::Command;

use broker_support::Server;
use listen_send_support::{free_port, tether, WAIT};

/// A self-signed certificate for 127.0.0.1 in a directory of its own:
/// (directory, certificate file, key file).
fn self_signed(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("tether-tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let cert = rcgen::generate_simple_self_signed(names).unwrap();
    let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_file, cert.cert.pem()).unwrap();
    std::fs::write(&key_file, cert.key_pair.serialize_pem()).unwrap();
    (dir, cert_file, key_file)
}

/// nats-server requiring TLS, and the CA file that trusts it.
fn nats_tls() -> (Server, PathBuf) {
    let (dir, cert_file, key_file) = self_signed("nats");
    let port = free_port();
    let conf = dir.join("nats.conf");
    let text = format!(
        "listen: 127.0.0.1:{port}\ntls {{\n  cert_file: {:?}\n  key_file: {:?}\n}}\n",
        cert_file.display().to_string(),
        key_file.display().to_string()
    );
    std::fs::write(&conf, text).unwrap();
    let server = broker_support::start("nats-server", &["-c", conf.to_str().unwrap()], port);
    (server, cert_file)
}

fn tether_with_ca(ca: Option<&PathBuf>, args: &[&str]) -> Command {
    let mut cmd = tether();
    cmd.args(args);
    match ca {
        Some(ca) => cmd.env("TETHER_BROKER_CA_FILE", ca),
        None => cmd.env_remove("TETHER_BROKER_CA_FILE"),
    };
    cmd
}

/// mosquitto with a TLS listener only, and the CA file that trusts it.
fn mosquitto_tls() -> (Server, PathBuf) {
    let (dir, cert_file, key_file) = self_signed("mqtt");
    let port = free_port();
    let conf = dir.join("mosquitto.conf");
    let text = format!(
        "listener {port} 127.0.0.1\nallow_anonymous true\ncertfile {}\nkeyfile {}\n",
        cert_file.display(),
        key_file.display()
    );
    std::fs::write(&conf, text).unwrap();
    let server = broker_support::start("mosquitto", &["-c", conf.to_str().unwrap()], port);
    (server, cert_file)
}

/// `tether listen URL -n 1` while `tether send URL sealed` repeats until
/// it has the message; its output.
fn one_message_through(url: &str, ca: &PathBuf) -> String {
    let listener = tether_with_ca(Some(ca), &["listen", url, "-n", "1", "--timeout", "20s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Send until the listener (which subscribes first) has one.
    let deadline = std::time::Instant::now() + WAIT;
    let mut child = listener;
    while child.try_wait().unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing came over TLS"
        );
        let sent = tether_with_ca(Some(ca), &["send", url, "sealed"])
            .output()
            .unwrap();
        assert!(
            sent.status.success(),
            "{}",
            String::from_utf8_lossy(&sent.stderr)
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn nats_over_tls_with_a_self_signed_certificate() {
    let (server, ca) = nats_tls();
    let url = format!("nats+tls://127.0.0.1:{}/secure.bits", server.port);
    assert!(one_message_through(&url, &ca).contains("secure.bits  6 B   sealed"));

    let refused = tether_with_ca(None, &["send", &url, "x"]).output().unwrap();
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.starts_with("tether: "), "{err}");
    assert!(
        err.contains("cannot connect to nats+tls://127.0.0.1:"),
        "{err}"
    );
    assert!(err.contains("invalid peer certificate"), "{err}");
}

#[test]
fn mqtt_over_tls_with_a_self_signed_certificate() {
    let (server, ca) = mosquitto_tls();
    let url = format!("mqtts://127.0.0.1:{}/secure/bits", server.port);
    assert!(one_message_through(&url, &ca).contains("secure/bits  6 B   sealed"));

    // Another CA than the one that signed the server's certificate.
    let (_, other, _) = self_signed("other");
    let refused = tether_with_ca(Some(&other), &["send", &url, "x"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.starts_with("tether: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot connect to mqtts://127.0.0.1:"),
        "{err}"
    );
    assert!(err.contains("invalid peer certificate"), "{err}");
}
