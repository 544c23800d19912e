//! Runs a plan against a bench server, point by point, and puts the figures
//! together into the report.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;

use crate::busy_poll::{self, BusyPoll};
use crate::connect::{self, ConnectSpec};
use crate::control::Stack;
use crate::experiment::Experiment;
use crate::latency::{self, LatencySpec};
use crate::nagle;
use crate::plan::Plan;
use crate::rate::{self, RateSpec};
use crate::report::{
    Baseline, ConnectRun, Latency, Rate, Report, ServerInfo, ServerMode, UdpPoint, SCHEMA,
};
use crate::session::Session;
use crate::step::Step;
use crate::sys::{allowed_cpus, machine, pin_thread, unpin_thread};
use crate::udp::{self, UdpSpec};
use crate::verdict::{comparisons, targets};

/// What the points gave so far.
#[derive(Default)]
struct Acc {
    latency: Vec<Latency>,
    base_latency: Vec<Latency>,
    rates: Vec<Rate>,
    base_rates: Vec<Rate>,
    persistent: Option<ConnectRun>,
    per_connection: Option<ConnectRun>,
    nagle_lat: Vec<(bool, Latency)>,
    nagle_rate: Vec<(bool, Rate)>,
    udp_points: Vec<UdpPoint>,
    busy_poll: Option<BusyPoll>,
}

impl Acc {
    fn latency(&mut self, stack: Stack, l: Latency) {
        match stack {
            Stack::Tether => self.latency.push(l),
            Stack::Std => self.base_latency.push(l),
        }
    }

    /// Keeps the best of the repeats of a rate point: the one least
    /// disturbed by the rest of the machine, for tether and std alike.
    fn rate(&mut self, r: Rate) {
        let list = if r.mode.is_std() {
            &mut self.base_rates
        } else {
            &mut self.rates
        };
        match list
            .iter_mut()
            .find(|x| x.mode == r.mode && x.size == r.size)
        {
            Some(old) if old.messages_per_s >= r.messages_per_s => {}
            Some(old) => *old = r,
            None => list.push(r),
        }
    }
}

/// The control sessions of a run, with the plan and its connect spec.
struct Ctx<'a> {
    session: &'a mut Session,
    /// More control sessions, for the other sides of points taking turns.
    others: Vec<Session>,
    plan: &'a Plan,
    connect: ConnectSpec,
    /// The CPUs the client thread may use unpinned.
    cpus: Vec<usize>,
}

impl Ctx<'_> {
    fn latency_spec(&self, transport: crate::control::Transport, stack: Stack) -> LatencySpec {
        LatencySpec {
            transport,
            stack,
            nodelay: true,
            size: self.plan.size,
            budget: self.plan.latency,
            busy_poll: None,
        }
    }

    /// tether and std round trips over `transport`, taking turns.
    fn latency_pair(
        &mut self,
        transport: crate::control::Transport,
        cpu: Option<usize>,
    ) -> anyhow::Result<[Latency; 2]> {
        let specs = [
            self.latency_spec(transport, Stack::Tether),
            self.latency_spec(transport, Stack::Std),
        ];
        let sessions = self.sessions(2, cpu)?;
        latency::measure_turns(sessions, &specs)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("a latency pair gave other than two figures"))
    }

    /// The main control session and `n - 1` others, the others' server
    /// threads on `cpu`.
    fn sessions(&mut self, n: usize, cpu: Option<usize>) -> anyhow::Result<Vec<&mut Session>> {
        while self.others.len() + 1 < n {
            let s = Session::connect(self.session.endpoint())?;
            self.others.push(s);
        }
        let mut all = vec![&mut *self.session];
        for s in self.others.iter_mut().take(n - 1) {
            s.set_server_cpu(cpu);
            all.push(s);
        }
        Ok(all)
    }

    /// The busy-poll points, with the client thread unpinned for them.
    fn busy_poll(&mut self, spin: std::time::Duration) -> anyhow::Result<BusyPoll> {
        let plan = self.plan;
        if plan.pinning.is_some() {
            unpin_thread(&self.cpus);
        }
        let sessions = self.sessions(3, None);
        let outcome = sessions.and_then(|s| busy_poll::measure(s, plan.size, plan.latency, spin));
        if let Some(p) = &plan.pinning {
            pin_thread(p.first);
        }
        outcome
    }

    /// Measures one point into `acc`.
    fn step(&mut self, step: &Step, cpu: Option<usize>, acc: &mut Acc) -> anyhow::Result<()> {
        let plan = self.plan;
        match *step {
            Step::Latency(transport, stack) => {
                let spec = self.latency_spec(transport, stack);
                acc.latency(stack, latency::measure(self.session, &spec)?);
            }
            Step::LatencyPair(transport) => {
                let [t, s] = self.latency_pair(transport, cpu)?;
                acc.latency.push(t);
                acc.base_latency.push(s);
            }
            Step::BusyPoll(spin) => acc.busy_poll = Some(self.busy_poll(spin)?),
            Step::Rate(mode, size) => {
                let spec = RateSpec {
                    mode,
                    nodelay: true,
                    size,
                    total: plan.total,
                    time: plan.max_time,
                };
                acc.rate(rate::measure(self.session, &spec)?);
            }
            Step::Persistent => {
                acc.persistent = Some(connect::persistent(self.session, &self.connect)?);
            }
            Step::PerConnection => {
                acc.per_connection = Some(connect::per_connection(self.session, &self.connect)?);
            }
            Step::NagleLatency(nodelay) => {
                let spec = nagle::latency_spec(nodelay, plan.size, plan.nagle_latency);
                acc.nagle_lat
                    .push((nodelay, latency::measure(self.session, &spec)?));
            }
            Step::NagleRate(nodelay) => {
                let spec = nagle::rate_spec(nodelay, plan.size, plan.total, plan.max_time);
                acc.nagle_rate
                    .push((nodelay, rate::measure(self.session, &spec)?));
            }
            Step::Udp(offered) => {
                let spec = UdpSpec {
                    size: plan.size,
                    offered,
                    time: plan.udp_time,
                };
                acc.udp_points.push(udp::measure(self.session, &spec)?);
            }
        }
        Ok(())
    }
}

