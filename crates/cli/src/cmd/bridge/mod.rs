//! `tether bridge FROM TO`: a link listened on into a broker, a broker
//! into a link connected to, or a broker into another. Each message is
//! one broker message, payload unchanged; what could not be passed on is
//! counted, never lost silently.

mod from_link;
mod publisher;
mod tally;
mod to_link;

use std::time::Instant;

use anyhow::{bail, Context as _};
use tether::{Options, Record};
use tether_bridge::{Broker, BrokerUrl, Credentials};

use self::tally::Tally;
use crate::cli::{BridgeArgs, Target};
use crate::output::caret::parse_format;

/// Runs `tether bridge`.
pub fn run(args: BridgeArgs) -> anyhow::Result<()> {
    let record = args.format.as_deref().map(parse_format).transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(bridge(args, record))
}

async fn bridge(args: BridgeArgs, record: Option<Record>) -> anyhow::Result<()> {
    let framing = args.framing.resolve(record.as_ref().map(Record::size))?;
    let options = Options::new()
        .framing(framing)
        .max_frame_len(args.max_frame_len);
    let tally = std::sync::Arc::new(Tally::new(record.as_ref().map(Record::size)));
    let shutdown = crate::cmd::listen::shutdown_on(None)?;
    let origin = format!("tether-bridge-{}", std::process::id());
    let started = Instant::now();
    match (&args.from, &args.to) {
        (Target::Link(from), Target::Broker(to)) => {
            if to.is_wildcard() {
                bail!("cannot publish to a wildcard ({to}); name one subject or topic");
            }
            let broker = connect(to, &origin).await?;
            let back = if args.both {
                Some(broker.subscribe().await?)
            } else {
                None
            };
            eprintln!("bridging {from} {} {to} — Ctrl-C to stop", arrow(args.both));
            from_link::run(from, &options, broker, back, args.hold, &tally, shutdown).await?;
        }
        (Target::Broker(from), Target::Link(to)) => {
            if args.both && from.is_wildcard() {
                bail!("--both publishes to FROM, which cannot be a wildcard ({from})");
            }
            let broker = connect(from, &origin).await?;
            let subscription = broker.subscribe().await?;
            eprintln!("bridging {from} {} {to} — Ctrl-C to stop", arrow(args.both));
            if args.both {
                let (tx, rx) = tokio::sync::mpsc::channel(1024);
                let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
                let publish = publisher::run(&broker, rx, args.hold, &tally, async {
                    let _ = stopped.await;
                });
                let deliver = async {
                    to_link::run(
                        subscription,
                        to,
                        &options,
                        Some(tx),
                        args.hold,
                        &tally,
                        shutdown,
                    )
                    .await;
                    let _ = stop.send(());
                };
                tokio::join!(publish, deliver);
            } else {
                to_link::run(
                    subscription,
                    to,
                    &options,
                    None,
                    args.hold,
                    &tally,
                    shutdown,
                )
                .await;
            }
            let _ = broker.close().await;
        }
        (Target::Broker(from), Target::Broker(to)) => {
            let a = connect(from, &origin).await?;
            let b = connect(to, &origin).await?;
            eprintln!("bridging {from} {} {to} — Ctrl-C to stop", arrow(args.both));
            tally::brokers(&a, &b, args.both, &tally, shutdown).await?;
            let _ = a.close().await;
            b.close().await?;
        }
        (Target::Link(_), Target::Link(_)) => {
            bail!("bridge needs a broker on one side (nats:// or mqtt://); between two links use a proxy")
        }
    }
    eprintln!("{}", tally.summary(started.elapsed()));
    Ok(())
}

fn arrow(both: bool) -> &'static str {
    if both {
        "<->"
    } else {
        "->"
    }
}

async fn connect(url: &BrokerUrl, origin: &str) -> anyhow::Result<Broker> {
    let credentials = Credentials::from_env()?;
    Ok(Broker::connect(url, credentials.as_ref(), Some(origin)).await?)
}
