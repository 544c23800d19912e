//! Experiment 1, latency: ping-pong round trips of a small message over a
//! persistent link, recorded in an HDR histogram in nanoseconds after the
//! warm-up rounds; a point ends at its round count or its time cap,
//! whichever comes first.

use std::time::{Duration, Instant};

use crate::control::{Role, ServerResults, Stack, TestSettings, Transport};
use crate::ping::{pinger, Pinger};
use crate::report::Latency;
use crate::session::Session;
use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use tether::Endpoint;

/// Counts and time of one point.
#[derive(Debug, Clone, Copy)]
pub struct RoundBudget {
    /// Rounds discarded first.
    pub warmup: u64,
    /// Most rounds recorded.
    pub rounds: u64,
    /// Time cap of the point, warm-up included.
    pub time: Duration,
}

/// One latency point.
#[derive(Debug, Clone, Copy)]
pub struct LatencySpec {
    /// Socket kind.
    pub transport: Transport,
    /// tether or std on both ends.
    pub stack: Stack,
    /// `TCP_NODELAY` on both ends.
    pub nodelay: bool,
    /// Payload bytes.
    pub size: usize,
    /// Counts and time.
    pub budget: RoundBudget,
    /// tether only: both ends spin on non-blocking reads this long before
    /// they sleep (`Options::busy_poll`); `None` blocks at once.
    pub busy_poll: Option<Duration>,
}

/// What a run of round trips gave.
#[derive(Debug)]
pub struct Rounds {
    /// Recorded round trips, nanoseconds.
    pub hist: Histogram<u64>,
    /// Rounds with no answer.
    pub lost: u64,
    /// Wall time.
    pub seconds: f64,
    /// Stopped by the time cap.
    pub capped: bool,
}

/// Round trips of one point, run in blocks so that two points can take
/// turns (tether and std::net under the same load).
struct Recorder {
    hist: Histogram<u64>,
    lost: u64,
    seq: u64,
    budget: RoundBudget,
    busy: Duration,
}

impl Recorder {
    fn new(budget: RoundBudget) -> anyhow::Result<Recorder> {
        Ok(Recorder {
            // 1 ns to 60 s at 3 significant digits.
            hist: Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)
                .context("cannot make a histogram")?,
            lost: 0,
            seq: 0,
            budget,
            busy: Duration::ZERO,
        })
    }

    fn done(&self) -> bool {
        self.seq >= self.budget.warmup + self.budget.rounds
    }

    /// Up to `n` more rounds, stopping at `deadline`.
    fn block(&mut self, p: &mut dyn Pinger, n: u64, deadline: Instant) -> anyhow::Result<()> {
        let start = Instant::now();
        let end = (self.seq + n).min(self.budget.warmup + self.budget.rounds);
        while self.seq < end {
            let t0 = Instant::now();
            let answered = p.ping(self.seq)?;
            let t1 = Instant::now();
            if !answered {
                self.lost += 1;
            } else if self.seq >= self.budget.warmup {
                self.hist
                    .saturating_record((t1 - t0).as_nanos().max(1) as u64);
            }
            self.seq += 1;
            if t1 >= deadline {
                break;
            }
        }
        self.busy += start.elapsed();
        Ok(())
    }

    fn finish(self) -> Rounds {
        let capped = !self.done();
        Rounds {
            hist: self.hist,
            lost: self.lost,
            seconds: self.busy.as_secs_f64(),
            capped,
        }
    }
}

/// Rounds per turn when two points take turns: well under a millisecond,
/// so a burst of other work on the machine lands on both alike.
const TURN: u64 = 20;

/// Runs round trips until the count or the time cap.
pub fn rounds(p: &mut dyn Pinger, budget: &RoundBudget) -> anyhow::Result<Rounds> {
    let mut r = Recorder::new(*budget)?;
    r.block(p, u64::MAX, Instant::now() + budget.time)?;
    Ok(r.finish())
}

fn pinger_of(endpoint: &Endpoint, spec: &LatencySpec) -> anyhow::Result<Box<dyn Pinger>> {
    pinger(
        endpoint,
        spec.stack,
        spec.nodelay,
        spec.size,
        spec.busy_poll,
    )
}

