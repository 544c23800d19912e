//! The bench engine behind `tether bench`: each experiment in its own
//! module, the server and its control exchange, and the JSON model.
//!
//! Measurements run on blocking tether links in plain threads; the
//! baseline runs plain std::net sockets in the same run, interleaved with
//! the tether points it is compared with.

pub mod baseline;
pub mod connect;
pub mod control;
pub mod latency;
pub mod nagle;
pub mod rate;
pub mod report;
pub mod server;
pub mod udp;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use self::connect::ConnectSpec;
use self::control::{Session, Stack, Transport};
use self::latency::{LatencySpec, RoundBudget};
use self::rate::RateSpec;
use self::report::{
    Baseline, Comparison, ConnectRun, Latency, Machine, Rate, RateMode, Report, ServerInfo,
    Settings, Target, UdpPoint, SCHEMA,
};
use self::udp::UdpSpec;

/// One experiment of `tether bench`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Experiment {
    /// Round-trip latency per transport.
    Latency,
    /// Rate against message size, per send mode.
    Rate,
    /// Persistent link against a connection per message.
    Connect,
    /// TCP_NODELAY on and off.
    Nagle,
    /// The same over plain std::net.
    Baseline,
    /// UDP delivery at each offered rate.
    Udp,
}

impl Experiment {
    /// Every experiment, in the order of the report.
    pub const ALL: [Experiment; 6] = [
        Experiment::Latency,
        Experiment::Rate,
        Experiment::Connect,
        Experiment::Nagle,
        Experiment::Baseline,
        Experiment::Udp,
    ];
}

/// Message sizes of the rate experiment: the decades, and 4 B for the
/// small-message target.
pub const SIZES: [usize; 8] = [1, 4, 10, 100, 1 << 10, 10 << 10, 100 << 10, 1 << 20];

/// From this size up, a rate point gets three times the runs.
pub const BIG_MESSAGE: usize = 64 << 10;

/// What to run, with every count and time bound.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Experiments to run.
    pub experiments: Vec<Experiment>,
    /// `--quick`.
    pub quick: bool,
    /// Payload of latency, connect, Nagle and UDP messages.
    pub size: usize,
    /// Bytes per rate point.
    pub total: u64,
    /// Rate point sizes.
    pub sizes: Vec<usize>,
    /// Time cap of a rate point.
    pub max_time: Duration,
    /// CPUs for client and server threads (embedded server only).
    pub pinning: Option<Pinning>,
    /// Runs of each rate point, taking turns with the other modes of its
    /// size; the best is kept.
    pub repeats: u32,
    /// Latency rounds and time.
    pub latency: RoundBudget,
    /// Nagle latency rounds and time.
    pub nagle_latency: RoundBudget,
    /// Connect count and time per half.
    pub connect_count: u64,
    /// Time cap of each connect half.
    pub connect_time: Duration,
    /// Offered UDP rates.
    pub udp_rates: Vec<Option<f64>>,
    /// Sending time per UDP rate.
    pub udp_time: Duration,
}

