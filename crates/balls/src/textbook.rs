//! The textbook's ball format: `x,y,change_x,change_y,radius,r,g,b` as
//! UTF-8 decimal integers, in pixels and pixels per frame, y up, on an
//! 800 x 600 screen at 60 frames/s; one ball per TCP connection.

use crate::world::{Ball, MAX_RADIUS, MAX_SPEED};

/// The textbook's screen width in pixels.
pub const WIDTH_PX: f64 = 800.0;
/// The textbook's screen height in pixels.
pub const HEIGHT_PX: f64 = 600.0;
/// The textbook's frame rate.
pub const FPS: f64 = 60.0;
/// Longest text accepted from one connection.
pub const MAX_LEN: usize = 256;
/// Where the right-hand program listens (and the left one sends).
pub const RIGHT_PORT: u16 = 10001;
/// Where the left-hand program listens (and the right one sends).
pub const LEFT_PORT: u16 = 10002;

/// A ball as the textbook's programs send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextBall {
    /// Centre, pixels from the left.
    pub x: i64,
    /// Centre, pixels from the bottom.
    pub y: i64,
    /// Pixels per frame, rightwards.
    pub change_x: i64,
    /// Pixels per frame, up.
    pub change_y: i64,
    /// Pixels.
    pub radius: i64,
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
}

/// Why a text ball was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// More bytes than a ball can take.
    #[error("textbook ball longer than {MAX_LEN} bytes")]
    TooLong,
    /// Not UTF-8.
    #[error("textbook ball is not UTF-8 text")]
    NotText,
    /// Not eight fields.
    #[error("textbook ball has {0} fields, expected 8 (x,y,change_x,change_y,radius,r,g,b)")]
    Fields(usize),
    /// A field that is not an integer.
    #[error("textbook ball field {index} ({name}) is not an integer")]
    Integer {
        /// 1-based position.
        index: usize,
        /// Its name.
        name: &'static str,
    },
    /// A value out of range.
    #[error("textbook ball field {name} out of range")]
    Range {
        /// Its name.
        name: &'static str,
    },
}

const NAMES: [&str; 8] = ["x", "y", "change_x", "change_y", "radius", "r", "g", "b"];

impl TextBall {
    /// Parses the bytes of one connection, accepting one trailing newline.
    pub fn parse(data: &[u8]) -> Result<TextBall, TextError> {
        if data.len() > MAX_LEN {
            return Err(TextError::TooLong);
        }
        let text = std::str::from_utf8(data).map_err(|_| TextError::NotText)?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        let fields: Vec<&str> = text.split(',').collect();
        if fields.len() != 8 {
            return Err(TextError::Fields(fields.len()));
        }
        let mut v = [0i64; 8];
        for (i, f) in fields.iter().enumerate() {
            v[i] = f.parse().map_err(|_| TextError::Integer {
                index: i + 1,
                name: NAMES[i],
            })?;
        }
        let colour = |i: usize| u8::try_from(v[i]).map_err(|_| TextError::Range { name: NAMES[i] });
        let px = |i: usize, limit: i64| {
            if v[i].abs() <= limit {
                Ok(v[i])
            } else {
                Err(TextError::Range { name: NAMES[i] })
            }
        };
        Ok(TextBall {
            x: px(0, 1_000_000)?,
            y: px(1, 1_000_000)?,
            change_x: px(2, 100)?,
            change_y: px(3, 100)?,
            radius: px(4, 150)?,
            r: colour(5)?,
            g: colour(6)?,
            b: colour(7)?,
        })
    }

    /// The text the textbook's programs send (no terminator).
    pub fn format(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{}",
            self.x, self.y, self.change_x, self.change_y, self.radius, self.r, self.g, self.b
        )
    }

    /// As a ball of the world (x is left for the receiver to place).
    pub fn to_ball(&self, id: u64) -> Ball {
        let per_second = FPS / HEIGHT_PX;
        let radius = (self.radius as f64 / HEIGHT_PX).clamp(0.005, MAX_RADIUS);
        Ball {
            id,
            x: self.x as f64 / HEIGHT_PX,
            y: (self.y as f64 / HEIGHT_PX).clamp(radius, 1.0 - radius),
            vx: (self.change_x as f64 * per_second).clamp(-MAX_SPEED, MAX_SPEED),
            vy: (self.change_y as f64 * per_second).clamp(-MAX_SPEED, MAX_SPEED),
            radius,
            colour: [self.r, self.g, self.b],
        }
    }

    /// A ball of the world in the textbook's units; `x` in heights.
    pub fn from_ball(ball: &Ball) -> TextBall {
        let per_frame = HEIGHT_PX / FPS;
        let round = |f: f64| f.round() as i64;
        TextBall {
            x: round(ball.x * HEIGHT_PX),
            y: round(ball.y * HEIGHT_PX),
            // A ball never stalls on the way: at least one pixel a frame.
            change_x: round(ball.vx * per_frame).clamp(-100, 100),
            change_y: round(ball.vy * per_frame).clamp(-100, 100),
            radius: round(ball.radius * HEIGHT_PX).max(1),
            r: ball.colour[0],
            g: ball.colour[1],
            b: ball.colour[2],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_the_textbook_sends() {
        let b = TextBall::parse(b"790,300,5,-3,20,255,0,128").unwrap();
        assert_eq!(
            (b.x, b.y, b.change_x, b.change_y, b.radius),
            (790, 300, 5, -3, 20)
        );
        assert_eq!((b.r, b.g, b.b), (255, 0, 128));
        assert_eq!(b.format(), "790,300,5,-3,20,255,0,128");
        assert_eq!(TextBall::parse(b"790,300,5,-3,20,255,0,128\n"), Ok(b));
    }

    #[test]
    fn malformed_balls_are_refused() {
        assert_eq!(TextBall::parse(b"1,2,3"), Err(TextError::Fields(3)));
        assert_eq!(
            TextBall::parse(b"1,2,3,4,5,6,7,x").map_err(|e| e.to_string()),
            Err("textbook ball field 8 (b) is not an integer".into())
        );
        assert_eq!(
            TextBall::parse(b"1,2,3,4,5,256,7,8"),
            Err(TextError::Range { name: "r" })
        );
        assert_eq!(TextBall::parse(&[0xff, b',']), Err(TextError::NotText));
        assert_eq!(TextBall::parse(&[b'1'; 300]), Err(TextError::TooLong));
        assert!(TextBall::parse(b"1,2,3,4,5,6,7,8\n\n").is_err());
    }

    #[test]
    fn units_convert_both_ways() {
        let t = TextBall::parse(b"400,300,5,-5,30,1,2,3").unwrap();
        let ball = t.to_ball(1);
        assert!(
            (ball.vx - 0.5).abs() < 1e-9,
            "5 px/frame at 60 fps on 600 px"
        );
        assert!((ball.y - 0.5).abs() < 1e-9);
        assert_eq!(TextBall::from_ball(&ball), t);
    }
}
