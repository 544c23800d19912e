//! The languages experiment (`tether bench --languages`): the same round
//! trip and rate points from senders written in Rust (tether and std::net,
//! in this process), Python and Java (the programs in `interop/`, run as
//! child processes that speak the control exchange and print one JSON line
//! per test; see docs/PROTOCOL.md, "Bench senders in other languages").
//!
//! A sender whose runtime is missing is skipped with a reason, never an
//! error. Each sender's stack runs on both ends: tether senders against the
//! server's tether stack, plain ones against its std stack, as the baseline
//! does.

mod child;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::control::{Stack, Transport};
use crate::latency::{self, LatencySpec, RoundBudget};
use crate::rate::{self, RateSpec};
use crate::report::RateMode;
use crate::session::Session;

pub use child::find_interop;

/// The language a sender is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// In this process: `tether::Link` or `std::net::TcpStream`.
    Rust,
    /// `interop/python/bench_sender.py`.
    Python,
    /// `interop/java/bench/BenchSender.java`.
    Java,
}

/// One sender: a language and whether it uses tether or the language's own sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sender {
    /// The language.
    pub language: Language,
    /// `tether`, or `std` for the language's plain sockets.
    pub stack: Stack,
}

impl Sender {
    /// Every sender, in the order of the table.
    pub const ALL: [Sender; 6] = [
        Sender::new(Language::Rust, Stack::Tether),
        Sender::new(Language::Rust, Stack::Std),
        Sender::new(Language::Python, Stack::Tether),
        Sender::new(Language::Python, Stack::Std),
        Sender::new(Language::Java, Stack::Tether),
        Sender::new(Language::Java, Stack::Std),
    ];

    const fn new(language: Language, stack: Stack) -> Sender {
        Sender { language, stack }
    }

    /// The column name: "Rust tether", "Python socket", "Java java.net".
    pub fn label(&self) -> &'static str {
        match (self.language, self.stack) {
            (Language::Rust, Stack::Tether) => "Rust tether",
            (Language::Rust, Stack::Std) => "Rust std::net",
            (Language::Python, Stack::Tether) => "Python tether",
            (Language::Python, Stack::Std) => "Python socket",
            (Language::Java, Stack::Tether) => "Java tether",
            (Language::Java, Stack::Std) => "Java java.net",
        }
    }

    /// How it writes, for the notes under the table.
    pub fn how(&self) -> &'static str {
        match (self.language, self.stack) {
            (Language::Rust, Stack::Tether) => {
                "Link::send per message (linger 100 µs gathers writes)"
            }
            (Language::Rust, Stack::Std) => "write_all of each framed message",
            (Language::Python, Stack::Tether) => "Link.send per message (linger gathers writes)",
            (Language::Python, Stack::Std) => "socket.sendall of each framed message",
            (Language::Java, Stack::Tether) => "TetherLink.sendAll, about 64 KiB per write",
            (Language::Java, Stack::Std) => {
                "DataOutputStream over BufferedOutputStream, flush per message"
            }
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct LanguagePlan {
    /// Rate point sizes.
    pub sizes: Vec<usize>,
    /// Bytes per rate point.
    pub total: u64,
    /// Time cap of a rate point.
    pub max_time: Duration,
    /// Rounds: every sender runs all its points once per round, senders
    /// taking turns, and the best of the rounds is kept.
    pub rounds: u32,
    /// Round trips of 4 bytes per sender and round.
    pub latency: RoundBudget,
    /// The `interop/` directory with the Python and Java senders.
    pub interop: Option<PathBuf>,
    /// The Python interpreter (`python3`).
    pub python: String,
}

/// What one sender measured (best of the rounds).
#[derive(Debug, Clone, Serialize)]
pub struct SenderRun {
    /// Who sent.
    pub sender: Sender,
    /// How it writes.
    pub how: &'static str,
    /// Round trips of 4 bytes.
    pub round_trip: Option<RoundTrip>,
    /// One rate point per size.
    pub rates: Vec<LanguageRate>,
}

/// Round trips of one sender: the round with the lowest median.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RoundTrip {
    /// Round trips recorded.
    pub rounds: u64,
    /// Median, nanoseconds.
    pub p50_ns: u64,
    /// 99th percentile, nanoseconds.
    pub p99_ns: u64,
}