impl Plan {
    /// The default run (about 40 s on a small machine) or the quick one
    /// (a few seconds).
    pub fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                experiments: Experiment::ALL.to_vec(),
                quick,
                size: 4,
                total: 4 << 20,
                sizes: SIZES.to_vec(),
                max_time: Duration::from_millis(80),
                repeats: 1,
                pinning: None,
                latency: RoundBudget {
                    warmup: 100,
                    rounds: 5_000,
                    time: Duration::from_millis(200),
                },
                nagle_latency: RoundBudget {
                    warmup: 100,
                    rounds: 2_000,
                    time: Duration::from_millis(150),
                },
                connect_count: 1_000,
                connect_time: Duration::from_millis(200),
                udp_rates: vec![Some(100_000.0), None],
                udp_time: Duration::from_millis(100),
            }
        } else {
            Plan {
                experiments: Experiment::ALL.to_vec(),
                quick,
                size: 4,
                total: 64 << 20,
                sizes: SIZES.to_vec(),
                max_time: Duration::from_millis(250),
                repeats: 3,
                pinning: None,
                latency: RoundBudget {
                    warmup: 2_000,
                    rounds: 200_000,
                    time: Duration::from_millis(1_500),
                },
                nagle_latency: RoundBudget {
                    warmup: 1_000,
                    rounds: 100_000,
                    time: Duration::from_millis(800),
                },
                connect_count: 20_000,
                connect_time: Duration::from_secs(1),
                udp_rates: vec![Some(100_000.0), Some(300_000.0), Some(1_000_000.0), None],
                udp_time: Duration::from_millis(400),
            }
        }
    }

    /// Runs of a rate point of `size`: big messages finish a run in a few
    /// milliseconds, where one scheduling hiccup weighs a lot, so they get
    /// three times the runs (they cost little).
    pub fn repeats_for(&self, size: usize) -> u32 {
        let base = self.repeats.max(1);
        if size >= BIG_MESSAGE {
            base * 3
        } else {
            base
        }
    }

    fn has(&self, e: Experiment) -> bool {
        self.experiments.contains(&e)
    }

    /// The points to measure, in order: each tether point next to the
    /// baseline point it is compared with.
    pub fn steps(&self, same_host: bool) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut transports = vec![Transport::Tcp];
        if same_host {
            transports.push(Transport::Unix);
        }
        transports.push(Transport::Udp);
        for &t in &transports {
            match (
                self.has(Experiment::Latency),
                self.has(Experiment::Baseline),
            ) {
                (true, true) => steps.push(Step::LatencyPair(t)),
                (true, false) => steps.push(Step::Latency(t, Stack::Tether)),
                (false, true) => steps.push(Step::Latency(t, Stack::Std)),
                (false, false) => {}
            }
        }
        for &size in &self.sizes {
            for _ in 0..self.repeats_for(size) {
                for mode in RateMode::ALL {
                    let wanted = if mode.is_std() {
                        Experiment::Baseline
                    } else {
                        Experiment::Rate
                    };
                    if self.has(wanted) {
                        steps.push(Step::Rate(mode, size));
                    }
                }
            }
        }
        if self.has(Experiment::Connect) {
            steps.push(Step::Persistent);
            steps.push(Step::PerConnection);
        }
        if self.has(Experiment::Nagle) {
            for nodelay in [true, false] {
                steps.push(Step::NagleLatency(nodelay));
                steps.push(Step::NagleRate(nodelay));
            }
        }
        if self.has(Experiment::Udp) {
            for &rate in &self.udp_rates {
                steps.push(Step::Udp(rate));
            }
        }
        steps
    }

    fn settings(&self) -> Settings {
        Settings {
            experiments: self.experiments.clone(),
            quick: self.quick,
            size: self.size,
            total: self.total,
            sizes: self.sizes.clone(),
            max_time_s: self.max_time.as_secs_f64(),
            repeats: self.repeats.max(1),
            pinning: self.pinning.map(|p| report::PinningInfo {
                client_cpu: p.first,
                round_trip_server_cpu: p.first,
                one_way_server_cpu: p.second,
            }),
            latency_warmup: self.latency.warmup,
            latency_rounds: self.latency.rounds,
            latency_time_s: self.latency.time.as_secs_f64(),
            connect_count: self.connect_count,
            connect_time_s: self.connect_time.as_secs_f64(),
            udp_rates: self.udp_rates.clone(),
            udp_time_s: self.udp_time.as_secs_f64(),
            batch_bytes: baseline::BATCH_BYTES,
        }
    }
}

/// One measured point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// A round-trip point.
    Latency(Transport, Stack),
    /// tether and std round trips over one transport, taking turns.
    LatencyPair(Transport),
    /// A rate point.
    Rate(RateMode, usize),
    /// Connect experiment, persistent half.
    Persistent,
    /// Connect experiment, a connection per message.
    PerConnection,
    /// Nagle latency with `TCP_NODELAY` set as given.
    NagleLatency(bool),
    /// Nagle small-message rate.
    NagleRate(bool),
    /// UDP at an offered rate.
    Udp(Option<f64>),
}

