//! Into a broker through a bounded hold. A message leaves the hold only
//! once the broker has confirmed it (NATS: a PING answered; MQTT: its
//! PUBACK); when the connection is lost, what was not confirmed is
//! published again after the reconnect (so a subscriber may see a message
//! twice across a broker restart, never lose one uncounted). While the
//! broker is away up to `hold` messages wait and newer ones are dropped and
//! counted; while it is there a full hold only slows the links down.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tether_bridge::hold::Hold;
use tether_bridge::Broker;
use tokio::sync::mpsc;

use super::tally::Tally;

/// Messages published before asking the broker to confirm them.
const BATCH: usize = 4096;
/// How long a confirmation may take before the batch goes again.
const CONFIRM_WAIT: Duration = Duration::from_secs(2);
/// How often a waiting hold looks at the connection again.
const TICK: Duration = Duration::from_millis(20);
/// How long the end of a run tries to deliver what is held.
const DRAIN: Duration = Duration::from_secs(5);
/// At the end, the links are done once they are quiet this long.
const QUIET: Duration = Duration::from_millis(200);
/// How long the end reads on (counting it dropped) after the drain ran out.
const DISCARD: Duration = Duration::from_secs(2);

/// Publishes what comes on `messages` until `shutdown`, then drains: goes
/// on taking messages until the links are quiet and delivering until the
/// hold is empty, for at most [`DRAIN`]. What never got out is counted
/// dropped in `tally`, including what the links still had to give.
pub async fn run(
    broker: &Broker,
    mut messages: mpsc::Receiver<Bytes>,
    hold: usize,
    tally: &Tally,
    shutdown: impl Future<Output = ()>,
) {
    let mut held = Hold::new(hold.max(1));
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tokio::pin!(shutdown);
    let mut deadline: Option<Instant> = None;
    let mut arrived = Instant::now();
    let mut open = true;
    loop {
        // Drop only while the broker is away; while it is there, wait.
        let room = !held.is_full() || !broker.is_connected();
        tokio::select! {
            biased;
            () = &mut shutdown, if deadline.is_none() => {
                deadline = Some(Instant::now() + DRAIN);
            }
            m = messages.recv(), if open && room => match m {
                Some(m) => {
                    arrived = Instant::now();
                    take(broker, &mut held, m, tally);
                    while !held.is_full() || !broker.is_connected() {
                        let Ok(m) = messages.try_recv() else { break };
                        take(broker, &mut held, m, tally);
                    }
                }
                None => open = false,
            },
            _ = tick.tick() => {}
        }
        let quiet = !open || arrived.elapsed() >= QUIET;
        let finished = deadline.is_some() && held.is_empty() && quiet;
        if finished || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if broker.is_connected() && !held.is_empty() {
            deliver(broker, &mut held, tally).await;
        }
    }
    let mut lost = held.abandon() + held.dropped();
    // What the links still give is counted, not left unread and unknown.
    let end = Instant::now() + DISCARD;
    while Instant::now() < end {
        match tokio::time::timeout(QUIET, messages.recv()).await {
            Ok(Some(_)) => lost += 1,
            _ => break,
        }
    }
    tally.dropped.fetch_add(lost, Ordering::Relaxed);
    tally
        .reconnects
        .fetch_add(broker.disconnects(), Ordering::Relaxed);
}

/// Holds `message`, unless `--format` or the broker's limit refuses it.
fn take(broker: &Broker, held: &mut Hold, message: Bytes, tally: &Tally) {
    if !tally.admits(&message) {
        return;
    }
    if let Err(e) = broker.check_size(message.len()) {
        eprintln!("tether: {e}; refused");
        tally.refused.fetch_add(1, Ordering::Relaxed);
        return;
    }
    held.push(message);
}

/// Publishes up to [`BATCH`] held messages and lets them go once the
/// broker confirms them; on a lost connection they stay, to go again.
async fn deliver(broker: &Broker, held: &mut Hold, tally: &Tally) {
    let epoch = broker.epoch();
    let mut published = 0;
    for message in held.from(0).take(BATCH) {
        if broker.publish(message.clone()).await.is_err() {
            break;
        }
        published += 1;
    }
    if published > 0 && broker.confirm(epoch, CONFIRM_WAIT).await {
        held.confirm(published);
        tally.passed.fetch_add(published as u64, Ordering::Relaxed);
    }
}
