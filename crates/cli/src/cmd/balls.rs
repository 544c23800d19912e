//! `tether balls`: glue from the arguments to `tether_balls::run`.

use anyhow::{bail, Context, Result};
use tether_balls::run::RunError;
use tether_balls::textbook::{LEFT_PORT, RIGHT_PORT};
use tether_balls::{Config, Mode, ScreenKind, Side};

use crate::cli::balls::TextbookSide;
use crate::cli::BallsArgs;

/// Runs the balls until the time is up or the user quits.
pub fn run(args: BallsArgs) -> Result<()> {
    let config = Config {
        mode: mode(&args)?,
        screen: if args.headless {
            ScreenKind::Headless
        } else if args.terminal {
            ScreenKind::Terminal
        } else {
            ScreenKind::Window
        },
        balls: args.balls,
        duration: args.duration,
        json: args.json,
        name: args.name,
        fps: args.fps,
        speed: args.speed,
    };
    if !(args.speed > 0.0 && args.speed <= 20.0) {
        bail!("--speed {} is outside (0, 20]", args.speed);
    }
    if args.balls > 1000 {
        bail!("--balls {} is more than 1000 balls a screen", args.balls);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match tether_balls::run(&config, &mut out) {
        // `tether balls --json | head` ends quietly, as other commands do.
        Err(RunError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("balls"),
    }
}

fn mode(args: &BallsArgs) -> Result<Mode> {
    if let Some(count) = args.local {
        if !(1..=16).contains(&count) {
            bail!("--local {count}: give 1 to 16 screens");
        }
        return Ok(Mode::Local { count });
    }
    let local = |port: u16| format!("tcp://127.0.0.1:{port}");
    match args.textbook {
        None => Ok(Mode::Ring {
            listen: args.listen.clone().unwrap_or_else(|| local(9100)),
            right: args.right.clone(),
        }),
        Some(TextbookSide::Right) => {
            if args.right.is_some() {
                bail!("the textbook's right-hand program has no right neighbour; use --left");
            }
            Ok(Mode::Textbook {
                side: Side::Left,
                listen: args.listen.clone().unwrap_or_else(|| local(RIGHT_PORT)),
                target: args.left.clone().unwrap_or_else(|| local(LEFT_PORT)),
            })
        }
        Some(TextbookSide::Left) => {
            if args.left.is_some() {
                bail!("the textbook's left-hand program has no left neighbour; use --right");
            }
            Ok(Mode::Textbook {
                side: Side::Right,
                listen: args.listen.clone().unwrap_or_else(|| local(LEFT_PORT)),
                target: args.right.clone().unwrap_or_else(|| local(RIGHT_PORT)),
            })
        }
    }
}
