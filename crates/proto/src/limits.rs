//! Default limits, shared by every codec and link.

/// Largest frame a receiver accepts unless told otherwise: 16 MiB.
///
/// A length prefix or a line longer than this is refused before any buffer
/// grows for it.
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// Largest UDP payload over IPv4: 65,535 − 8 (UDP header) − 20 (IPv4 header).
pub const MAX_UDP_PAYLOAD_V4: usize = 65_507;

/// Largest UDP payload over IPv6 without jumbograms: 65,535 − 8 (UDP header).
pub const MAX_UDP_PAYLOAD_V6: usize = 65_527;

/// Size of the length prefix of length framing.
pub const LENGTH_PREFIX_LEN: usize = 4;

/// Formats a byte count the way limits are written in error messages:
/// `16 MiB`, `64 KiB` or `1000 bytes`.
pub fn human_bytes(n: usize) -> String {
    exact_units(n).unwrap_or_else(|| format!("{n} bytes"))
}

/// Formats a size the way tables and labels write it: `1 MiB`, `10 KiB`,
/// `100 B` (the same units as [`human_bytes`], with the short `B`).
pub fn size_label(n: usize) -> String {
    exact_units(n).unwrap_or_else(|| format!("{n} B"))
}

/// `n` in the largest binary unit that divides it exactly, if any.
fn exact_units(n: usize) -> Option<String> {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if n >= MIB && n % MIB == 0 {
        Some(format!("{} MiB", n / MIB))
    } else if n >= KIB && n % KIB == 0 {
        Some(format!("{} KiB", n / KIB))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_picks_exact_units() {
        assert_eq!(human_bytes(DEFAULT_MAX_FRAME_LEN), "16 MiB");
        assert_eq!(human_bytes(65_536), "64 KiB");
        assert_eq!(human_bytes(1000), "1000 bytes");
        assert_eq!(human_bytes(8), "8 bytes");
        assert_eq!(size_label(1 << 20), "1 MiB");
        assert_eq!(size_label(10 << 10), "10 KiB");
        assert_eq!(size_label(100), "100 B");
    }
}