/// One rate point of one sender: the round with the highest rate.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LanguageRate {
    /// Payload bytes per message.
    pub size: usize,
    /// Messages written.
    pub sent: u64,
    /// Messages the server counted (equal to `sent`: checked).
    pub received: u64,
    /// `(received - 1) / seconds` on the server's clock.
    pub messages_per_s: f64,
    /// Payload bytes per second on the same clock.
    pub bytes_per_s: f64,
    /// The time cap ended the point before the total was sent.
    pub capped_by_time: bool,
}

/// A sender that did not run, and why (a missing runtime, say).
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// Who.
    pub sender: Sender,
    /// One line.
    pub reason: String,
}

/// The experiment's result.
#[derive(Debug, Clone, Serialize)]
pub struct LanguageReport {
    /// The senders that ran, in table order.
    pub senders: Vec<SenderRun>,
    /// The ones that did not.
    pub skipped: Vec<Skipped>,
    /// Rate point sizes.
    pub sizes: Vec<usize>,
    /// Rounds run.
    pub rounds: u32,
}

/// One round's figures of one sender, before the best is taken.
#[derive(Debug, Default)]
struct Measured {
    round_trip: Option<RoundTrip>,
    rates: Vec<LanguageRate>,
}

/// Runs every sender whose runtime is present, `plan.rounds` times in
/// turns; `on_step` gets a few words before each sender's round.
pub fn run(
    session: &mut Session,
    plan: &LanguagePlan,
    mut on_step: impl FnMut(&str),
) -> anyhow::Result<LanguageReport> {
    let mut skipped = Vec::new();
    let runtimes = child::Runtimes::prepare(plan, &mut skipped);
    let senders: Vec<Sender> = Sender::ALL
        .into_iter()
        .filter(|s| !skipped.iter().any(|k: &Skipped| k.sender == *s))
        .collect();
    let mut best: Vec<Measured> = senders.iter().map(|_| Measured::default()).collect();
    for round in 0..plan.rounds.max(1) {
        for (i, sender) in senders.iter().enumerate() {
            on_step(&format!(
                "{} (round {} of {})",
                sender.label(),
                round + 1,
                plan.rounds.max(1)
            ));
            let got = match sender.language {
                Language::Rust => measure_rust(session, plan, sender.stack)?,
                _ => runtimes.measure(session, plan, *sender)?,
            };
            keep_best(&mut best[i], got);
        }
    }
    let senders = senders
        .into_iter()
        .zip(best)
        .map(|(sender, m)| SenderRun {
            sender,
            how: sender.how(),
            round_trip: m.round_trip,
            rates: m.rates,
        })
        .collect();
    Ok(LanguageReport {
        senders,
        skipped,
        sizes: plan.sizes.clone(),
        rounds: plan.rounds.max(1),
    })
}

fn keep_best(best: &mut Measured, got: Measured) {
    best.round_trip = match (best.round_trip, got.round_trip) {
        (Some(a), Some(b)) if a.p50_ns <= b.p50_ns => Some(a),
        (a, b) => b.or(a),
    };
    for r in got.rates {
        match best.rates.iter_mut().find(|b| b.size == r.size) {
            Some(b) if b.messages_per_s >= r.messages_per_s => {}
            Some(b) => *b = r,
            None => best.rates.push(r),
        }
    }
}

/// The Rust senders: the bench's own round trip and rate points.
fn measure_rust(
    session: &mut Session,
    plan: &LanguagePlan,
    stack: Stack,
) -> anyhow::Result<Measured> {
    let lat = latency::measure(
        session,
        &LatencySpec {
            transport: Transport::Tcp,
            stack,
            nodelay: true,
            size: 4,
            budget: plan.latency,
            busy_poll: None,
        },
    )?;
    let mode = match stack {
        Stack::Tether => RateMode::Send,
        Stack::Std => RateMode::StdPerMessage,
    };
    let mut rates = Vec::new();
    for &size in &plan.sizes {
        let r = rate::measure(
            session,
            &RateSpec {
                mode,
                nodelay: true,
                size,
                total: plan.total,
                time: plan.max_time,
            },
        )?;
        rates.push(LanguageRate {
            size,
            sent: r.sent,
            received: r.received,
            messages_per_s: r.messages_per_s,
            bytes_per_s: r.bytes_per_s,
            capped_by_time: r.capped_by_time,
        });
    }
    Ok(Measured {
        round_trip: Some(RoundTrip {
            rounds: lat.rounds,
            p50_ns: lat.p50_ns,
            p99_ns: lat.p99_ns,
        }),
        rates,
    })
}
