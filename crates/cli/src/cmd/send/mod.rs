//! `tether send`: connect once and send messages from arguments, stdin, a
//! file or packed records. Blocking links, no runtime: one connection, and
//! as few syscalls as the input allows.

mod broker;
mod input;
mod outgoing;
mod resend;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use anyhow::{bail, Context as _};
use tether::{Framing, Record};

use self::input::{pack, send_raw, send_stream, CHUNK};
use self::outgoing::{Outgoing, WaitingForReply};
use crate::cli::{SendArgs, Target};
use crate::output::caret::parse_format;

/// Runs `tether send`.
pub fn run(args: SendArgs) -> anyhow::Result<()> {
    let record = args.format.as_deref().map(parse_format).transpose()?;
    let framing = args.framing.resolve(record.as_ref().map(Record::size))?;
    check_sources(&args)?;
    // Messages from arguments and files are made before connecting, so a
    // value that does not fit its field costs no connection.
    let prepared = prepare(&args, record.as_ref(), framing)?;
    let endpoint = match &args.endpoint {
        Target::Link(endpoint) => endpoint,
        Target::Broker(url) => return broker::send(&args, url, prepared, record.as_ref()),
    };
    let mut sender = Outgoing::open(&args, endpoint, framing, record)?;
    let endpoint = args.endpoint.to_string();
    send_all(&args, prepared, &mut sender)
        .and_then(|()| sender.finish())
        .map_err(|e| match e.downcast_ref::<WaitingForReply>() {
            // Already says where it happened.
            Some(_) => e,
            None => e.context(format!("sending to {endpoint}")),
        })
}

/// The messages known before connecting: `None` for streamed input.
fn prepare(
    args: &SendArgs,
    record: Option<&Record>,
    framing: Framing,
) -> anyhow::Result<Option<Vec<Vec<u8>>>> {
    if args.stdin {
        return Ok(None);
    }
    if let Some(path) = &args.file {
        if framing == Framing::Raw {
            return Ok(None);
        }
        return Ok(Some(vec![read_file(path, args.max_frame_len)?]));
    }
    Ok(Some(match record {
        Some(record) => vec![pack(record, &args.messages)?],
        None => args
            .messages
            .iter()
            .map(|m| m.clone().into_bytes())
            .collect(),
    }))
}

/// Exactly one source of messages: arguments, `--stdin` or `--file`.
fn check_sources(args: &SendArgs) -> anyhow::Result<()> {
    let from_args = !args.messages.is_empty();
    if args.stdin && from_args {
        bail!("give messages as arguments or with --stdin, not both");
    }
    if args.file.is_some() && from_args {
        bail!("give messages as arguments or with --file, not both");
    }
    if !args.stdin && args.file.is_none() && !from_args {
        bail!("nothing to send: give MESSAGE arguments, --stdin or --file PATH");
    }
    if args.stdin && args.repeat != 1 {
        bail!("--repeat cannot replay --stdin; save the input to a file and use --file");
    }
    if args.file.is_some() && args.format.is_some() {
        bail!("--format packs values given as arguments or on stdin, not a --file");
    }
    Ok(())
}

fn send_all(
    args: &SendArgs,
    prepared: Option<Vec<Vec<u8>>>,
    sender: &mut Outgoing,
) -> anyhow::Result<()> {
    if let Some(messages) = prepared {
        return sender.send_repeated(&messages, args.repeat);
    }
    if let Some(path) = &args.file {
        // Raw framing has no message to keep whole: stream the file.
        for _ in 0..args.repeat {
            let file =
                File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            send_raw(BufReader::with_capacity(CHUNK, file), sender)?;
        }
        return Ok(());
    }
    let stdin = BufReader::with_capacity(CHUNK, io::stdin().lock());
    send_stream(stdin, "stdin", sender)
}

/// A file as one message, refused before reading if over the limit.
fn read_file(path: &Path, max: usize) -> anyhow::Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if len > max as u64 {
        bail!(
            "{} is {len} bytes, over the {max}-byte message limit; raise --max-frame-len or use --framing raw",
            path.display()
        );
    }
    let mut payload = Vec::with_capacity(len as usize);
    // `take` so a file that grows while read still respects the limit.
    file.take(max as u64 + 1)
        .read_to_end(&mut payload)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if payload.len() > max {
        bail!(
            "{} grew past the {max}-byte message limit while read",
            path.display()
        );
    }
    Ok(payload)
}
