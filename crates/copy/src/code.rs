//! The short code: a number and four words, about 42 bits, good for one try.

use ring::rand::{SecureRandom, SystemRandom};

/// The bundled word list: 256 words, one a line, so each word is 8 bits.
const WORDS_TXT: &str = include_str!("words.txt");
/// Words in a code.
pub const WORDS: usize = 4;
/// The number is in 2..=NUMBER_MAX (log2(998) + 4 * 8 = 41.96 bits).
pub const NUMBER_MAX: u16 = 999;

fn words() -> impl Iterator<Item = &'static str> {
    WORDS_TXT.lines()
}

/// A code, normalised: `N-word-word-word-word`, lower case.
///
/// Its `Debug` form hides it, so it never lands in a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Code(String);

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Code(***)")
    }
}

/// A string that is not a code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a code: expected a number and {WORDS} words from the list, like 7-orbit-lantern-velvet-quarry")]
pub struct BadCode;

impl Code {
    /// A fresh random code from the system's CSPRNG (which fails only on
    /// a broken system).
    pub fn generate() -> std::io::Result<Code> {
        let rng = SystemRandom::new();
        let list: Vec<&str> = words().collect();
        let mut bytes = [0u8; 2 + WORDS];
        let number = loop {
            rng.fill(&mut bytes)
                .map_err(|_| std::io::Error::other("the system random number generator failed"))?;
            // Rejection sampling keeps the number uniform.
            let n = u16::from_be_bytes([bytes[0], bytes[1]]) & 0x3ff;
            if (2..=NUMBER_MAX).contains(&n) {
                break n;
            }
        };
        let mut s = number.to_string();
        for b in &bytes[2..] {
            s.push('-');
            s.push_str(list[usize::from(*b)]);
        }
        Ok(Code(s))
    }

    /// Parses a code as a person typed it: spaces or dashes between the
    /// parts, any case, surrounding blanks ignored.
    pub fn parse(text: &str) -> Result<Code, BadCode> {
        let lower = text.trim().to_lowercase();
        let parts: Vec<&str> = lower
            .split(|c: char| c == '-' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .collect();
        if parts.len() != WORDS + 1 {
            return Err(BadCode);
        }
        let number: u16 = parts[0].parse().map_err(|_| BadCode)?;
        if !(2..=NUMBER_MAX).contains(&number) {
            return Err(BadCode);
        }
        if !parts[1..].iter().all(|w| words().any(|known| known == *w)) {
            return Err(BadCode);
        }
        Ok(Code(format!("{number}-{}", parts[1..].join("-"))))
    }

    /// The normalised text (the SPAKE2 password).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_256_distinct_words() {
        let mut w: Vec<&str> = words().collect();
        assert_eq!(w.len(), 256);
        w.sort_unstable();
        w.dedup();
        assert_eq!(w.len(), 256);
    }

    #[test]
    fn generated_codes_parse_back_and_differ() {
        let a = Code::generate().unwrap();
        assert_eq!(Code::parse(a.as_str()), Ok(a.clone()));
        assert_ne!(a, Code::generate().unwrap());
        assert_eq!(format!("{a:?}"), "Code(***)");
    }

    #[test]
    fn typing_variants_are_the_same_code() {
        let c = Code::parse(" 7 Orbit-lantern  velvet-QUARRY\n").unwrap();
        assert_eq!(c.as_str(), "7-orbit-lantern-velvet-quarry");
        assert_eq!(Code::parse("7-orbit-lantern-velvet"), Err(BadCode));
        assert_eq!(
            Code::parse("1000-orbit-lantern-velvet-quarry"),
            Err(BadCode)
        );
        assert_eq!(Code::parse("7-orbit-lantern-velvet-qqq"), Err(BadCode));
    }
}
