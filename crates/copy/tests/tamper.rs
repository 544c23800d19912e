//! A proxy between the two sides that flips a bit, drops a record,
//! reorders two records or cuts the stream: the copy fails with an
//! integrity error and the file never takes its name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

use common::*;
use tether::Link;
use tether_copy::driver::{self, Job, Options};
use tether_copy::wire::ErrorKind;
use tether_copy::{Code, Error};

/// Frames of the handshake, which the proxy leaves alone.
const HANDSHAKE: usize = 3;
/// The FILE_END frame: MANIFEST, MANIFEST_END, FILE_START and 23 DATA come before it.
const LAST_FILE_END: usize = HANDSHAKE + 26;

#[derive(Debug, Clone, Copy)]
enum Harm {
    /// Flip bit `bit` of the payload of frame `frame`.
    Flip {
        frame: usize,
        bit: usize,
    },
    Drop {
        frame: usize,
    },
    /// Swap frames `frame` and `frame + 1`.
    Swap {
        frame: usize,
    },
    /// Forward this many bytes, then close.
    Cut {
        bytes: usize,
    },
    /// Forward this many whole frames, then close: a cut between records.
    CutAfter {
        frames: usize,
    },
}

fn read_frame(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut h = [0u8; 4];
    s.read_exact(&mut h).ok()?;
    let mut f = vec![0u8; u32::from_be_bytes(h) as usize];
    s.read_exact(&mut f).ok()?;
    Some(f)
}

fn write_frame(s: &mut TcpStream, f: &[u8]) -> bool {
    s.write_all(&(f.len() as u32).to_be_bytes()).is_ok() && s.write_all(f).is_ok()
}

/// Forwards connector -> listener frame by frame, doing `harm`; the other
/// way byte for byte.
fn proxy(harm: Harm) -> (String, std::thread::JoinHandle<()>, TcpListener) {
    let front = TcpListener::bind("127.0.0.1:0").unwrap();
    let back = TcpListener::bind("127.0.0.1:0").unwrap();
    let front_at = format!("tcp://{}", front.local_addr().unwrap());
    let back_at = back.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let (mut c, _) = front.accept().unwrap();
        let mut l = TcpStream::connect(back_at).unwrap();
        for s in [&c, &l] {
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        }
        let (mut l2, mut c2) = (l.try_clone().unwrap(), c.try_clone().unwrap());
        let back_way = std::thread::spawn(move || {
            let _ = std::io::copy(&mut l2, &mut c2);
            let _ = c2.shutdown(Shutdown::Both);
        });
        let mut held: Option<Vec<u8>> = None;
        let mut sent_bytes = 0usize;
        let mut i = 0;
        while let Some(mut f) = read_frame(&mut c) {
            let keep_going = match harm {
                Harm::Flip { frame, bit } if i == frame => {
                    let bit = bit % (f.len() * 8);
                    f[bit / 8] ^= 1 << (bit % 8);
                    write_frame(&mut l, &f)
                }
                Harm::Drop { frame } if i == frame => true,
                Harm::Swap { frame } if i == frame => {
                    held = Some(f);
                    true
                }
                Harm::Swap { frame } if i == frame + 1 => {
                    write_frame(&mut l, &f) && held.take().is_some_and(|h| write_frame(&mut l, &h))
                }
                Harm::Cut { bytes } => {
                    let mut wire = (f.len() as u32).to_be_bytes().to_vec();
                    wire.extend_from_slice(&f);
                    let room = bytes.saturating_sub(sent_bytes).min(wire.len());
                    sent_bytes += room;
                    l.write_all(&wire[..room]).is_ok() && room == wire.len()
                }
                Harm::CutAfter { frames } if i == frames => false,
                _ => write_frame(&mut l, &f),
            };
            i += 1;
            if !keep_going {
                break;
            }
        }
        let _ = l.shutdown(Shutdown::Both);
        let _ = c.shutdown(Shutdown::Both);
        let _ = back_way.join();
    });
    (front_at, t, back)
}

fn attempt(harm: Harm) {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..1_500_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(src.path().join("f.bin"), &data).unwrap();
    let (front_at, proxy_thread, back) = proxy(harm);
    let opts = Options {
        chunk: 64 * 1024,
        ..Options::default()
    };
    let code = Code::generate().unwrap();
    let (code_l, opts_l, dst_path) = (code.clone(), opts.clone(), dst.path().to_path_buf());
    let l = std::thread::spawn(move || {
        let (s, _) = back.accept().unwrap();
        let link = Link::from_tcp(s, &driver::link_options()).unwrap();
        run_listener(link, &code_l, vec![dst_path], &opts_l)
    });
    let link = Link::connect_with(front_at.as_str(), &driver::link_options()).unwrap();
    let c = run_connector(
        link,
        &code,
        Job::Send(vec![src.path().join("f.bin")]),
        &opts,
    );
    let l = l.join().unwrap();
    proxy_thread.join().unwrap();
    if matches!(harm, Harm::CutAfter { frames } if frames == LAST_FILE_END + 1) {
        // Checked whole before the cut: it keeps its name, and a resume skips it.
        assert_eq!(std::fs::read(dst.path().join("f.bin")).unwrap(), data);
    } else {
        assert!(
            !dst.path().join("f.bin").exists(),
            "{harm:?}: the file took its name"
        );
    }
    let l = l.expect_err("the receiver must fail");
    match harm {
        Harm::Cut { .. } => assert!(
            matches!(l.kind(), ErrorKind::Integrity) || matches!(l, Error::PeerGone { .. }),
            "{harm:?}: {l:?}"
        ),
        Harm::CutAfter { .. } => assert!(matches!(l, Error::Truncated { .. }), "{harm:?}: {l:?}"),
        _ => assert_eq!(l.kind(), ErrorKind::Integrity, "{harm:?}: {l:?}"),
    }
    assert!(c.is_err(), "{harm:?}: the sender must fail too");
}

#[test]
fn a_flipped_bit_anywhere_after_the_handshake_is_an_integrity_error() {
    let mut rng = fastrand::Rng::with_seed(13);
    for _ in 0..8 {
        // Frames 3 to 29: MANIFEST, MANIFEST_END, FILE_START, 23 DATA, FILE_END.
        let frame = rng.usize(HANDSHAKE..HANDSHAKE + 27);
        attempt(Harm::Flip {
            frame,
            bit: rng.usize(..),
        });
    }
}

#[test]
fn a_dropped_record_is_an_integrity_error() {
    for frame in [HANDSHAKE, HANDSHAKE + 2, HANDSHAKE + 5, HANDSHAKE + 26] {
        attempt(Harm::Drop { frame });
    }
}

#[test]
fn two_reordered_records_are_an_integrity_error() {
    for frame in [HANDSHAKE, HANDSHAKE + 3, HANDSHAKE + 10] {
        attempt(Harm::Swap { frame });
    }
}

#[test]
fn a_stream_cut_at_random_points_fails() {
    let mut rng = fastrand::Rng::with_seed(31);
    for _ in 0..8 {
        attempt(Harm::Cut {
            bytes: rng.usize(200..1_500_000),
        });
    }
}

#[test]
fn a_stream_cut_between_records_is_an_integrity_error() {
    // After the manifest, after FILE_START, between two DATA records, and
    // after FILE_END (only DONE missing).
    for frames in [
        HANDSHAKE + 2,
        HANDSHAKE + 3,
        HANDSHAKE + 10,
        LAST_FILE_END + 1,
    ] {
        attempt(Harm::CutAfter { frames });
    }
}
