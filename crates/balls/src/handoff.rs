//! Balls handed to a neighbour and not yet acknowledged: they stay the
//! sender's until the ack comes, and come back if the link goes first.

use crate::world::Ball;

/// The balls in flight over one link.
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    balls: Vec<Ball>,
}

impl InFlight {
    /// A ball was sent.
    pub fn sent(&mut self, ball: Ball) {
        self.balls.push(ball);
    }

    /// The neighbour acknowledged `id`: the ball is theirs now. `None` for
    /// an ack of a ball not in flight (late, or from a confused peer).
    pub fn acked(&mut self, id: u64) -> Option<Ball> {
        let at = self.balls.iter().position(|b| b.id == id)?;
        Some(self.balls.swap_remove(at))
    }

    /// The link is gone: every ball still in flight is ours again.
    pub fn take_all(&mut self) -> Vec<Ball> {
        std::mem::take(&mut self.balls)
    }

    /// Balls in flight.
    pub fn len(&self) -> usize {
        self.balls.len()
    }

    /// Whether none is in flight.
    pub fn is_empty(&self) -> bool {
        self.balls.is_empty()
    }

    /// The balls in flight.
    pub fn balls(&self) -> &[Ball] {
        &self.balls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ball(id: u64) -> Ball {
        Ball {
            id,
            x: 0.0,
            y: 0.5,
            vx: 1.0,
            vy: 0.0,
            radius: 0.1,
            colour: [0; 3],
        }
    }

    #[test]
    fn acked_balls_leave_and_the_rest_come_back() {
        let mut f = InFlight::default();
        f.sent(ball(1));
        f.sent(ball(2));
        f.sent(ball(3));
        assert_eq!(f.acked(2).map(|b| b.id), Some(2));
        assert_eq!(f.acked(2), None, "a second ack is ignored");
        let mut back: Vec<u64> = f.take_all().iter().map(|b| b.id).collect();
        back.sort();
        assert_eq!(back, [1, 3]);
        assert!(f.is_empty());
    }
}
