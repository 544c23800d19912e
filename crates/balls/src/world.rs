//! The world of one screen as plain data, and the pure step that moves it.
//!
//! Lengths are in screen heights and speeds in heights per second, with y
//! pointing up: the screen is `width` wide (its width over its height) and 1
//! high, so screens of any size and frame rate agree on where a ball is.

use serde::Serialize;

/// Fastest a ball may move along either axis, in heights per second; faster
/// balls are refused on arrival (and a step can then never jump a screen).
pub const MAX_SPEED: f64 = 10.0;
/// Largest radius, in heights.
pub const MAX_RADIUS: f64 = 0.25;

/// One ball.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ball {
    /// Unique in the ring: the creating peer's id high, a counter low.
    pub id: u64,
    /// Centre, from the left edge, in heights.
    pub x: f64,
    /// Centre, from the bottom, in heights.
    pub y: f64,
    /// Horizontal velocity, heights per second (positive: rightwards).
    pub vx: f64,
    /// Vertical velocity, heights per second (positive: up).
    pub vy: f64,
    /// Radius in heights.
    pub radius: f64,
    /// Red, green, blue.
    pub colour: [u8; 3],
}

/// A side of the screen, and of the ring: the neighbour there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The left edge, towards the peer that connected to us.
    Left,
    /// The right edge, towards the peer we connect to.
    Right,
}

impl Side {
    /// Both sides, left first.
    pub const BOTH: [Side; 2] = [Side::Left, Side::Right];

    /// 0 for left, 1 for right: an index into per-side arrays.
    pub fn index(self) -> usize {
        match self {
            Side::Left => 0,
            Side::Right => 1,
        }
    }

    /// The name used in events and the status corner.
    pub fn name(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

/// Which side edges lead to a neighbour (open) rather than being walls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Edges {
    /// The left edge leads to a neighbour.
    pub left: bool,
    /// The right edge leads to a neighbour.
    pub right: bool,
}

impl Edges {
    /// Whether `side` is open.
    pub fn open(self, side: Side) -> bool {
        match side {
            Side::Left => self.left,
            Side::Right => self.right,
        }
    }
}

/// A ball whose centre crossed an open edge during a step: it is no longer
/// in the world. `depth` is how far past the edge its centre went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exit {
    /// The edge it crossed.
    pub side: Side,
    /// How far past the edge the centre is, in heights (>= 0).
    pub depth: f64,
    /// The ball as it was when it crossed.
    pub ball: Ball,
}

/// The balls on one screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct World {
    /// Width over height of the screen.
    pub width: f64,
    /// The balls, in the order they arrived.
    pub balls: Vec<Ball>,
}

impl World {
    /// An empty screen `width` heights wide.
    pub fn new(width: f64) -> World {
        World {
            width,
            balls: Vec::new(),
        }
    }

    /// Moves every ball by `dt` seconds: top and bottom are walls, a side is
    /// a wall unless `edges` opens it; balls that cross an open side leave
    /// the world and are returned.
    pub fn step(&mut self, dt: f64, edges: Edges) -> Vec<Exit> {
        let mut exits = Vec::new();
        let width = self.width;
        self.balls
            .retain_mut(|ball| match move_ball(ball, dt, width, edges) {
                Some((side, depth)) => {
                    exits.push(Exit {
                        side,
                        depth,
                        ball: *ball,
                    });
                    false
                }
                None => true,
            });
        exits
    }

    /// Puts a ball arriving over `side` just inside that edge, `depth` in.
    pub fn enter(&mut self, side: Side, depth: f64, mut ball: Ball) {
        let depth = depth.clamp(0.0, self.width / 2.0);
        ball.x = match side {
            Side::Left => depth,
            Side::Right => self.width - depth,
        };
        ball.y = ball
            .y
            .clamp(ball.radius, (1.0 - ball.radius).max(ball.radius));
        self.balls.push(ball);
    }

    /// Puts back a ball that could not be handed over `side`: at that edge,
    /// moving away from it, as if it had bounced there.
    pub fn bounce_back(&mut self, side: Side, mut ball: Ball) {
        ball.vx = match side {
            Side::Left => ball.vx.abs(),
            Side::Right => -ball.vx.abs(),
        };
        let inside = ball.radius.min(self.width / 2.0);
        ball.x = match side {
            Side::Left => inside,
            Side::Right => self.width - inside,
        };
        self.balls.push(ball);
    }

    /// Changes the width (the window was resized), keeping balls on screen.
    pub fn resize(&mut self, width: f64) {
        self.width = width;
        for ball in &mut self.balls {
            ball.x = ball.x.clamp(0.0, width);
        }
    }
}

/// Moves one ball; `Some` if it crossed an open side.
fn move_ball(ball: &mut Ball, dt: f64, width: f64, edges: Edges) -> Option<(Side, f64)> {
    ball.x += ball.vx * dt;
    ball.y += ball.vy * dt;
    let r = ball.radius;
    // Reflecting about the wall keeps the distance travelled, so the speed
    // (the energy of the ball) is the same after a bounce as before it.
    if ball.y - r < 0.0 && ball.vy < 0.0 {
        ball.y = 2.0 * r - ball.y;
        ball.vy = -ball.vy;
    } else if ball.y + r > 1.0 && ball.vy > 0.0 {
        ball.y = 2.0 * (1.0 - r) - ball.y;
        ball.vy = -ball.vy;
    }
    ball.y = ball.y.clamp(r.min(0.5), (1.0 - r).max(0.5));
    if ball.vx < 0.0 {
        if edges.left && ball.x < 0.0 {
            return Some((Side::Left, -ball.x));
        }
        if !edges.left && ball.x - r < 0.0 {
            ball.x = (2.0 * r - ball.x).min(width);
            ball.vx = -ball.vx;
        }
    } else if ball.vx > 0.0 {
        if edges.right && ball.x > width {
            return Some((Side::Right, ball.x - width));
        }
        if !edges.right && ball.x + r > width {
            ball.x = (2.0 * (width - r) - ball.x).max(0.0);
            ball.vx = -ball.vx;
        }
    }
    None
}

#[cfg(test)]
#[path = "world_tests.rs"]
mod tests;
