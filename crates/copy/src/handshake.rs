//! The handshake: HELLO, SPAKE2 over the code, key confirmation both ways.
//!
//! Both sides send HELLO and PAKE at once, read the peer's, derive keys
//! bound to the transcript hash, send CONFIRM, and check the peer's. No
//! file name or byte moves until both CONFIRMs check.

use ring::{hkdf, hmac};
use spake2::{Ed25519Group, Identity, Password, Spake2};

use crate::code::Code;
use crate::error::{Error, ProtocolError};
use crate::seal::{Aead, Opener, Sealer};
use crate::wire::{MAX_RECORD_PLAINTEXT, T_CONFIRM, T_HELLO, T_PAKE};

const MAGIC: &[u8; 4] = b"TCPY";
const VERSION: u8 = 1;
/// Bytes of a HELLO frame.
pub const HELLO_LEN: usize = 9;
/// Bytes of a PAKE frame.
pub const PAKE_LEN: usize = 34;
/// Bytes of a CONFIRM frame.
pub const CONFIRM_LEN: usize = 33;
/// Domain separation for the transcript hash (a BLAKE3 derive-key context).
pub const TRANSCRIPT_CONTEXT: &str = "tether-copy v1 transcript";
const ID_LISTENER: &[u8] = b"tether-copy listener";
const ID_CONNECTOR: &[u8] = b"tether-copy connector";

/// Which end of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The side that bound and printed the code (SPAKE2 side A).
    Listener = 1,
    /// The side that connected and was given the code (SPAKE2 side B).
    Connector = 2,
}

/// Intent bit: this side sends files (connector) or can serve them (listener).
pub const CAN_SEND: u8 = 1;
/// Intent bit: this side receives files (connector) or can take them (listener).
pub const CAN_RECEIVE: u8 = 2;

/// What a side says in its HELLO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello {
    /// Listener or connector.
    pub role: Role,
    /// [`CAN_SEND`] and/or [`CAN_RECEIVE`]; a connector sets exactly one.
    pub intent: u8,
    /// The AEAD this side seals its records with.
    pub aead: Aead,
}

impl Hello {
    /// The HELLO frame.
    pub fn encode(&self) -> Vec<u8> {
        let mut f = vec![T_HELLO];
        f.extend_from_slice(MAGIC);
        f.extend_from_slice(&[VERSION, self.role as u8, self.intent, self.aead as u8]);
        f
    }

    /// Parses a HELLO frame.
    pub fn decode(f: &[u8]) -> Result<Hello, ProtocolError> {
        if f.len() != HELLO_LEN || f[0] != T_HELLO || &f[1..5] != MAGIC {
            return Err(ProtocolError::BadHello("not a HELLO"));
        }
        if f[5] != VERSION {
            return Err(ProtocolError::BadHello("another version"));
        }
        let role = match f[6] {
            1 => Role::Listener,
            2 => Role::Connector,
            _ => return Err(ProtocolError::BadHello("bad role")),
        };
        let intent = f[7];
        let intent_ok = match role {
            Role::Listener => intent != 0 && intent & !(CAN_SEND | CAN_RECEIVE) == 0,
            Role::Connector => intent == CAN_SEND || intent == CAN_RECEIVE,
        };
        if !intent_ok {
            return Err(ProtocolError::BadHello("bad intent"));
        }
        let aead = Aead::from_byte(f[8]).ok_or(ProtocolError::BadHello("unknown AEAD"))?;
        Ok(Hello { role, intent, aead })
    }
}

/// A handshake that has sent HELLO and PAKE and waits for the peer's.
pub struct Handshake {
    hello: Hello,
    hello_frame: Vec<u8>,
    pake_frame: Vec<u8>,
    spake: Spake2<Ed25519Group>,
}

impl std::fmt::Debug for Handshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handshake")
            .field("hello", &self.hello)
            .finish_non_exhaustive()
    }
}

