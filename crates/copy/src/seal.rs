//! Sealed records: AEAD with a counter nonce, type and final flag in the AAD.
//!
//! A sealed frame is `type (1) | flags (1) | ciphertext | tag (16)`. The
//! nonce is 4 zero bytes and the record's 64-bit big-endian counter, which
//! starts at 0 in each direction and is never sent: a dropped, repeated or
//! reordered record fails to open.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};

use crate::error::ProtocolError;

/// Bit 0 of the flags byte: this is the sender's last record.
pub const FLAG_FINAL: u8 = 0x01;
/// Bytes of the AEAD tag.
pub const TAG_LEN: usize = 16;
/// Bytes before the ciphertext (type and flags).
pub const HEADER_LEN: usize = 2;

/// The AEAD a side seals with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aead {
    /// AES-256-GCM (where the CPU has AES instructions).
    Aes256Gcm = 1,
    /// ChaCha20-Poly1305.
    ChaCha20Poly1305 = 2,
}

impl Aead {
    /// The faster of the two on this CPU.
    pub fn best() -> Aead {
        if has_aes_instructions() {
            Aead::Aes256Gcm
        } else {
            Aead::ChaCha20Poly1305
        }
    }

    /// From its byte in HELLO.
    pub fn from_byte(b: u8) -> Option<Aead> {
        match b {
            1 => Some(Aead::Aes256Gcm),
            2 => Some(Aead::ChaCha20Poly1305),
            _ => None,
        }
    }