fn settings_of(spec: &LatencySpec) -> TestSettings {
    TestSettings {
        role: Role::Echo,
        transport: spec.transport,
        stack: spec.stack,
        nodelay: spec.nodelay,
        max_datagrams: 0,
        cpu: None,
        owned_recv: false,
        busy_poll_ns: spec.busy_poll.map(|d| d.as_nanos() as u64),
    }
}

fn checked(spec: &LatencySpec, r: &Rounds) -> anyhow::Result<Latency> {
    if r.hist.is_empty() {
        bail!(
            "no {} round trip over {} was answered",
            spec.stack.name(),
            spec.transport.name()
        );
    }
    Ok(latency_of(spec, r))
}

/// Measures one point against the server.
pub fn measure(session: &mut Session, spec: &LatencySpec) -> anyhow::Result<Latency> {
    let (r, _) = session.test(&settings_of(spec), |endpoint| {
        let mut p = pinger_of(endpoint, spec)?;
        rounds(p.as_mut(), &spec.budget)
    })?;
    checked(spec, &r)
}

/// Measures points taking turns every few rounds, each over its own control
/// session, so all see the same machine: the fair way to compare tether
/// with std::net on a machine doing other work. The time cap is the sum of
/// theirs. Gives one figure per spec, in order.
pub fn measure_turns(
    sessions: Vec<&mut Session>,
    specs: &[LatencySpec],
) -> anyhow::Result<Vec<Latency>> {
    if sessions.len() != specs.len() {
        bail!("{} sessions for {} points", sessions.len(), specs.len());
    }
    let mut begun: Vec<(&mut Session, Endpoint)> = Vec::with_capacity(specs.len());
    let mut failed = None;
    for (session, spec) in sessions.into_iter().zip(specs) {
        match session.begin(&settings_of(spec)) {
            Ok(e) => begun.push((session, e)),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    let outcome = match failed {
        Some(e) => Err(e),
        None => take_turns(&begun, specs),
    };
    let finished: Vec<anyhow::Result<ServerResults>> =
        begun.into_iter().map(|(s, _)| s.finish()).collect();
    let rounds = outcome?;
    for f in finished {
        f?;
    }
    specs
        .iter()
        .zip(&rounds)
        .map(|(spec, r)| checked(spec, r))
        .collect()
}

/// The rounds of each begun point, in blocks of [`TURN`] in turn.
fn take_turns(
    begun: &[(&mut Session, Endpoint)],
    specs: &[LatencySpec],
) -> anyhow::Result<Vec<Rounds>> {
    let mut pingers = Vec::with_capacity(specs.len());
    let mut recorders = Vec::with_capacity(specs.len());
    let mut cap = Duration::ZERO;
    for ((_, endpoint), spec) in begun.iter().zip(specs) {
        pingers.push(pinger_of(endpoint, spec)?);
        recorders.push(Recorder::new(spec.budget)?);
        cap += spec.budget.time;
    }
    let deadline = Instant::now() + cap;
    while recorders.iter().any(|r| !r.done()) && Instant::now() < deadline {
        for (r, p) in recorders.iter_mut().zip(&mut pingers) {
            if !r.done() {
                r.block(p.as_mut(), TURN, deadline)?;
            }
        }
    }
    Ok(recorders.into_iter().map(Recorder::finish).collect())
}

fn latency_of(spec: &LatencySpec, r: &Rounds) -> Latency {
    let h = &r.hist;
    Latency {
        transport: spec.transport,
        stack: spec.stack,
        nodelay: spec.nodelay || spec.transport != Transport::Tcp,
        size: spec.size,
        warmup: spec.budget.warmup,
        rounds: h.len(),
        lost: r.lost,
        seconds: r.seconds,
        capped_by_time: r.capped,
        min_ns: h.min(),
        p50_ns: h.value_at_quantile(0.50),
        p90_ns: h.value_at_quantile(0.90),
        p99_ns: h.value_at_quantile(0.99),
        p999_ns: h.value_at_quantile(0.999),
        max_ns: h.max(),
        mean_ns: h.mean(),
    }
}