/// Keys derived, CONFIRM sent; waiting for the peer's CONFIRM.
pub struct Confirming {
    peer: Hello,
    mine: Hello,
    transcript: [u8; 32],
    peer_confirm_key: hmac::Key,
    send_key: [u8; 32],
    recv_key: [u8; 32],
}

impl std::fmt::Debug for Confirming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Confirming")
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

/// The outcome of a handshake: the two directions' record keys.
#[derive(Debug)]
pub struct Session {
    /// The peer's HELLO.
    pub peer: Hello,
    /// Seals this side's records.
    pub sealer: Sealer,
    /// Opens the peer's records.
    pub opener: Opener,
    /// The transcript hash both sides agreed on.
    pub transcript: [u8; 32],
    /// The AEAD this side seals with.
    pub aead: Aead,
}

impl Handshake {
    /// Starts a handshake; returns it and the HELLO and PAKE frames to send.
    pub fn start(code: &Code, hello: Hello) -> (Handshake, [Vec<u8>; 2]) {
        let password = Password::new(code.as_str().as_bytes());
        let (a, b) = (Identity::new(ID_LISTENER), Identity::new(ID_CONNECTOR));
        let (spake, msg) = match hello.role {
            Role::Listener => Spake2::<Ed25519Group>::start_a(&password, &a, &b),
            Role::Connector => Spake2::<Ed25519Group>::start_b(&password, &a, &b),
        };
        let mut pake_frame = vec![T_PAKE];
        pake_frame.extend_from_slice(&msg);
        let hello_frame = hello.encode();
        let frames = [hello_frame.clone(), pake_frame.clone()];
        (
            Handshake {
                hello,
                hello_frame,
                pake_frame,
                spake,
            },
            frames,
        )
    }

    /// Takes the peer's HELLO and PAKE; returns the CONFIRM frame to send.
    pub fn receive(
        self,
        peer_hello: &[u8],
        peer_pake: &[u8],
    ) -> Result<(Confirming, Vec<u8>), ProtocolError> {
        let peer = Hello::decode(peer_hello)?;
        if peer.role == self.hello.role {
            return Err(ProtocolError::BadHello("both sides have the same role"));
        }
        if peer_pake.len() != PAKE_LEN || peer_pake[0] != T_PAKE {
            return Err(ProtocolError::BadHello("not a PAKE message"));
        }
        let key = self
            .spake
            .finish(&peer_pake[1..])
            .map_err(|_| ProtocolError::BadHello("bad SPAKE2 message"))?;
        let listener_first = self.hello.role == Role::Listener;
        let (hl, hc, pl, pc) = if listener_first {
            (
                &self.hello_frame[..],
                peer_hello,
                &self.pake_frame[..],
                peer_pake,
            )
        } else {
            (
                peer_hello,
                &self.hello_frame[..],
                peer_pake,
                &self.pake_frame[..],
            )
        };
        let transcript = transcript_hash(&[hl, hc, pl, pc]);
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &transcript).extract(&key);
        let (me, them) = if listener_first {
            ("listener", "connector")
        } else {
            ("connector", "listener")
        };
        let my_confirm = hmac::Key::new(hmac::HMAC_SHA256, &expand(&prk, "confirm", me));
        let peer_confirm_key = hmac::Key::new(hmac::HMAC_SHA256, &expand(&prk, "confirm", them));
        let mut confirm = vec![T_CONFIRM];
        confirm.extend_from_slice(hmac::sign(&my_confirm, &transcript).as_ref());
        let c = Confirming {
            peer,
            mine: self.hello,
            transcript,
            peer_confirm_key,
            send_key: expand(&prk, "data", me),
            recv_key: expand(&prk, "data", them),
        };
        Ok((c, confirm))
    }
}

impl Confirming {
    /// The peer's HELLO (known before confirmation; trust it only after).
    pub fn peer(&self) -> Hello {
        self.peer
    }

