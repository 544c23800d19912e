//! The screens: a window, the terminal, or none. Each draws the views it
//! is given once a frame and returns the keys pressed; none of them knows
//! the network.

pub mod headless;
#[cfg(feature = "terminal")]
pub mod terminal;
#[cfg(feature = "window")]
pub mod window;

use crate::world::{Side, World};

/// One neighbour as the status corner shows it.
#[derive(Debug, Clone, Default)]
pub struct Neighbour {
    /// Where it is, if known.
    pub endpoint: Option<String>,
    /// Whether its link is up.
    pub up: bool,
}

/// What the status corner of one screen shows.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// The peer's name.
    pub name: String,
    /// Where it listens.
    pub listen: String,
    /// Left and right neighbours.
    pub neighbours: [Neighbour; 2],
    /// Balls on this screen.
    pub balls: usize,
    /// Handoffs (sent and received) in the last second.
    pub handoffs_per_second: usize,
}

impl Status {
    /// The corner's text, one line each, ASCII only.
    pub fn lines(&self) -> [String; 4] {
        let neighbour = |side: Side| {
            let n = &self.neighbours[side.index()];
            let state = if n.up { "up" } else { "down" };
            match &n.endpoint {
                Some(e) => format!("{:5} {} {}", side.name(), sanitise(e), state),
                None => format!("{:5} none (wall)", side.name()),
            }
        };
        [
            format!("{}  on {}", sanitise(&self.name), sanitise(&self.listen)),
            neighbour(Side::Left),
            neighbour(Side::Right),
            format!(
                "balls {}  handoffs/s {}",
                self.balls, self.handoffs_per_second
            ),
        ]
    }
}

/// Printable ASCII only: names and endpoints come from the command line
/// and the network, and never reach a terminal as control codes.
pub fn sanitise(text: &str) -> String {
    text.chars()
        .take(60)
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// One peer's screen for one frame.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The balls.
    pub world: &'a World,
    /// The corner.
    pub status: &'a Status,
}

/// A key the user pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Space: a new ball on the first screen.
    Add,
    /// `c`: clear every screen.
    Clear,
    /// `q`, Esc, Ctrl-C, or the window closed.
    Quit,
}

/// Something that draws frames.
pub trait Screen {
    /// Draws one frame of every view, side by side; returns the keys.
    fn draw(&mut self, views: &[View]) -> std::io::Result<Vec<Input>>;
    /// The width of each view now, in heights (after a resize).
    fn pane_width(&self) -> f64;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corner_names_the_neighbours_and_never_prints_control_codes() {
        let status = Status {
            name: "pc1\x1b[2J".into(),
            listen: "tcp://0.0.0.0:9100".into(),
            neighbours: [
                Neighbour {
                    endpoint: Some("tcp://127.0.0.1:5000".into()),
                    up: true,
                },
                Neighbour::default(),
            ],
            balls: 3,
            handoffs_per_second: 2,
        };
        let lines = status.lines();
        assert_eq!(lines[0], "pc1?[2J  on tcp://0.0.0.0:9100");
        assert_eq!(lines[1], "left  tcp://127.0.0.1:5000 up");
        assert_eq!(lines[2], "right none (wall)");
        assert_eq!(lines[3], "balls 3  handoffs/s 2");
    }
}
