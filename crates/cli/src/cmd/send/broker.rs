//! `tether send nats://...` and `mqtt://...`: each message (argument,
//! record, file, or line of stdin) is one broker message, payload
//! unchanged. A message over the broker's limit is refused, naming both
//! numbers, before anything of it is sent.

use std::io::{self, BufRead, Read};

use anyhow::Context as _;
use bytes::Bytes;
use tether::Record;
use tether_bridge::{Broker, BrokerUrl, Credentials};

use super::input::pack;
use crate::cli::SendArgs;

/// Publishes the messages, then waits until the broker has them all
/// (a NATS flush; every acknowledgement at MQTT QoS 1).
pub fn send(
    args: &SendArgs,
    url: &BrokerUrl,
    prepared: Option<Vec<Vec<u8>>>,
    record: Option<&Record>,
) -> anyhow::Result<()> {
    if args.wait_reply {
        anyhow::bail!("--wait-reply works on links; a broker subject has no single peer to answer");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime
        .block_on(publish_all(args, url, prepared, record))
        .with_context(|| format!("sending to {url}"))
}

async fn publish_all(
    args: &SendArgs,
    url: &BrokerUrl,
    prepared: Option<Vec<Vec<u8>>>,
    record: Option<&Record>,
) -> anyhow::Result<()> {
    let credentials = Credentials::from_env()?;
    let broker = Broker::connect(url, credentials.as_ref(), None).await?;
    match prepared {
        Some(messages) => {
            let messages: Vec<Bytes> = messages.into_iter().map(Bytes::from).collect();
            for m in &messages {
                broker.check_size(m.len())?;
            }
            for _ in 0..args.repeat {
                for m in &messages {
                    broker.publish(m.clone()).await?;
                }
            }
        }
        None => publish_lines(&broker, record, args.max_frame_len).await?,
    }
    broker.close().await?;
    Ok(())
}

/// `--stdin`: one message per line (a record of values with `--format`).
async fn publish_lines(broker: &Broker, record: Option<&Record>, max: usize) -> anyhow::Result<()> {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        // `take` so one endless line cannot fill memory.
        let n = Read::by_ref(&mut input)
            .take(max as u64 + 1)
            .read_until(b'\n', &mut line)
            .context("cannot read stdin")?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
        } else if line.len() > max {
            anyhow::bail!("line {number} of stdin is over the {max}-byte message limit");
        }
        let payload = match record {
            Some(record) => {
                let text = String::from_utf8_lossy(&line);
                let values: Vec<&str> = text.split_whitespace().collect();
                pack(record, &values).with_context(|| format!("line {number} of stdin"))?
            }
            None => line.clone(),
        };
        broker.publish(Bytes::from(payload)).await?;
    }
}