    /// Checks the peer's CONFIRM (in constant time); a mismatch is a wrong code.
    pub fn finish(self, peer_confirm: &[u8]) -> Result<Session, Error> {
        if peer_confirm.len() != CONFIRM_LEN || peer_confirm[0] != T_CONFIRM {
            return Err(Error::WrongCode);
        }
        hmac::verify(&self.peer_confirm_key, &self.transcript, &peer_confirm[1..])
            .map_err(|_| Error::WrongCode)?;
        Ok(Session {
            peer: self.peer,
            sealer: Sealer::new(self.mine.aead, &self.send_key),
            opener: Opener::new(self.peer.aead, &self.recv_key, MAX_RECORD_PLAINTEXT),
            transcript: self.transcript,
            aead: self.mine.aead,
        })
    }
}

/// BLAKE3 (derive-key mode, [`TRANSCRIPT_CONTEXT`]) over each frame as a
/// 4-byte big-endian length and its bytes: HELLO(L), HELLO(C), PAKE(L), PAKE(C).
pub fn transcript_hash(frames: &[&[u8]]) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key(TRANSCRIPT_CONTEXT);
    for f in frames {
        h.update(&(f.len() as u32).to_be_bytes());
        h.update(f);
    }
    *h.finalize().as_bytes()
}

struct Len32;

impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

/// HKDF-Expand with info `"tether-copy v1 " purpose " " side`, 32 bytes.
fn expand(prk: &hkdf::Prk, purpose: &str, side: &str) -> [u8; 32] {
    let info = format!("tether-copy v1 {purpose} {side}");
    let info = [info.as_bytes()];
    let mut out = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's limit of 255 * 32, so neither step fails.
    if let Ok(okm) = prk.expand(&info, Len32) {
        let _ = okm.fill(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Msg;

    fn run(code_l: &str, code_c: &str) -> (Result<Session, Error>, Result<Session, Error>) {
        let l = Hello {
            role: Role::Listener,
            intent: CAN_SEND | CAN_RECEIVE,
            aead: Aead::Aes256Gcm,
        };
        let c = Hello {
            role: Role::Connector,
            intent: CAN_SEND,
            aead: Aead::ChaCha20Poly1305,
        };
        let (hl, [hello_l, pake_l]) = Handshake::start(&Code::parse(code_l).unwrap(), l);
        let (hc, [hello_c, pake_c]) = Handshake::start(&Code::parse(code_c).unwrap(), c);
        let (cl, confirm_l) = hl.receive(&hello_c, &pake_c).unwrap();
        let (cc, confirm_c) = hc.receive(&hello_l, &pake_l).unwrap();
        (cl.finish(&confirm_c), cc.finish(&confirm_l))
    }

    #[test]
    fn same_code_gives_working_keys_both_ways() {
        let (l, c) = run(
            "7-orbit-lantern-velvet-quarry",
            "7 Orbit lantern velvet quarry",
        );
        let (mut l, mut c) = (l.unwrap(), c.unwrap());
        assert_eq!(l.transcript, c.transcript);
        let mut f = l.sealer.seal_msg(&Msg::Done).unwrap();
        assert_eq!(c.opener.open_msg(&mut f).unwrap(), Msg::Done);
        let mut f = c.sealer.seal_msg(&Msg::Result).unwrap();
        assert_eq!(l.opener.open_msg(&mut f).unwrap(), Msg::Result);
    }

    #[test]
    fn wrong_code_fails_on_both_sides() {
        let (l, c) = run(
            "7-orbit-lantern-velvet-quarry",
            "8-orbit-lantern-velvet-quarry",
        );
        assert!(matches!(l, Err(Error::WrongCode)));
        assert!(matches!(c, Err(Error::WrongCode)));
    }

    #[test]
    fn hello_is_checked() {
        let h = Hello {
            role: Role::Connector,
            intent: CAN_RECEIVE,
            aead: Aead::Aes256Gcm,
        };
        assert_eq!(Hello::decode(&h.encode()), Ok(h));
        let mut bad = h.encode();
        bad[7] = 3;
        assert!(Hello::decode(&bad).is_err());
        bad = h.encode();
        bad[5] = 2;
        assert_eq!(
            Hello::decode(&bad),
            Err(ProtocolError::BadHello("another version"))
        );
    }
}
