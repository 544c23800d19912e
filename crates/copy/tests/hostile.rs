//! A hostile sender, written here against the sans-IO handshake and
//! records, offers names that try to leave the target: every one is
//! refused and nothing is written outside the target.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::*;
use tether::{Link, Listener};
use tether_copy::driver::{self, Options};
use tether_copy::handshake::{Handshake, Hello, Role, CAN_SEND};
use tether_copy::incoming::Incoming;
use tether_copy::seal::Aead;
use tether_copy::wire::{Entry, EntryKind, ErrorKind, Msg};
use tether_copy::{Code, Error};

fn entry(kind: EntryKind, name: &str) -> Entry {
    let size = if kind == EntryKind::File { 1 } else { 0 };
    Entry {
        kind,
        name: name.into(),
        mode: 0o644,
        mtime_s: 0,
        mtime_ns: 0,
        size,
    }
}

fn bad_manifests() -> Vec<Vec<Entry>> {
    use EntryKind::*;
    vec![
        vec![entry(File, "../x")],
        vec![entry(File, "/etc/x")],
        vec![entry(Dir, "a"), entry(File, "a/../../x")],
        vec![entry(File, "esc\u{1b}]0;pwned\u{7}\u{1b}[2J")],
        vec![entry(File, "nul\0x")],
        vec![entry(File, "a/x")],
        vec![entry(File, "x"), entry(File, "x")],
        vec![entry(File, "x"), entry(File, "x/y")],
    ]
}

#[test]
fn the_state_machine_refuses_every_escaping_name() {
    for m in bad_manifests() {
        let mut inc = Incoming::new("peer", false);
        let r = inc.handle(Msg::Manifest(m.clone()));
        assert!(matches!(r, Err(Error::RefusedName { .. })), "{m:?}: {r:?}");
        if let Err(e) = r {
            assert!(!e.to_string().contains('\u{1b}'), "unsanitised: {e}");
        }
    }
}

/// Runs the hostile sender against a real receiver into `target`; returns
/// the receiver's error and the ERROR kind the hostile side got back.
fn hostile_run(target: &Path, manifest: Vec<Entry>) -> (Error, Option<ErrorKind>) {
    let listener = Listener::bind_with("tcp://127.0.0.1:0", &driver::link_options()).unwrap();
    let at = listener.local_addr().unwrap();
    let code = Code::generate().unwrap();
    let (code_l, target) = (code.clone(), target.to_path_buf());
    let l = std::thread::spawn(move || {
        let link = listener.accept().unwrap();
        run_listener(link, &code_l, vec![target], &Options::default())
    });
    let mut link = Link::connect_with(at, &driver::link_options()).unwrap();
    let hello = Hello {
        role: Role::Connector,
        intent: CAN_SEND,
        aead: Aead::best(),
    };
    let (hs, frames) = Handshake::start(&code, hello);
    link.send_all(&frames).unwrap();
    let (h, p) = (link.recv().unwrap(), link.recv().unwrap());
    let (confirming, confirm) = hs.receive(&h, &p).unwrap();
    link.send(&confirm).unwrap();
    let mut s = confirming.finish(&link.recv().unwrap()).unwrap();
    let count = manifest.len() as u64;
    let total = manifest.iter().map(|e| e.size).sum();
    for m in [Msg::Manifest(manifest), Msg::ManifestEnd { count, total }] {
        link.send(&s.sealer.seal_msg(&m).unwrap()).unwrap();
    }
    // Whatever happens next, try to write a file too.
    let _ = link.send(
        &s.sealer
            .seal_msg(&Msg::FileStart {
                index: 1,
                offset: 0,
            })
            .unwrap(),
    );
    let _ = link.send(&s.sealer.seal_msg(&Msg::Data(b"x".to_vec())).unwrap());
    let back = link
        .recv()
        .ok()
        .and_then(|f| s.opener.open_msg(&mut f.to_vec()).ok());
    let kind = match back {
        Some(Msg::Error(kind, _)) => Some(kind),
        _ => None,
    };
    (
        l.join().unwrap().expect_err("the receiver must refuse"),
        kind,
    )
}

#[test]
fn a_hostile_sender_is_refused_and_writes_nothing_outside() {
    for m in bad_manifests() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("target");
        std::fs::create_dir(&target).unwrap();
        let (e, kind) = hostile_run(&target, m.clone());
        assert!(matches!(e, Error::RefusedName { .. }), "{m:?}: {e:?}");
        assert_eq!(kind, Some(ErrorKind::Refused), "{m:?}");
        assert_eq!(all_names(root.path()), vec!["target".to_owned()], "{m:?}");
    }
}

#[test]
fn a_symlink_in_the_target_does_not_lead_outside() {
    use EntryKind::*;
    let root = tempfile::tempdir().unwrap();
    let (target, outside) = (root.path().join("target"), root.path().join("outside"));
    std::fs::create_dir(&target).unwrap();
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, target.join("evil")).unwrap();
    std::os::unix::fs::symlink(outside.join("file"), target.join("f")).unwrap();
    let (e, kind) = hostile_run(&target, vec![entry(Dir, "evil"), entry(File, "evil/x")]);
    assert!(matches!(e, Error::RefusedName { .. }), "{e:?}");
    assert_eq!(kind, Some(ErrorKind::Refused));
    let (e, _) = hostile_run(&target, vec![entry(File, "f")]);
    assert!(matches!(e, Error::Exists { .. }), "{e:?}");
    assert!(all_names(&outside).is_empty());
}
