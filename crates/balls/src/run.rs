//! The drawing loop: every frame, take what the network brought, move the
//! worlds to now, send what crossed an edge, draw, read the keys, write the
//! events. It never waits on a socket: the network has its own threads.

use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use crate::event::EventKind;
use crate::net::ring::Ring;
use crate::net::textbook::Textbook;
use crate::net::Transport;
use crate::peer::Peer;
use crate::rng::Rng;
use crate::screen::headless::Headless;
use crate::screen::{Input, Neighbour, Screen, Status, View};
use crate::stats::FrameTimes;
use crate::world::Side;

/// How the peer reaches its neighbours.
#[derive(Debug, Clone)]
pub enum Mode {
    /// One peer of a ring: listen, and keep a link to `right`.
    Ring {
        /// Where to listen.
        listen: String,
        /// The next peer, if any.
        right: Option<String>,
    },
    /// `count` peers in this process, a ring over loopback.
    Local {
        /// How many.
        count: usize,
    },
    /// In place of one of the textbook's programs: `side` is where the
    /// other program is.
    Textbook {
        /// The side the textbook's other program is on.
        side: Side,
        /// Where to listen.
        listen: String,
        /// Where to send.
        target: String,
    },
}

/// What draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenKind {
    /// A window.
    Window,
    /// The terminal.
    Terminal,
    /// Nothing.
    Headless,
}

