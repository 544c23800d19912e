//! Arguments of `tether copy`.

use std::path::PathBuf;

use clap::Args;
use tether::Endpoint;

/// `tether copy [--listen ENDPOINT] ARGS...`.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  tether copy --listen tcp://0.0.0.0:9000 ~/incoming       receive; prints a code for the other side
  tether copy photos/ notes.txt tcp://10.0.0.7:9000        send; asks for the code (no echo)
  tether copy --listen tcp://0.0.0.0:9000 photos/          serve photos/ to whoever has the code
  tether copy tcp://10.0.0.7:9000 ~/incoming               fetch what the listener serves
  tar c dir | tether copy - tcp://10.0.0.7:9000            stdin as one file (stdout: target -)

The code is never taken from the command line: it is typed at a prompt
without echo, or read from TETHER_CODE or --code-file. A listener's code is
good for one attempt. Run the same command again to resume: finished files
are checked and skipped, NAME.tether-part files continue where they stopped.

Exit status:
  0  copied, every file checked (BLAKE3)
  1  any other error (bad arguments, cannot connect, local file errors)
  2  usage error
  3  wrong code (on both sides)
  4  the peer went away: the connection was reset or broke, or closed
     during the handshake
  5  integrity failure: a record or file failed its check, the stream ended
     before the peer's final record (cut, or the peer stopped), or a
     protocol error
  6  refused: a name from the peer broke a rule, or a file exists (--overwrite)
  7  disk full on the receiving side
  8  declined at the manifest question
  130  interrupted (Ctrl-C); the state on disk is resumable")]
pub struct CopyArgs {
    /// Listen here, print a code, and serve PATHS or receive into PATH,
    /// whichever the connecting side asks for.
    #[arg(long, value_name = "ENDPOINT")]
    pub listen: Option<Endpoint>,

    /// With --listen: PATHS to serve, or one PATH (served or received
    /// into). Otherwise: SOURCES... ENDPOINT to send, or ENDPOINT TARGET to
    /// fetch. `-` is stdin (source) or stdout (target).
    #[arg(required = true, value_name = "ARGS", allow_hyphen_values = true)]
    pub args: Vec<String>,

    /// Read the code from the first line of this file.
    #[arg(long, value_name = "PATH")]
    pub code_file: Option<PathBuf>,

    /// Replace files that exist on the receiving side.
    #[arg(long)]
    pub overwrite: bool,

    /// Follow symlinks when sending (they are skipped otherwise).
    #[arg(long)]
    pub follow: bool,

    /// Accept the manifest without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// With --listen: after a failed attempt, print a new code and wait
    /// again instead of exiting.
    #[arg(long)]
    pub again: bool,

    /// Print a JSON summary (to stdout, or stderr when stdout is the target).
    #[arg(long)]
    pub json: bool,

    /// List every file's BLAKE3 in the summary.
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// Bytes of file data per record, 64 KiB to 1 MiB.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(65536..=1048576))]
    pub record_size: u32,
}
