//! Target `copy_record` (written with crates/copy): the copy protocol's
//! record decoder and the receiver's state machine, fed arbitrary bytes: no panic; a body that decodes encodes back to the
//! same bytes; sealed and opened, a frame comes back as it was; any
//! sequence of decoded messages leaves the receiver in an error or a
//! consistent state, never a panic.

use tether_copy::incoming::Incoming;
use tether_copy::seal::{Aead, Opener, Sealer};
use tether_copy::wire::{Msg, T_ERROR};

/// The check, on one input.
pub fn check(data: &[u8]) {
    let mut inc = Incoming::new("fuzz", false);
    let mut accepted = false;
    // Records: type byte, 2-byte length, body.
    let mut rest = data;
    while rest.len() >= 3 {
        let t = rest[0];
        let n = usize::from(u16::from_be_bytes([rest[1], rest[2]])).min(rest.len() - 3);
        let body = &rest[3..3 + n];
        rest = &rest[3 + n..];
        let Ok(msg) = Msg::decode(t, body) else {
            continue;
        };
        if t != T_ERROR {
            let mut again = Vec::new();
            msg.encode_body(&mut again);
            assert_eq!(again, body);
        }
        let mut sealer = Sealer::new(Aead::ChaCha20Poly1305, &[9; 32]);
        let mut opener = Opener::new(Aead::ChaCha20Poly1305, &[9; 32], 1 << 20);
        if let Ok(mut frame) = sealer.seal_msg(&msg) {
            assert_eq!(opener.open_msg(&mut frame).ok().as_ref(), Some(&msg));
        }
        match inc.handle(msg) {
            Ok(tether_copy::incoming::Event::ManifestReady) if !accepted => {
                accepted = true;
                let _ = inc.accept(Vec::new());
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}
