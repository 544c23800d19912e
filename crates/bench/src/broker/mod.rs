//! `tether bench --broker URL`: what a broker costs. The round trip and
//! the rate of small messages through the broker (NATS or MQTT, through
//! tether's own broker endpoints), and in the same run the same two
//! figures over a direct tether link to the embedded bench server, with
//! the ratio of each.

mod measure;

use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tether_bridge::BrokerUrl;

use crate::control::{Stack, Transport};
use crate::latency::{self, LatencySpec, RoundBudget};
use crate::rate::{self, RateSpec};
use crate::report::RateMode;
use crate::session::Session;
use crate::verdict::ratio;

/// Name and version of the JSON layout of a broker run.
pub const SCHEMA: &str = "tether-bench-broker/1";

/// What a broker run measures.
#[derive(Debug, Clone)]
pub struct BrokerPlan {
    /// The broker; the subject or topic is the prefix of the ones used.
    pub url: BrokerUrl,
    /// Payload bytes of every message.
    pub size: usize,
    /// Round trips, each way.
    pub latency: RoundBudget,
    /// Messages of the rate point.
    pub count: u64,
    /// Time cap of the rate point's sender.
    pub time: Duration,
}

/// Round trips of one path.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RoundTrip {
    /// Round trips recorded.
    pub rounds: u64,
    /// Round trips with no answer within a second; not recorded.
    pub lost: u64,
    /// Median.
    pub p50_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// Slowest.
    pub max_ns: u64,
}

/// One-way rate of one path, counted by the receiver.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Throughput {
    /// Messages sent.
    pub sent: u64,
    /// Messages received.
    pub received: u64,
    /// From the first send to the last receive.
    pub seconds: f64,
    /// `received / seconds`.
    pub messages_per_s: f64,
}

/// The two figures of one path.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Path {
    /// Ping-pong round trips.
    pub round_trip: RoundTrip,
    /// Small messages one way.
    pub rate: Throughput,
}

/// A broker run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BrokerReport {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Version of the `tether` that measured.
    pub tether_version: String,
    /// Wall time of the run.
    pub duration_s: f64,
    /// The broker, as a URL.
    pub broker: String,
    /// `nats` or `mqtt`.
    pub protocol: String,
    /// MQTT quality of service used (0 for NATS).
    pub qos: u8,
    /// Payload bytes of every message.
    pub size: usize,
    /// Through the broker: publisher, broker, subscriber.
    pub through_broker: Path,
    /// Over one tether TCP link on loopback (`send`, linger 100 µs).
    pub direct: Path,
    /// Broker round trip p50 / direct (how many times slower).
    pub round_trip_ratio: f64,
    /// Broker rate / direct (the share of the direct rate kept).
    pub rate_ratio: f64,
}

/// Runs the direct points against `session` (the embedded bench server)
/// and the broker points against `plan.url`; `on_step` gets a label before
/// each of the four points.
pub fn run(
    session: &mut Session,
    plan: &BrokerPlan,
    mut on_step: impl FnMut(&str),
) -> anyhow::Result<BrokerReport> {
    let started = Instant::now();
    on_step("round trip over a direct link");
    let spec = LatencySpec {
        transport: Transport::Tcp,
        stack: Stack::Tether,
        nodelay: true,
        size: plan.size,
        budget: plan.latency,
        busy_poll: None,
    };
    let l = latency::measure(session, &spec)?;
    let direct_rtt = RoundTrip {
        rounds: l.rounds,
        lost: l.lost,
        p50_ns: l.p50_ns,
        p99_ns: l.p99_ns,
        max_ns: l.max_ns,
    };
    on_step("rate over a direct link");
    let spec = RateSpec {
        mode: RateMode::Send,
        nodelay: true,
        size: plan.size,
        total: plan.count * plan.size as u64,
        time: plan.time,
    };
    let r = rate::measure(session, &spec)?;
    let direct_rate = Throughput {
        sent: r.sent,
        received: r.received,
        seconds: r.seconds,
        messages_per_s: r.messages_per_s,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime for the broker clients")?;
    let (broker_rtt, broker_rate) = runtime.block_on(async {
        on_step("round trip through the broker");
        let rtt = measure::round_trip(plan).await?;
        on_step("rate through the broker");
        let rate = measure::rate(plan).await?;
        anyhow::Ok((rtt, rate))
    })?;
    Ok(BrokerReport {
        schema: SCHEMA.into(),
        tether_version: env!("CARGO_PKG_VERSION").into(),
        duration_s: started.elapsed().as_secs_f64(),
        broker: plan.url.to_string(),
        protocol: plan.url.scheme.name().into(),
        qos: plan.url.qos,
        size: plan.size,
        round_trip_ratio: ratio(broker_rtt.p50_ns as f64, direct_rtt.p50_ns as f64),
        rate_ratio: ratio(broker_rate.messages_per_s, direct_rate.messages_per_s),
        through_broker: Path {
            round_trip: broker_rtt,
            rate: broker_rate,
        },
        direct: Path {
            round_trip: direct_rtt,
            rate: direct_rate,
        },
    })
}