/// A run of `tether balls`.
#[derive(Debug, Clone)]
pub struct Config {
    /// How the neighbours are reached.
    pub mode: Mode,
    /// What draws.
    pub screen: ScreenKind,
    /// Balls each peer starts with.
    pub balls: usize,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Write one JSON line per event.
    pub json: bool,
    /// The peer's name (default: host name and port).
    pub name: Option<String>,
    /// Frames per second.
    pub fps: u32,
    /// Speed of new balls, as a multiple of the usual (0.25 to 0.7
    /// heights/s along each axis).
    pub speed: f64,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The network could not start.
    #[error(transparent)]
    Net(#[from] tether::Error),
    /// A screen, the textbook's sockets or the output failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The build has no such screen.
    #[error("this build of tether has no {0} screen")]
    NoScreen(&'static str),
}

struct Node {
    peer: Peer,
    net: Box<dyn Transport>,
    listen: String,
}

/// Runs until the time is up or the user quits; events go to `out`.
pub fn run(config: &Config, out: &mut dyn Write) -> Result<(), RunError> {
    let mut nodes = start(config)?;
    let mut screen = open_screen(config, nodes.len())?;
    for node in &mut nodes {
        node.peer.speed = config.speed;
        node.peer.world.resize(screen.pane_width());
        for _ in 0..config.balls {
            node.peer.add_ball(Duration::ZERO);
        }
    }
    let frames = frame_loop(config, &mut nodes, screen.as_mut(), out)?;
    drop(screen);
    settle(&mut nodes);
    let now = crate::clock::since_start();
    for node in &mut nodes {
        let balls = node.peer.held();
        let pending = node.peer.pending();
        let frames = frames.summary();
        node.peer.emit(
            now,
            EventKind::End {
                balls,
                pending,
                frames,
            },
        );
    }
    write_events(config, &mut nodes, out)?;
    Ok(())
}

fn frame_loop(
    config: &Config,
    nodes: &mut [Node],
    screen: &mut dyn Screen,
    out: &mut dyn Write,
) -> Result<FrameTimes, RunError> {
    let interval = Duration::from_secs(1) / config.fps.max(1);
    let started = Instant::now();
    let mut frames = FrameTimes::default();
    let mut last: Option<Instant> = None;
    let mut next = started;
    loop {
        let now = crate::clock::since_start();
        for node in nodes.iter_mut() {
            node.net.pump(&mut node.peer, now);
            for output in node.peer.tick(now) {
                node.net.send(&mut node.peer, output, now);
            }
        }
        let inputs = draw(nodes, screen, now)?;
        write_events(config, nodes, out)?;
        let drawn = Instant::now();
        if let Some(last) = last {
            frames.record(drawn - last);
        }
        last = Some(drawn);
        if inputs.contains(&Input::Quit) || config.duration.is_some_and(|d| started.elapsed() >= d)
        {
            return Ok(frames);
        }
        apply(&inputs, nodes, now);
        next += interval;
        if next < Instant::now() {
            next = Instant::now();
        }
        wait_answering(nodes, next);
    }
}

/// Sleeps until `until`, but answers what the network brings at once: a
/// handover takes four records, and each waiting for a frame would hide
/// the ball for frames.
fn wait_answering(nodes: &mut [Node], until: Instant) {
    // One peer waits on its own channel; several look in turn, 1 ms apart.
    let slice = if nodes.len() == 1 {
        Duration::MAX
    } else {
        Duration::from_millis(1)
    };
    for _ in 0..10_000 {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        match nodes {
            [node] => node.net.wait(left.min(slice)),
            _ => thread::sleep(left.min(slice)),
        }
        let now = crate::clock::since_start();
        for node in nodes.iter_mut() {
            node.net.pump(&mut node.peer, now);
        }
    }
}

/// Longest a stopping peer waits for the handovers under way.
const SETTLE: Duration = Duration::from_millis(500);

/// Before stopping, waits (without moving balls, so none is sent) for the
/// handovers under way to end: a ball is then held by exactly one peer.
fn settle(nodes: &mut [Node]) {
    let deadline = Instant::now() + SETTLE;
    let busy = |nodes: &[Node]| nodes.iter().any(|n| n.peer.busy());
    while busy(nodes) && Instant::now() < deadline {
        let now = crate::clock::since_start();
        for node in nodes.iter_mut() {
            node.net.pump(&mut node.peer, now);
        }
        thread::sleep(Duration::from_millis(2));
    }
}

fn draw(nodes: &mut [Node], screen: &mut dyn Screen, now: Duration) -> std::io::Result<Vec<Input>> {
    let statuses: Vec<Status> = nodes.iter_mut().map(|n| status(n, now)).collect();
    let views: Vec<View> = nodes
        .iter()
        .zip(&statuses)
        .map(|(n, status)| View {
            world: &n.peer.world,
            status,
        })
        .collect();
    let inputs = screen.draw(&views)?;
    let width = screen.pane_width();
    for node in nodes.iter_mut() {
        node.peer.shown(now);
        if (node.peer.world.width - width).abs() > 1e-9 {
            node.peer.world.resize(width);
        }
    }
    Ok(inputs)
}

fn apply(inputs: &[Input], nodes: &mut [Node], now: Duration) {
    for input in inputs {
        match input {
            Input::Add => {
                if let Some(node) = nodes.first_mut() {
                    node.peer.add_ball(now);
                }
            }
            Input::Clear => nodes.iter_mut().for_each(|n| n.peer.clear(now)),
            Input::Quit => {}
        }
    }
}

fn status(node: &mut Node, now: Duration) -> Status {
    let neighbour = |side: Side| {
        let link = node.peer.link(side);
        Neighbour {
            endpoint: link.endpoint.clone(),
            up: link.up,
        }
    };
    Status {
        name: node.peer.name.clone(),
        listen: node.listen.clone(),
        neighbours: [neighbour(Side::Left), neighbour(Side::Right)],
        balls: node.peer.world.balls.len(),
        handoffs_per_second: node.peer.handoffs_per_second(now),
    }
}

fn write_events(config: &Config, nodes: &mut [Node], out: &mut dyn Write) -> std::io::Result<()> {
    let mut wrote = false;
    let offset = crate::clock::monotonic_at_start();
    for node in nodes.iter_mut() {
        for mut event in node.peer.take_events() {
            event.t += offset;
            if config.json {
                writeln!(out, "{}", event.to_json())?;
                wrote = true;
            }
        }
    }
    if wrote {
        out.flush()?;
    }
    Ok(())
}

fn start(config: &Config) -> Result<Vec<Node>, RunError> {
    let mut rng = Rng::from_entropy();
    let mut new_peer = |name: String, listen: &str| {
        // Ids below 2^20 keep ball ids below 2^53, exact as JSON numbers.
        let id = ((rng.next_u64() as u32) & 0xf_ffff).max(1);
        let mut peer = Peer::new(&name, id, 4.0 / 3.0, Rng::new(rng.next_u64()));
        let endpoint = listen.to_string();
        peer.emit(Duration::ZERO, EventKind::Listening { endpoint });
        peer
    };
    match &config.mode {
        Mode::Ring { listen, right } => {
            let mut ring = Ring::bind(listen)?;
            let listen = ring.listen_addr();
            let mut peer = new_peer(
                config.name.clone().unwrap_or_else(|| default_name(&listen)),
                &listen,
            );
            if let Some(right) = right {
                ring.connect_right(right)?;
                peer.set_endpoint(Side::Right, right);
            }
            let net: Box<dyn Transport> = Box::new(ring);
            Ok(vec![Node { peer, net, listen }])
        }
        Mode::Local { count } => {
            let rings = (0..*count.max(&1))
                .map(|_| Ring::bind("tcp://127.0.0.1:0"))
                .collect::<Result<Vec<_>, _>>()?;
            let addrs: Vec<String> = rings.iter().map(|r| r.listen_addr()).collect();
            let mut nodes = Vec::new();
            for (i, mut ring) in rings.into_iter().enumerate() {
                let right = &addrs[(i + 1) % addrs.len()];
                ring.connect_right(right)?;
                let base = config.name.clone().unwrap_or_else(|| "local".into());
                let mut peer = new_peer(format!("{base}{}", i + 1), &addrs[i]);
                peer.set_endpoint(Side::Right, right);
                let listen = addrs[i].clone();
                nodes.push(Node {
                    peer,
                    net: Box::new(ring),
                    listen,
                });
            }
            Ok(nodes)
        }
        Mode::Textbook {
            side,
            listen,
            target,
        } => {
            let net = Textbook::start(*side, listen, target)?;
            let listen = net.listen_addr();
            let mut peer = new_peer(
                config.name.clone().unwrap_or_else(|| default_name(&listen)),
                &listen,
            );
            // The textbook's programs have no handover: a delivered ball
            // is theirs, so no ack is awaited.
            peer.open(*side, net.target(), None, Duration::ZERO);
            Ok(vec![Node {
                peer,
                net: Box::new(net),
                listen,
            }])
        }
    }
}

/// The host's name and the port: tells peers apart in a ring.
fn default_name(listen: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "tether".into());
    let port = listen.rsplit(':').next().unwrap_or("");
    format!("{host}:{port}")
}

#[cfg_attr(not(feature = "window"), allow(unused_variables))]
fn open_screen(config: &Config, panes: usize) -> Result<Box<dyn Screen>, RunError> {
    match config.screen {
        ScreenKind::Headless => Ok(Box::new(Headless)),
        #[cfg(feature = "terminal")]
        ScreenKind::Terminal => Ok(Box::new(crate::screen::terminal::Terminal::open()?)),
        #[cfg(feature = "window")]
        ScreenKind::Window => {
            let title = "tether balls";
            let (w, h) = if panes > 1 { (480, 360) } else { (800, 600) };
            Ok(Box::new(crate::screen::window::Window::open(
                title, panes, w, h,
            )?))
        }
        #[allow(unreachable_patterns)]
        ScreenKind::Terminal => Err(RunError::NoScreen("terminal")),
        #[allow(unreachable_patterns)]
        ScreenKind::Window => Err(RunError::NoScreen("window")),
    }
}