impl Step {
    /// A few words for the progress bar.
    pub fn label(&self) -> String {
        match self {
            Step::Latency(t, s) => format!("latency {} {}", s.name(), t.name()),
            Step::LatencyPair(t) => format!("latency tether and std {}", t.name()),
            Step::Rate(m, size) => format!("rate {} {}", m.label(), size_label(*size)),
            Step::Persistent => "persistent link".into(),
            Step::PerConnection => "connection per message".into(),
            Step::NagleLatency(on) => format!("latency, nodelay {}", on_off(*on)),
            Step::NagleRate(on) => format!("rate, nodelay {}", on_off(*on)),
            Step::Udp(Some(r)) => format!("udp at {:.0} k/s", r / 1e3),
            Step::Udp(None) => "udp unpaced".into(),
        }
    }
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// `1 B`, `10 KiB`, `1 MiB`.
pub fn size_label(size: usize) -> String {
    if size >= 1 << 20 && size % (1 << 20) == 0 {
        format!("{} MiB", size >> 20)
    } else if size >= 1 << 10 && size % (1 << 10) == 0 {
        format!("{} KiB", size >> 10)
    } else {
        format!("{size} B")
    }
}

/// CPUs this process may run on, in order.
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain bits; sched_getaffinity fills it or fails.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: a valid, writable cpu_set_t of the size given.
    let ok =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if ok != 0 {
        return Vec::new();
    }
    (0..libc::CPU_SETSIZE as usize)
        // SAFETY: cpu is below CPU_SETSIZE.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect()
}

