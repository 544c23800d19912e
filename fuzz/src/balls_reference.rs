//! A reader of the ball record written from docs/PROTOCOL.md ("Ball ring")
//! alone, field by field in the order of its table, for the `balls` target
//! to hold `tether_balls::wire` against.

/// What a record says, or why a receiver must refuse it.
#[derive(Debug, PartialEq)]
pub enum Read {
    /// Kind 1: sender, ball id, x (depth), y, vx, vy, radius, colour.
    Ball(u32, u64, [f32; 5], [u8; 3]),
    /// Kinds 2 to 6: kind, sender, ball id.
    Control(u8, u32, u64),
    /// The receiver closes the link.
    Refused,
}

/// Reads one payload.
pub fn read(data: &[u8]) -> Read {
    if data.len() != 40 || &data[0..2] != b"TB" || data[2] != 2 {
        return Read::Refused;
    }
    let kind = data[3];
    let sender = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
    let mut id = 0u64;
    for b in &data[8..16] {
        id = id << 8 | u64::from(*b);
    }
    let f = |i: usize| {
        f32::from_bits(u32::from_be_bytes([
            data[i],
            data[i + 1],
            data[i + 2],
            data[i + 3],
        ]))
    };
    let floats = [f(16), f(20), f(24), f(28), f(32)];
    let colour = [data[36], data[37], data[38]];
    match kind {
        2..=6 => Read::Control(kind, sender, id),
        1 => {
            let [x, _, vx, vy, radius] = floats.map(f64::from);
            let ok = floats.iter().all(|v| v.is_finite())
                && radius > 0.0
                && radius <= 0.25
                && vx.abs() <= 10.0
                && vy.abs() <= 10.0
                && (0.0..=1.0).contains(&x);
            if ok {
                Read::Ball(sender, id, floats, colour)
            } else {
                Read::Refused
            }
        }
        _ => Read::Refused,
    }
}
