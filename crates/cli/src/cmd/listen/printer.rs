//! The printer: one thread owns stdout (and the `--output` file), so lines
//! never interleave, and formats every message.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use tether::Record;
use tokio::sync::mpsc;

use crate::output::render::Mode;
use crate::output::{json, line};

/// Received messages of one peer on their way to the printer.
#[derive(Debug)]
pub struct Batch {
    /// Who sent them, as printed.
    pub peer: Arc<str>,
    /// The connection number (none for UDP).
    pub conn: Option<u64>,
    /// In the order they arrived.
    pub messages: Vec<Received>,
}

/// One received message.
#[derive(Debug)]
pub struct Received {
    /// When it arrived, if the output shows it.
    pub time: Option<SystemTime>,
    /// The message.
    pub payload: Bytes,
}

/// Owns stdout (and the `--output` file): formats and writes every message.
pub struct Printer {
    /// Hex, text or whichever suits the payload.
    pub mode: Mode,
    /// One JSON object per message.
    pub json: bool,
    /// No message lines at all.
    pub quiet: bool,
    /// Bytes of a payload shown; 0 for all.
    pub max_show: usize,
    /// Decode payloads as this record.
    pub record: Option<Record>,
    /// Where raw payloads are appended.
    pub output: Option<BufWriter<File>>,
    /// Reused for every line, so printing allocates nothing per message.
    line: String,
    /// Messages and payload bytes written, for the summary.
    printed: (u64, u64),
}

impl Printer {
    /// A printer with nothing written yet.
    pub fn new(mode: Mode, record: Option<Record>, output: Option<BufWriter<File>>) -> Self {
        Printer {
            mode,
            json: false,
            quiet: false,
            max_show: 64,
            record,
            output,
            line: String::with_capacity(256),
            printed: (0, 0),
        }
    }

    /// Prints until every sender is gone. Flushes whenever the queue runs
    /// dry, so a person sees each message at once and a flood is written
    /// in large blocks. A write error ends it, and dropping the queue tells
    /// the listener to stop. Returns the messages and bytes printed, and
    /// how printing ended.
    pub fn run(mut self, mut from_tasks: mpsc::Receiver<Batch>) -> ((u64, u64), io::Result<()>) {
        let mut stdout = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
        let result = (|| {
            while let Some(first) = from_tasks.blocking_recv() {
                self.print(&mut stdout, &first)?;
                while let Ok(next) = from_tasks.try_recv() {
                    self.print(&mut stdout, &next)?;
                }
                stdout.flush()?;
                if let Some(out) = &mut self.output {
                    out.flush()?;
                }
            }
            Ok(())
        })();
        (self.printed, result)
    }

    fn print(&mut self, stdout: &mut impl Write, batch: &Batch) -> io::Result<()> {
        for m in &batch.messages {
            self.print_one(stdout, &batch.peer, batch.conn, m)?;
            self.printed.0 += 1;
            self.printed.1 += m.payload.len() as u64;
        }
        Ok(())
    }

    fn print_one(
        &mut self,
        stdout: &mut impl Write,
        peer: &str,
        conn: Option<u64>,
        m: &Received,
    ) -> io::Result<()> {
        if let Some(out) = &mut self.output {
            out.write_all(&m.payload)?;
        }
        if self.quiet {
            return Ok(());
        }
        if self.json {
            let time = m.time.unwrap_or_else(SystemTime::now);
            let mut message = json::Message::new(time, peer, conn, &m.payload);
            if let Some(record) = &self.record {
                match record.unpack(&m.payload) {
                    Ok(values) => message.fields = Some(json::fields(&values)),
                    Err(e) => message.error = Some(e.to_string()),
                }
            }
            serde_json::to_writer(&mut *stdout, &message)?;
            return stdout.write_all(b"\n");
        }
        self.line.clear();
        match &self.record {
            Some(record) => match record.unpack(&m.payload) {
                Ok(values) => self.line.push_str(&line::record(peer, &values)),
                Err(e) => self
                    .line
                    .push_str(&line::not_a_record(peer, &m.payload, record, &e)),
            },
            None => line::message_into(&mut self.line, peer, &m.payload, self.mode, self.max_show),
        }
        self.line.push('\n');
        stdout.write_all(self.line.as_bytes())
    }
}
