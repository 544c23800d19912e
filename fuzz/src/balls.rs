//! Target `balls` (written with crates/balls): the ball ring's two
//! decoders on any bytes, the 40-byte ball record and the textbook's text.
//! The record decoder must agree with a reader written from
//! docs/PROTOCOL.md (`balls_reference`) on what it accepts and on every
//! field; what either decoder accepts re-encodes to something it accepts
//! again, with the same fields. Neither may panic.

use tether_balls::textbook::TextBall;
use tether_balls::wire::Message;

use crate::balls_reference::{read, Read};

/// The check, on one input.
pub fn check(data: &[u8]) {
    let ours = Message::decode(data);
    match (&ours, read(data)) {
        (Err(_), Read::Refused) => {}
        (Ok(Message::Control { kind, sender, ball }), Read::Control(k, s, b)) => {
            assert_eq!((*kind as u8, *sender, *ball), (k, s, b));
        }
        (
            Ok(Message::Ball {
                sender,
                depth,
                ball,
            }),
            Read::Ball(s, id, f, colour),
        ) => {
            assert_eq!((*sender, ball.id, ball.colour), (s, id, colour));
            let [x, y, vx, vy, radius] = f.map(f64::from);
            assert_eq!((*depth, vx, vy, radius), (x, ball.vx, ball.vy, ball.radius));
            // The receiver keeps y on the screen.
            assert_eq!(ball.y, y.clamp(0.0, 1.0));
        }
        (ours, reference) => panic!("decoder {ours:?}, reference {reference:?}"),
    }
    if let Ok(msg) = ours {
        let again = Message::decode(&msg.encode()).expect("a re-encoded record decodes");
        assert_eq!(again.encode(), msg.encode());
    }
    if let Ok(ball) = TextBall::parse(data) {
        assert_eq!(TextBall::parse(ball.format().as_bytes()), Ok(ball));
    }
}
