//! What a bench run measures, with every count and time bound: the default
//! and `--quick` presets, and the points in the order they run.

use std::time::Duration;

use crate::control::{Stack, Transport};
use crate::experiment::Experiment;
use crate::latency::RoundBudget;
use crate::report::{PinningInfo, RateMode, Settings};
use crate::step::Step;
use crate::sys::allowed_cpus;
use crate::wire::BATCH_BYTES;

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
    /// `--busy-poll`: also round trips with busy polling, unpinned, after
    /// the latency points (needs the latency experiment).
    pub busy_poll: Option<Duration>,
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
                busy_poll: None,
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
                busy_poll: None,
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

    /// Whether the plan runs `e`.
    pub fn has(&self, e: Experiment) -> bool {
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
        if let (Some(spin), true) = (self.busy_poll, self.has(Experiment::Latency)) {
            steps.push(Step::BusyPoll(spin));
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

    /// The plan as the report states it.
    pub fn settings(&self) -> Settings {
        Settings {
            experiments: self.experiments.clone(),
            quick: self.quick,
            size: self.size,
            total: self.total,
            sizes: self.sizes.clone(),
            max_time_s: self.max_time.as_secs_f64(),
            repeats: self.repeats.max(1),
            pinning: self.pinning.map(|p| PinningInfo {
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
            batch_bytes: BATCH_BYTES,
            busy_poll_ns: self.busy_poll.map(|d| d.as_nanos() as u64),
        }
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

    /// The CPU of the server's data thread for `step`; `None` for the
    /// busy-poll points, which run unpinned.
    pub fn server_cpu(&self, step: &Step) -> Option<usize> {
        match step {
            Step::BusyPoll(_) => None,
            Step::Rate(..) | Step::NagleRate(_) | Step::Udp(_) => Some(self.second),
            _ => Some(self.first),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_poll_points_follow_the_latency_pairs_and_run_unpinned() {
        let mut plan = Plan::new(true);
        let spin = Duration::from_micros(50);
        plan.busy_poll = Some(spin);
        let steps = plan.steps(true);
        let at = steps.iter().position(|s| *s == Step::BusyPoll(spin));
        assert_eq!(at, Some(3), "after tcp, unix and udp: {steps:?}");
        let pinning = Pinning {
            first: 0,
            second: 1,
        };
        assert_eq!(pinning.server_cpu(&Step::BusyPoll(spin)), None);
        assert_eq!(pinning.server_cpu(&Step::Persistent), Some(0));
        plan.experiments = vec![Experiment::Rate];
        assert!(!plan.steps(true).contains(&Step::BusyPoll(spin)));
    }

    #[test]
    fn every_batch_size_has_both_tether_receivers() {
        let mut plan = Plan::new(true);
        plan.sizes = vec![4];
        let steps = plan.steps(true);
        for mode in [RateMode::Batch, RateMode::BatchOwned, RateMode::StdBatch] {
            assert!(steps.contains(&Step::Rate(mode, 4)), "{mode:?}");
        }
    }
}
