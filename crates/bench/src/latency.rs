//! Experiment 1, latency: ping-pong round trips of a small message over a
//! persistent link, recorded in an HDR histogram in nanoseconds after the
//! warm-up rounds; a point ends at its round count or its time cap,
//! whichever comes first.

use std::time::{Duration, Instant};

use crate::control::{Role, Stack, TestSettings, Transport};
use crate::ping::{pinger, Pinger};
use crate::report::Latency;
use crate::session::Session;
use anyhow::{bail, Context};
use hdrhistogram::Histogram;

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

fn settings_of(spec: &LatencySpec) -> TestSettings {
    TestSettings {
        role: Role::Echo,
        transport: spec.transport,
        stack: spec.stack,
        nodelay: spec.nodelay,
        max_datagrams: 0,
        cpu: None,
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
        let mut p = pinger(endpoint, spec.stack, spec.nodelay, spec.size)?;
        rounds(p.as_mut(), &spec.budget)
    })?;
    checked(spec, &r)
}

/// Measures two points taking turns every few milliseconds, each over its
/// own control session, so both see the same machine: the fair way to
/// compare tether with std::net on a machine doing other work. The time cap
/// is the sum of the two.
pub fn measure_pair(
    sessions: [&mut Session; 2],
    specs: [&LatencySpec; 2],
) -> anyhow::Result<[Latency; 2]> {
    let [sa, sb] = sessions;
    let [a, b] = specs;
    let ea = sa.begin(&settings_of(a))?;
    let eb = match sb.begin(&settings_of(b)) {
        Ok(e) => e,
        Err(e) => {
            let _ = sa.finish();
            return Err(e);
        }
    };
    let outcome = (|| -> anyhow::Result<(Rounds, Rounds)> {
        let mut pa = pinger(&ea, a.stack, a.nodelay, a.size)?;
        let mut pb = pinger(&eb, b.stack, b.nodelay, b.size)?;
        let (mut ra, mut rb) = (Recorder::new(a.budget)?, Recorder::new(b.budget)?);
        let deadline = Instant::now() + a.budget.time + b.budget.time;
        while (!ra.done() || !rb.done()) && Instant::now() < deadline {
            if !ra.done() {
                ra.block(pa.as_mut(), TURN, deadline)?;
            }
            if !rb.done() {
                rb.block(pb.as_mut(), TURN, deadline)?;
            }
        }
        Ok((ra.finish(), rb.finish()))
    })();
    let fa = sa.finish();
    let fb = sb.finish();
    let (ra, rb) = outcome?;
    fa?;
    fb?;
    Ok([checked(a, &ra)?, checked(b, &rb)?])
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
