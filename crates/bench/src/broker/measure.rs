//! The two broker points. Each side of a point is its own broker
//! connection (a connection publishes to one subject and listens on one),
//! so a round trip is: publish `ping`, the echo's subscription gets it and
//! publishes `pong`, the pinger's subscription gets that.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use hdrhistogram::Histogram;
use tether_bridge::{Broker, BrokerUrl, Credentials, Scheme, Subscription};

use super::{BrokerPlan, RoundTrip, Throughput};

/// How long one answer or message may take before it counts as lost.
const PATIENCE: Duration = Duration::from_secs(1);

/// `plan.url` with `leaf` added to its subject or topic.
fn subject(url: &BrokerUrl, leaf: &str) -> BrokerUrl {
    let mut url = url.clone();
    let sep = match url.scheme {
        Scheme::Nats => '.',
        Scheme::Mqtt => '/',
    };
    url.subject = format!("{}{sep}{}{sep}{leaf}", url.subject, std::process::id());
    url
}

async fn connect(url: &BrokerUrl) -> anyhow::Result<Broker> {
    let credentials = Credentials::from_env()?;
    Ok(Broker::connect(url, credentials.as_ref(), None).await?)
}

async fn listen(url: &BrokerUrl) -> anyhow::Result<(Broker, Subscription)> {
    let broker = connect(url).await?;
    let sub = broker.subscribe().await?;
    Ok((broker, sub))
}

/// Ping-pong through the broker, warm-up first, until the count or the
/// time cap.
pub async fn round_trip(plan: &BrokerPlan) -> anyhow::Result<RoundTrip> {
    let (ping, pong) = (subject(&plan.url, "ping"), subject(&plan.url, "pong"));
    let (_echo_in, mut echo_sub) = listen(&ping).await?;
    let echo_out = connect(&pong).await?;
    let echo = tokio::spawn(async move {
        while let Some(m) = echo_sub.next().await {
            if echo_out.publish(m.payload).await.is_err() {
                break;
            }
        }
    });
    let (_pinger_in, mut answers) = listen(&pong).await?;
    let pinger = connect(&ping).await?;
    let payload = Bytes::from(vec![0x55; plan.size]);
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)?;
    let budget = plan.latency;
    let deadline = Instant::now() + budget.time;
    let (mut done, mut lost) = (0u64, 0u64);
    while done < budget.warmup + budget.rounds && Instant::now() < deadline {
        let start = Instant::now();
        pinger.publish(payload.clone()).await?;
        match tokio::time::timeout(PATIENCE, answers.next()).await {
            Ok(Some(_)) => {}
            Ok(None) => bail!("the broker closed the connection"),
            Err(_) => {
                lost += 1;
                continue;
            }
        }
        let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        if done >= budget.warmup {
            hist.record(ns.max(1))?;
        }
        done += 1;
    }
    echo.abort();
    if hist.is_empty() {
        bail!("no round trip through {} was answered", plan.url);
    }
    Ok(RoundTrip {
        rounds: hist.len(),
        lost,
        p50_ns: hist.value_at_quantile(0.5),
        p99_ns: hist.value_at_quantile(0.99),
        max_ns: hist.max(),
    })
}

/// `plan.count` messages one way as fast as the publisher goes (until its
/// time cap); counted by the subscriber until it has them all or none
/// came for [`PATIENCE`].
pub async fn rate(plan: &BrokerPlan) -> anyhow::Result<Throughput> {
    let data = subject(&plan.url, "rate");
    let (_sub_conn, mut sub) = listen(&data).await?;
    let counter = tokio::spawn(async move {
        let mut received = 0u64;
        let mut last = None;
        while let Ok(Some(_)) = tokio::time::timeout(PATIENCE, sub.next()).await {
            received += 1;
            last = Some(Instant::now());
        }
        (received, last)
    });
    let publisher = connect(&data).await?;
    let payload = Bytes::from(vec![0x55; plan.size]);
    let start = Instant::now();
    let deadline = start + plan.time;
    let mut sent = 0;
    while sent < plan.count && Instant::now() < deadline {
        publisher.publish(payload.clone()).await?;
        sent += 1;
    }
    publisher.close().await?;
    let (received, last) = counter.await.context("the counting task failed")?;
    let seconds = last.map_or(0.0, |t| (t - start).as_secs_f64());
    Ok(Throughput {
        sent,
        received,
        seconds,
        messages_per_s: if seconds > 0.0 {
            received as f64 / seconds
        } else {
            0.0
        },
    })
}
