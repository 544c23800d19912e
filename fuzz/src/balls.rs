//! Target `balls` (written with crates/balls): the ball ring's two
//! decoders on any bytes, the 40-byte ball record and the textbook's text.
//! Neither may panic; what one accepts re-encodes to a record it accepts
//! again, with the same fields. (A round trip, not yet differential: a
//! reference reader of the record from docs/PROTOCOL.md would go here.)

use tether_balls::textbook::TextBall;
use tether_balls::wire::Message;

/// The check, on one input.
pub fn check(data: &[u8]) {
    if let Ok(msg) = Message::decode(data) {
        let again = Message::decode(&msg.encode()).expect("a re-encoded record decodes");
        assert_eq!(again.encode(), msg.encode());
    }
    if let Ok(ball) = TextBall::parse(data) {
        assert_eq!(TextBall::parse(ball.format().as_bytes()), Ok(ball));
    }
}