fn run_steps(
    ctx: &mut Ctx<'_>,
    on_step: &mut impl FnMut(usize, &Step),
    acc: &mut Acc,
) -> anyhow::Result<()> {
    let plan = ctx.plan;
    for (i, step) in plan.steps(ctx.session.same_host()).iter().enumerate() {
        on_step(i, step);
        let cpu = plan.pinning.and_then(|p| p.server_cpu(step));
        ctx.session.set_server_cpu(cpu);
        ctx.step(step, cpu, acc)
            .with_context(|| format!("bench point \"{}\"", step.label()))?;
    }
    Ok(())
}

/// Runs the plan against the server of `session`; `on_step` is called
/// before each point with its index and the point. `server_mode` says
/// where that server is, for the report.
pub fn run(
    session: &mut Session,
    plan: &Plan,
    server_mode: ServerMode,
    mut on_step: impl FnMut(usize, &Step),
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let started_unix_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let connect = ConnectSpec {
        size: plan.size,
        count: plan.connect_count,
        time: plan.connect_time,
    };
    let mut acc = Acc::default();
    let original_cpus = allowed_cpus();
    if let Some(p) = &plan.pinning {
        pin_thread(p.first);
    }
    let mut ctx = Ctx {
        session,
        others: Vec::new(),
        plan,
        connect,
        cpus: original_cpus.clone(),
    };
    let outcome = run_steps(&mut ctx, &mut on_step, &mut acc);
    ctx.others.clear();
    ctx.session.set_server_cpu(None);
    if plan.pinning.is_some() {
        unpin_thread(&original_cpus);
    }
    outcome?;
    let server = ServerInfo {
        mode: server_mode,
        endpoint: ctx.session.endpoint().to_string(),
        version: ctx.session.server_version().into(),
    };
    let mut report = assemble(plan, &connect, server, acc, started_unix_s);
    report.duration_s = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The report of the figures gathered, with its comparisons and targets.
fn assemble(
    plan: &Plan,
    connect_spec: &ConnectSpec,
    server: ServerInfo,
    acc: Acc,
    started_unix_s: u64,
) -> Report {
    let has = |e| plan.has(e);
    let connect = match (acc.persistent, acc.per_connection) {
        (Some(p), Some(c)) => Some(connect::combine(connect_spec, p, c)),
        _ => None,
    };
    let nagle = has(Experiment::Nagle).then(|| {
        acc.nagle_lat
            .into_iter()
            .zip(acc.nagle_rate)
            .map(|((on, l), (_, r))| nagle::combine(on, l, r))
            .collect()
    });
    let baseline = has(Experiment::Baseline).then_some(Baseline {
        latency: acc.base_latency,
        rate: acc.base_rates,
    });
    let mut report = Report {
        schema: SCHEMA.into(),
        tether_version: env!("CARGO_PKG_VERSION").into(),
        started_unix_s,
        duration_s: 0.0,
        machine: machine(),
        server,
        settings: plan.settings(),
        latency: has(Experiment::Latency).then_some(acc.latency),
        rate: has(Experiment::Rate).then_some(acc.rates),
        connect,
        nagle,
        baseline,
        udp: has(Experiment::Udp).then_some(acc.udp_points),
        busy_poll: acc.busy_poll,
        comparisons: Vec::new(),
        targets: Vec::new(),
    };
    report.comparisons = comparisons(&report);
    report.targets = targets(&report);
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::RateMode;

    fn rate(mode: RateMode, size: usize, per_s: f64) -> Rate {
        Rate {
            mode,
            stack: if mode.is_std() {
                Stack::Std
            } else {
                Stack::Tether
            },
            transport: crate::control::Transport::Tcp,
            nodelay: true,
            size,
            sent: 10,
            received: 10,
            received_bytes: 10 * size as u64,
            seconds: 1.0,
            messages_per_s: per_s,
            bytes_per_s: per_s * size as f64,
            capped_by_time: false,
        }
    }

    #[test]
    fn the_best_of_the_repeats_is_kept() {
        let mut acc = Acc::default();
        acc.rate(rate(RateMode::Send, 4, 10.0));
        acc.rate(rate(RateMode::Send, 4, 30.0));
        acc.rate(rate(RateMode::Send, 4, 20.0));
        acc.rate(rate(RateMode::StdBatch, 4, 5.0));
        assert_eq!(acc.rates.len(), 1);
        assert_eq!(acc.rates[0].messages_per_s, 30.0);
        assert_eq!(acc.base_rates.len(), 1);
    }
}
