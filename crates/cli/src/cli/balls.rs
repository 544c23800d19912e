//! Arguments of `tether balls`.

use std::time::Duration;

use clap::{Args, ValueEnum};

use super::common::parse_duration;

/// `tether balls`: bouncing balls across a ring of screens.
#[derive(Args, Debug)]
#[command(after_help = "\
Keys: space adds a ball, c clears, q or Esc quits.

Examples:
  tether balls --local 3                      three screens in one window, a ring over loopback
  pc1$ tether balls --listen tcp://0.0.0.0:9100 --right tcp://pc2:9100
  pc2$ tether balls --listen tcp://0.0.0.0:9100 --right tcp://pc1:9100
  tether balls --terminal --local 2           in the terminal (works over ssh)
  tether balls --textbook right               in place of the textbook's right-hand program
  tether balls --headless --json --balls 5 --for 10s --local 3")]
pub struct BallsArgs {
    /// Where to listen for the left neighbour [default: tcp://127.0.0.1:9100;
    /// with --textbook, 127.0.0.1:10001 (right) or 127.0.0.1:10002 (left)].
    #[arg(long, value_name = "ENDPOINT")]
    pub listen: Option<String>,

    /// The next peer to the right (the ring closes when the last peer's
    /// --right is the first peer).
    #[arg(long, value_name = "ENDPOINT")]
    pub right: Option<String>,

    /// With --textbook right: where the left-hand program listens
    /// [default: 127.0.0.1:10002].
    #[arg(long, value_name = "ENDPOINT", requires = "textbook")]
    pub left: Option<String>,

    /// Run N peers in this process, a real ring over loopback, side by side.
    #[arg(long, value_name = "N", conflicts_with_all = ["listen", "right", "left", "textbook"])]
    pub local: Option<usize>,

    /// Take the place of the textbook's left- or right-hand program: one
    /// TCP connection per ball, as text.
    #[arg(long, value_name = "SIDE")]
    pub textbook: Option<TextbookSide>,

    /// Draw in the terminal instead of a window.
    #[arg(long, conflicts_with = "headless")]
    pub terminal: bool,

    /// Draw nothing.
    #[arg(long)]
    pub headless: bool,

    /// One JSON line per event on stdout (created, sent, acknowledged,
    /// received, shown, bounced, neighbour_up/down, end).
    #[arg(long, conflicts_with = "terminal")]
    pub json: bool,

    /// Balls to start with (on each screen).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub balls: usize,

    /// Stop after this long, e.g. 10s.
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,

    /// The name in the status corner and the events [default: host:port].
    #[arg(long)]
    pub name: Option<String>,

    /// Speed of new balls, as a multiple of the usual.
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub speed: f64,

    /// Frames per second.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub fps: u32,
}

/// Which of the textbook's programs to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextbookSide {
    /// The left-hand program: listens on 10002, sends right to 10001.
    Left,
    /// The right-hand program: listens on 10001, sends left to 10002.
    Right,
}
