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
        if frame.len() < HEADER_LEN {
            return Err(SealClosed);
        }
        let len = frame.len() - HEADER_LEN;
        frame.resize(frame.len() + TAG_LEN, 0);
        self.seal_record(frame, len).map(drop).inspect_err(|_| {
            frame.truncate(HEADER_LEN + len);
        })
    }

    /// Seals a record in a buffer that is reused: `buf` holds type and
    /// flags, then `len` bytes of plaintext, then room for the tag. The
    /// plaintext becomes ciphertext and the tag follows it, with no copy
    /// and no allocation; returns the frame's length.
    pub fn seal_record(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SealClosed> {
        let end = HEADER_LEN + len;
        if self.finished || self.counter == u64::MAX || buf.len() < end + TAG_LEN {
            return Err(SealClosed);
        }
        let aad = [buf[0], buf[1]];
        let tag = self
            .key
            .seal_in_place_separate_tag(
                nonce(self.counter),
                Aad::from(aad),
                &mut buf[HEADER_LEN..end],
            )
            .map_err(|_| SealClosed)?;
        buf[end..end + TAG_LEN].copy_from_slice(tag.as_ref());
        self.counter += 1;
        self.finished = aad[1] & FLAG_FINAL != 0;
        Ok(end + TAG_LEN)
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

/// A message's own idea of finality must match the record's flag.
fn same_final(o: &Opened, msg: crate::wire::Msg) -> Result<crate::wire::Msg, OpenError> {
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
        if frame.len() < HEADER_LEN {
            let missing = HEADER_LEN - frame.len();
            return self.open_body([frame.first().copied().unwrap_or(0), 0], &mut [], missing);
        }
        let (header, body) = frame.split_at_mut(HEADER_LEN);
        self.open_body([header[0], header[1]], body, 0)
    }

    /// Opens a record given as its header and its body (ciphertext and
    /// tag) in place; the plaintext is then `body[..len]`. `missing` is
    /// how many header bytes the frame lacked (for the error).
    fn open_body(
        &mut self,
        header: [u8; 2],
        body: &mut [u8],
        missing: usize,
    ) -> Result<Opened, OpenError> {
        if self.finished {
            return Err(ProtocolError::AfterFinal.into());
        }
        let (t, flags) = (header[0], header[1]);
        if missing > 0 || body.len() < TAG_LEN {
            return Err(ProtocolError::Short {
                t,
                need: HEADER_LEN + TAG_LEN,
                got: (HEADER_LEN - missing.min(HEADER_LEN)) + body.len(),
            }
            .into());
        }
        if flags & !FLAG_FINAL != 0 {
            return Err(ProtocolError::BadField {
                t,
                what: "flags",
                value: flags.into(),
            }
            .into());
        }
        let len = body.len() - TAG_LEN;
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
            .open_in_place(nonce(counter), Aad::from([t, flags]), body)
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
        same_final(&o, msg)
    }

    /// Opens a record read into a buffer that is reused: `header` is the
    /// frame's first bytes (`short` of them missing when the frame was
    /// shorter than a header) and `body` the rest. A DATA record's
    /// plaintext stays in `body`, with no copy.
    pub fn open_owned(
        &mut self,
        header: [u8; 2],
        short: usize,
        mut body: Vec<u8>,
    ) -> Result<crate::wire::Msg, OpenError> {
        let o = self.open_body(header, &mut body, short)?;
        body.truncate(o.len);
        let msg = crate::wire::Msg::decode_owned(o.t, body)?;
        same_final(&o, msg)
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
    fn a_reused_buffer_seals_and_opens_as_a_fresh_frame_does() {
        let (mut s, _) = pair(Aead::best());
        let (mut s2, mut o) = pair(Aead::best());
        let mut buf = vec![0xaa; HEADER_LEN + 64 + TAG_LEN];
        for round in 0..3u8 {
            let msg = Msg::Data(vec![round; 20 + usize::from(round)]);
            let fresh = s.seal_msg(&msg).unwrap();
            buf[..HEADER_LEN].copy_from_slice(&[T_DATA, 0]);
            let len = 20 + usize::from(round);
            buf[HEADER_LEN..HEADER_LEN + len].fill(round);
            let n = s2.seal_record(&mut buf, len).unwrap();
            assert_eq!(&buf[..n], &fresh[..]);
            let body = buf[HEADER_LEN..n].to_vec();
            assert_eq!(o.open_owned([T_DATA, 0], 0, body).unwrap(), msg);
        }
        assert_eq!(s2.seal_record(&mut buf, 64 + 1), Err(SealClosed));
    }

    #[test]
    fn a_short_frame_is_refused_the_same_way_owned_or_not() {
        for frame in [vec![], vec![T_DATA], vec![T_DATA, 0, 1, 2]] {
            let (_, mut o) = pair(Aead::best());
            let (_, mut o2) = pair(Aead::best());
            let short = HEADER_LEN.saturating_sub(frame.len());
            let mut header = [0; HEADER_LEN];
            let h = frame.len().min(HEADER_LEN);
            header[..h].copy_from_slice(&frame[..h]);
            let want = o.open_msg(&mut frame.clone()).unwrap_err();
            assert!(matches!(
                want,
                OpenError::Protocol(ProtocolError::Short { .. })
            ));
            assert_eq!(o2.open_owned(header, short, frame[h..].to_vec()), Err(want));
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