/// Binds the calling thread to `cpu` (best effort: false if refused).
pub fn pin_thread(cpu: usize) -> bool {
    // SAFETY: as in allowed_cpus; CPU_SET checks nothing beyond the index,
    // which is below CPU_SETSIZE here.
    unsafe {
        if cpu >= libc::CPU_SETSIZE as usize {
            return false;
        }
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

/// Restores the calling thread's CPUs.
fn unpin_thread(cpus: &[usize]) {
    // SAFETY: as in pin_thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus.iter().filter(|&&c| c < libc::CPU_SETSIZE as usize) {
            libc::CPU_SET(cpu, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Where the threads of a point run, with an embedded server: round trips
/// with both ends on one CPU, one-way transfers with one CPU each.
/// Unpinned, the scheduler's choice decides: a wake-up across CPUs costs
/// several times a same-CPU one in a VM, and it flips from run to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pinning {
    /// The client's CPU, and the server's for round trips.
    pub first: usize,
    /// The server's CPU for one-way transfers.
    pub second: usize,
}

impl Pinning {
    /// The first two allowed CPUs (or one, twice).
    pub fn detect() -> Option<Pinning> {
        let cpus = allowed_cpus();
        let first = *cpus.first()?;
        Some(Pinning {
            first,
            second: cpus.get(1).copied().unwrap_or(first),
        })
    }

    fn server_cpu(&self, step: &Step) -> usize {
        match step {
            Step::Rate(..) | Step::NagleRate(_) | Step::Udp(_) => self.second,
            _ => self.first,
        }
    }
}

/// Runs the plan against the server of `session`; `on_step` is called
/// before each point with its index and label.
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
}

fn run_steps(
    session: &mut Session,
    plan: &Plan,
    on_step: &mut impl FnMut(usize, &Step),
    connect_spec: &ConnectSpec,
    acc: &mut Acc,
) -> anyhow::Result<()> {
    // A second control session for the std side of interleaved points.
    let mut second: Option<Session> = None;
    let Acc {
        latency,
        base_latency,
        rates,
        base_rates,
        persistent,
        per_connection,
        nagle_lat,
        nagle_rate,
        udp_points,
    } = acc;
    for (i, step) in plan.steps(session.same_host()).iter().enumerate() {
        on_step(i, step);
        let cpu = plan.pinning.map(|p| p.server_cpu(step));
        session.set_server_cpu(cpu);
        let what = || format!("bench point \"{}\"", step.label());
        match *step {
            Step::Latency(transport, stack) => {
                let spec = LatencySpec {
                    transport,
                    stack,
                    nodelay: true,
                    size: plan.size,
                    budget: plan.latency,
                };
                let l = latency::measure(session, &spec).with_context(what)?;
                match stack {
                    Stack::Tether => latency.push(l),
                    Stack::Std => base_latency.push(l),
                }
            }
            Step::LatencyPair(transport) => {
                let spec = |stack| LatencySpec {
                    transport,
                    stack,
                    nodelay: true,
                    size: plan.size,
                    budget: plan.latency,
                };
                if second.is_none() {
                    second = Some(Session::connect(session.endpoint())?);
                }
                if let Some(other) = second.as_mut() {
                    other.set_server_cpu(cpu);
                }
                let Some(other) = second.as_mut() else {
                    continue;
                };
                let [t, s] = latency::measure_pair(
                    [&mut *session, other],
                    [&spec(Stack::Tether), &spec(Stack::Std)],
                )
                .with_context(what)?;
                latency.push(t);
                base_latency.push(s);
            }
            Step::Rate(mode, size) => {
                let spec = RateSpec {
                    mode,
                    nodelay: true,
                    size,
                    total: plan.total,
                    time: plan.max_time,
                };
                let r = rate::measure(session, &spec).with_context(what)?;
                let list = if mode.is_std() {
                    &mut *base_rates
                } else {
                    &mut *rates
                };
                // Best of the repeats: the one least disturbed by the rest
                // of the machine, for tether and std alike.
                match list.iter_mut().find(|x| x.mode == mode && x.size == size) {
                    Some(old) if old.messages_per_s >= r.messages_per_s => {}
                    Some(old) => *old = r,
                    None => list.push(r),
                }
            }
            Step::Persistent => {
                *persistent = Some(connect::persistent(session, connect_spec).with_context(what)?);
            }
            Step::PerConnection => {
                *per_connection =
                    Some(connect::per_connection(session, connect_spec).with_context(what)?);
            }
            Step::NagleLatency(nodelay) => {
                let spec = nagle::latency_spec(nodelay, plan.size, plan.nagle_latency);
                nagle_lat.push((
                    nodelay,
                    latency::measure(session, &spec).with_context(what)?,
                ));
            }
            Step::NagleRate(nodelay) => {
                let spec = nagle::rate_spec(nodelay, plan.size, plan.total, plan.max_time);
                nagle_rate.push((nodelay, rate::measure(session, &spec).with_context(what)?));
            }
            Step::Udp(offered) => {
                let spec = UdpSpec {
                    size: plan.size,
                    offered,
                    time: plan.udp_time,
                };
                udp_points.push(udp::measure(session, &spec).with_context(what)?);
            }
        }
    }

    Ok(())
}

pub fn run(
    session: &mut Session,
    plan: &Plan,
    server_mode: &str,
    mut on_step: impl FnMut(usize, &Step),
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let started_unix_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let connect_spec = ConnectSpec {
        size: plan.size,
        count: plan.connect_count,
        time: plan.connect_time,
    };
    let mut acc = Acc::default();
    let original_cpus = allowed_cpus();
    if let Some(p) = &plan.pinning {
        pin_thread(p.first);
    }
    let outcome = run_steps(session, plan, &mut on_step, &connect_spec, &mut acc);
    session.set_server_cpu(None);
    if plan.pinning.is_some() {
        unpin_thread(&original_cpus);
    }
    outcome?;
    let Acc {
        latency,
        base_latency,
        rates,
        base_rates,
        persistent,
        per_connection,
        nagle_lat,
        nagle_rate,
        udp_points,
    } = acc;
    let has = |e| plan.has(e);
    let connect = match (persistent, per_connection) {
        (Some(p), Some(c)) => Some(connect::combine(&connect_spec, p, c)),
        _ => None,
    };
    let nagle = has(Experiment::Nagle).then(|| {
        nagle_lat
            .into_iter()
            .zip(nagle_rate)
            .map(|((on, l), (_, r))| nagle::combine(on, l, r))
            .collect()
    });
    let baseline = has(Experiment::Baseline).then_some(Baseline {
        latency: base_latency,
        rate: base_rates,
    });
    let mut report = Report {
        schema: SCHEMA.into(),
        tether_version: env!("CARGO_PKG_VERSION").into(),
        started_unix_s,
        duration_s: 0.0,
        machine: machine(),
        server: ServerInfo {
            mode: server_mode.into(),
            endpoint: session.endpoint().to_string(),
            version: session.server_version().into(),
        },
        settings: plan.settings(),
        latency: has(Experiment::Latency).then_some(latency),
        rate: has(Experiment::Rate).then_some(rates),
        connect,
        nagle,
        baseline,
        udp: has(Experiment::Udp).then_some(udp_points),
        comparisons: Vec::new(),
        targets: Vec::new(),
    };
    report.comparisons = comparisons(&report);
    report.targets = targets(&report);
    report.duration_s = started.elapsed().as_secs_f64();
    Ok(report)
}

/// tether against std::net for every point measured both ways.
pub fn comparisons(r: &Report) -> Vec<Comparison> {
    let mut out = Vec::new();
    let Some(base) = &r.baseline else {
        return out;
    };
    for l in r.latency.iter().flatten() {
        if let Some(b) = base.latency.iter().find(|b| b.transport == l.transport) {
            out.push(Comparison {
                what: format!("latency p50, {}", l.transport.name()),
                tether: l.p50_ns as f64,
                std: b.p50_ns as f64,
                unit: "ns".into(),
                ratio: ratio(l.p50_ns as f64, b.p50_ns as f64),
                better: "lower".into(),
            });
        }
    }
    for t in r.rate.iter().flatten() {
        let want = t.mode.baseline();
        if let Some(b) = base
            .rate
            .iter()
            .find(|b| b.mode == want && b.size == t.size)
        {
            out.push(Comparison {
                what: format!("rate, {}, {}", t.mode.label(), size_label(t.size)),
                tether: t.messages_per_s,
                std: b.messages_per_s,
                unit: "msg/s".into(),
                ratio: ratio(t.messages_per_s, b.messages_per_s),
                better: "higher".into(),
            });
        }
    }
    out
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// The three targets of the project, where this run measured them.
pub fn targets(r: &Report) -> Vec<Target> {
    let mut out = Vec::new();
    if let Some(c) = r.comparisons.iter().find(|c| c.what == "latency p50, tcp") {
        out.push(Target {
            name: "latency p50 over tcp, tether / std".into(),
            value: c.ratio,
            op: "<=".into(),
            bound: 1.10,
            met: c.ratio <= 1.10,
        });
    }
    if let Some(b) = r
        .rate
        .iter()
        .flatten()
        .find(|x| x.mode == RateMode::Batch && x.size == 4)
    {
        out.push(Target {
            name: "batch rate of 4-byte messages, msg/s".into(),
            value: b.messages_per_s,
            op: ">=".into(),
            bound: 10e6,
            met: b.messages_per_s >= 10e6,
        });
    }
    if let Some(t) = r
        .rate
        .iter()
        .flatten()
        .find(|x| x.mode == RateMode::Send && x.size == 1 << 20)
    {
        if let Some(b) = r
            .baseline
            .iter()
            .flat_map(|b| &b.rate)
            .find(|x| x.mode == RateMode::StdPerMessage && x.size == 1 << 20)
        {
            let v = ratio(t.bytes_per_s, b.bytes_per_s);
            out.push(Target {
                name: "bulk rate of 1 MiB messages, tether send / std".into(),
                value: v,
                op: ">=".into(),
                bound: 0.9,
                met: v >= 0.9,
            });
        }
    }
    out
}

/// Kernel, CPU count and model of this machine.
pub fn machine() -> Machine {
    // SAFETY: utsname is plain bytes; uname fills it or fails.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: a valid, writable utsname.
    let ok = unsafe { libc::uname(&mut u) } == 0;
    let field = |f: &[libc::c_char]| -> String {
        if !ok {
            return String::new();
        }
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    });
    Machine {
        os: field(&u.sysname),
        kernel: field(&u.release),
        arch: field(&u.machine),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model,
        hostname: field(&u.nodename),
    }
}
