//! Streamed input: lines of stdin (split by the library's line codec, so
//! the limit and the last-line rule are the same as on the wire), `fixed:N`
//! records, or raw bytes.

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read};

use anyhow::{bail, Context as _};
use bytes::{Bytes, BytesMut};
use tether::proto::{Decoder as _, LineCodec};
use tether::{Framing, Record};

use super::outgoing::Outgoing;

/// Bytes read from stdin or a file per read.
pub const CHUNK: usize = 64 * 1024;

/// Packs values given as text into one record.
pub fn pack(record: &Record, texts: &[impl AsRef<str>]) -> anyhow::Result<Vec<u8>> {
    let values = record.parse_values(texts).context("invalid value")?;
    record.pack(&values).context("invalid value")
}

/// Sends a stream of input as its framing says: lines (records of values
/// with `--format`), `fixed:N` chunks, or bytes as they come for raw.
pub fn send_stream<R: Read>(
    mut input: BufReader<R>,
    name: &str,
    sender: &mut Outgoing,
) -> anyhow::Result<()> {
    if let Some(record) = sender.record.clone() {
        return send_lines(input, name, sender, |line| {
            let text = String::from_utf8_lossy(line);
            pack(&record, &text.split_whitespace().collect::<Vec<_>>()).map(Cow::Owned)
        });
    }
    match sender.framing {
        Framing::Raw => send_raw(input, sender),
        Framing::Fixed(size) => {
            let mut record = vec![0; size.get()];
            loop {
                let got = read_full(&mut input, &mut record)
                    .with_context(|| format!("cannot read {name}"))?;
                if got == 0 {
                    return Ok(());
                }
                if got < record.len() {
                    bail!("{name} ended inside a record: got {got} of {size} bytes");
                }
                sender.emit(&record, input.buffer().is_empty())?;
            }
        }
        Framing::Length | Framing::Line => {
            send_lines(input, name, sender, |line| Ok(Cow::Borrowed(line)))
        }
    }
}

/// Sends each line of `input` as the message `payload` makes of it (the
/// line itself, borrowed, for plain framings); an error names the line.
fn send_lines<R: Read>(
    input: BufReader<R>,
    name: &str,
    sender: &mut Outgoing,
    mut payload: impl FnMut(&[u8]) -> anyhow::Result<Cow<'_, [u8]>>,
) -> anyhow::Result<()> {
    let mut lines = Lines::new(input, sender.max_frame_len);
    let mut number = 0u64;
    while let Some(line) = lines
        .next_line()
        .with_context(|| format!("line {} of {name}", number + 1))?
    {
        number += 1;
        let message = payload(&line).with_context(|| format!("line {number} of {name}"))?;
        sender.emit(&message, lines.idle())?;
    }
    Ok(())
}

/// Raw framing: bytes are sent as they arrive, as nc does.
pub fn send_raw(mut input: impl BufRead, sender: &mut Outgoing) -> anyhow::Result<()> {
    loop {
        let chunk = input.fill_buf().context("cannot read the input")?;
        if chunk.is_empty() {
            return Ok(());
        }
        let n = chunk.len();
        sender.emit_raw(chunk)?;
        input.consume(n);
    }
}

/// Lines of an input, split by [`LineCodec`] (a last line without `\n`
/// counts; a line over the limit is an error before it is buffered whole).
struct Lines<R> {
    input: R,
    buf: BytesMut,
    codec: LineCodec,
    eof: bool,
}

impl<R: Read> Lines<R> {
    fn new(input: R, max: usize) -> Self {
        Lines {
            input,
            buf: BytesMut::new(),
            codec: LineCodec::with_max_line_len(max),
            eof: false,
        }
    }

    /// The next line without its `\n`; `None` at the end of the input.
    fn next_line(&mut self) -> anyhow::Result<Option<Bytes>> {
        loop {
            let line = if self.eof {
                self.codec.decode_eof(&mut self.buf)
            } else {
                self.codec.decode(&mut self.buf)
            };
            if let Some(line) = line.context("raise --max-frame-len")? {
                return Ok(Some(line));
            }
            if self.eof {
                return Ok(None);
            }
            let mut chunk = [0; CHUNK];
            let n = loop {
                match self.input.read(&mut chunk) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other.context("cannot read the input")?,
                }
            };
            self.eof = n == 0;
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// No more input is at hand without another read.
    fn idle(&self) -> bool {
        self.buf.is_empty()
    }
}

/// Fills `buf` unless the input ends first; returns the bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