    /// The name used in docs and `--json`.
    pub fn name(self) -> &'static str {
        match self {
            Aead::Aes256Gcm => "AES-256-GCM",
            Aead::ChaCha20Poly1305 => "ChaCha20-Poly1305",
        }
    }

    fn algorithm(self) -> &'static aead::Algorithm {
        match self {
            Aead::Aes256Gcm => &aead::AES_256_GCM,
            Aead::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn has_aes_instructions() -> bool {
    std::arch::is_x86_feature_detected!("aes") && std::arch::is_x86_feature_detected!("pclmulqdq")
}

#[cfg(target_arch = "aarch64")]
fn has_aes_instructions() -> bool {
    std::arch::is_aarch64_feature_detected!("aes")
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn has_aes_instructions() -> bool {
    false
}

fn nonce(counter: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&counter.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

fn key(aead: Aead, key: &[u8; 32]) -> LessSafeKey {
    // Both algorithms take 32-byte keys, so this cannot fail.
    match UnboundKey::new(aead.algorithm(), key) {
        Ok(k) => LessSafeKey::new(k),
        Err(_) => unreachable!("32-byte key for a 32-byte-key AEAD"),
    }
}

/// Seals one direction's records, counting them.
pub struct Sealer {
    key: LessSafeKey,
    counter: u64,
    finished: bool,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// Sealing past the final record, or past 2^64 records.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("no record may follow the final one")]
pub struct SealClosed;

impl Sealer {
    /// A sealer with counter 0.
    pub fn new(aead: Aead, k: &[u8; 32]) -> Sealer {
        Sealer {
            key: key(aead, k),
            counter: 0,
            finished: false,
        }
    }

    /// Seals in place: `frame` holds `type, flags, plaintext`; the
    /// plaintext becomes ciphertext and the tag is appended.
    pub fn seal_frame(&mut self, frame: &mut Vec<u8>) -> Result<(), SealClosed> {
        if self.finished || self.counter == u64::MAX || frame.len() < HEADER_LEN {
            return Err(SealClosed);
        }
        let aad = [frame[0], frame[1]];
        let tag = self
            .key
            .seal_in_place_separate_tag(
                nonce(self.counter),
                Aad::from(aad),
                &mut frame[HEADER_LEN..],
            )
            .map_err(|_| SealClosed)?;
        frame.extend_from_slice(tag.as_ref());
        self.counter += 1;
        self.finished = aad[1] & FLAG_FINAL != 0;
        Ok(())
    }

    /// A new frame for a record of type `t`: header, then room for `cap` bytes.
    pub fn frame(t: u8, is_final: bool, cap: usize) -> Vec<u8> {
        let mut f = Vec::with_capacity(HEADER_LEN + cap + TAG_LEN);
        f.push(t);
        f.push(if is_final { FLAG_FINAL } else { 0 });
        f
    }

    /// Encodes and seals one message.
    pub fn seal_msg(&mut self, msg: &crate::wire::Msg) -> Result<Vec<u8>, SealClosed> {
        let mut f = Self::frame(msg.record_type(), msg.is_final(), 64);
        msg.encode_body(&mut f);
        self.seal_frame(&mut f)?;
        Ok(f)
    }
}

/// What opening a record can find wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    /// The tag does not check: the record was changed, dropped or reordered.
    #[error("record {counter} does not authenticate")]
    Tampered {
        /// The counter the record should have had.
        counter: u64,
    },
    /// The frame breaks the record layout.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}

/// Opens the other direction's records, counting them.
pub struct Opener {
    key: LessSafeKey,
    counter: u64,
    finished: bool,
    max_plaintext: usize,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// One opened record.
#[derive(Debug, PartialEq, Eq)]
pub struct Opened {
    /// Record type.
    pub t: u8,
    /// Whether it is the peer's final record.
    pub is_final: bool,
    /// The plaintext: `frame[HEADER_LEN..HEADER_LEN + len]` of the buffer given.
    pub len: usize,
}

impl Opener {
    /// An opener with counter 0 that refuses plaintexts over `max_plaintext`.
    pub fn new(aead: Aead, k: &[u8; 32], max_plaintext: usize) -> Opener {
        Opener {
            key: key(aead, k),
            counter: 0,
            finished: false,
            max_plaintext,
        }
    }

    /// Opens in place; the plaintext is then `frame[HEADER_LEN..HEADER_LEN + len]`.
    pub fn open_frame(&mut self, frame: &mut [u8]) -> Result<Opened, OpenError> {
        if self.finished {
            return Err(ProtocolError::AfterFinal.into());
        }
        if frame.len() < HEADER_LEN + TAG_LEN {
            let t = frame.first().copied().unwrap_or(0);
            return Err(ProtocolError::Short {
                t,
                need: HEADER_LEN + TAG_LEN,
                got: frame.len(),
            }
            .into());
        }
        let (t, flags) = (frame[0], frame[1]);
        if flags & !FLAG_FINAL != 0 {
            return Err(ProtocolError::BadField {
                t,
                what: "flags",
                value: flags.into(),
            }
            .into());
        }
        let len = frame.len() - HEADER_LEN - TAG_LEN;
        if len > self.max_plaintext {
            return Err(ProtocolError::BadField {
                t,
                what: "record length",
                value: len as u64,
            }
            .into());
        }
        let counter = self.counter;
        self.key
            .open_in_place(
                nonce(counter),
                Aad::from([t, flags]),
                &mut frame[HEADER_LEN..],
            )
            .map_err(|_| OpenError::Tampered { counter })?;
        self.counter += 1;
        let is_final = flags & FLAG_FINAL != 0;
        self.finished = is_final;
        Ok(Opened { t, is_final, len })
    }

    /// Opens a frame and decodes its message.
    pub fn open_msg(&mut self, frame: &mut [u8]) -> Result<crate::wire::Msg, OpenError> {
        let o = self.open_frame(frame)?;
        let msg = crate::wire::Msg::decode(o.t, &frame[HEADER_LEN..HEADER_LEN + o.len])?;
        if msg.is_final() != o.is_final {
            return Err(ProtocolError::BadField {
                t: o.t,
                what: "final flag",
                value: o.is_final.into(),
            }
            .into());
        }
        Ok(msg)
    }

    /// Whether the peer's final record has been opened.
    pub fn finished(&self) -> bool {
        self.finished
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Msg, T_DATA};

    fn pair(aead: Aead) -> (Sealer, Opener) {
        (
            Sealer::new(aead, &[7; 32]),
            Opener::new(aead, &[7; 32], 1 << 20),
        )
    }

    #[test]
    fn records_open_in_order_and_not_otherwise() {
        for aead in [Aead::Aes256Gcm, Aead::ChaCha20Poly1305] {
            let (mut s, mut o) = pair(aead);
            let a = s.seal_msg(&Msg::Data(vec![1; 10])).unwrap();
            let b = s.seal_msg(&Msg::Data(vec![2; 10])).unwrap();
            // b first: counter 0 expected, b was sealed with 1.
            assert_eq!(
                o.open_msg(&mut b.clone()),
                Err(OpenError::Tampered { counter: 0 })
            );
            let (_, mut o) = pair(aead);
            assert_eq!(o.open_msg(&mut a.clone()).unwrap(), Msg::Data(vec![1; 10]));
            assert_eq!(o.open_msg(&mut b.clone()).unwrap(), Msg::Data(vec![2; 10]));
        }
    }

    #[test]
    fn any_flipped_bit_fails() {
        let (mut s, _) = pair(Aead::best());
        let f = s.seal_msg(&Msg::Data(vec![5; 40])).unwrap();
        for bit in 0..f.len() * 8 {
            let (_, mut o) = pair(Aead::best());
            let mut g = f.clone();
            g[bit / 8] ^= 1 << (bit % 8);
            assert!(o.open_msg(&mut g).is_err(), "bit {bit}");
        }
    }

    #[test]
    fn nothing_after_final() {
        let (mut s, mut o) = pair(Aead::best());
        let done = s.seal_msg(&Msg::Done).unwrap();
        assert_eq!(s.seal_msg(&Msg::Done), Err(SealClosed));
        assert!(o.open_msg(&mut done.clone()).is_ok());
        assert!(o.finished());
        let mut more = Sealer::frame(T_DATA, false, 0);
        more.extend_from_slice(&[0; 16]);
        assert_eq!(o.open_msg(&mut more), Err(ProtocolError::AfterFinal.into()));
    }

    #[test]
    fn a_final_flag_on_a_non_final_type_is_refused() {
        let (mut s, mut o) = pair(Aead::best());
        let mut f = Sealer::frame(T_DATA, true, 1);
        f.push(1);
        s.seal_frame(&mut f).unwrap();
        assert!(matches!(o.open_msg(&mut f), Err(OpenError::Protocol(_))));
    }
}
