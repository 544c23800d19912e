//! `tether copy`: glue between the arguments, the terminal and tether-copy's driver.

mod ask;
mod interrupt;
mod progress;
mod report;
mod secret;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use tether::{Endpoint, Link, Listener};
use tether_copy::driver::{self, Hooks, Job, Options, Stats};
use tether_copy::wire::ErrorKind;
use tether_copy::{Code, Error};

use crate::cli::CopyArgs;

/// Exit statuses, as `--help` lists them.
const EXIT_WRONG_CODE: u8 = 3;
const EXIT_PEER_GONE: u8 = 4;
const EXIT_INTEGRITY: u8 = 5;
const EXIT_REFUSED: u8 = 6;
const EXIT_DISK_FULL: u8 = 7;
const EXIT_DECLINED: u8 = 8;

/// The exit status for an error from `run`, if it is a copy error.
pub fn exit_code(err: &anyhow::Error) -> Option<ExitCode> {
    let e = err.chain().find_map(|c| c.downcast_ref::<Error>())?;
    let code = match e {
        Error::WrongCode => EXIT_WRONG_CODE,
        Error::PeerGone { .. } => EXIT_PEER_GONE,
        e => match e.kind() {
            ErrorKind::Integrity => EXIT_INTEGRITY,
            ErrorKind::Refused => EXIT_REFUSED,
            ErrorKind::DiskFull => EXIT_DISK_FULL,
            ErrorKind::Declined => EXIT_DECLINED,
            ErrorKind::Other => 1,
        },
    };
    Some(ExitCode::from(code))
}

/// What the positional arguments mean.
enum Plan {
    Listen(Endpoint, Vec<PathBuf>),
    Connect(Endpoint, Job),
}

fn plan(args: &CopyArgs) -> anyhow::Result<Plan> {
    let is_endpoint = |s: &str| s.contains("://");
    if let Some(at) = &args.listen {
        if let Some(e) = args.args.iter().find(|a| is_endpoint(a)) {
            bail!("with --listen, the arguments are paths; {e} looks like an endpoint");
        }
        return Ok(Plan::Listen(
            at.clone(),
            args.args.iter().map(PathBuf::from).collect(),
        ));
    }
    let n = args.args.len();
    let (first, last) = (&args.args[0], &args.args[n - 1]);
    if n >= 2 && is_endpoint(last) && !is_endpoint(first) {
        let sources = args.args[..n - 1].iter().map(PathBuf::from).collect();
        Ok(Plan::Connect(last.parse()?, Job::Send(sources)))
    } else if n == 2 && is_endpoint(first) && !is_endpoint(last) {
        Ok(Plan::Connect(
            first.parse()?,
            Job::Receive(PathBuf::from(last)),
        ))
    } else {
        bail!("give SOURCES... ENDPOINT to send, ENDPOINT TARGET to fetch, or --listen ENDPOINT PATHS")
    }
}

/// Runs `tether copy`.
pub fn run(args: CopyArgs) -> anyhow::Result<()> {
    let plan = plan(&args)?;
    // Before any thread starts, so that every thread inherits the mask.
    interrupt::install();
    let opts = Options {
        overwrite: args.overwrite,
        follow: args.follow,
        chunk: args.record_size as usize,
        aead: None,
    };
    let stats = Arc::new(Stats::default());
    let to_stdout = match &plan {
        Plan::Connect(_, Job::Receive(p)) => p.as_os_str() == "-",
        Plan::Listen(_, paths) => paths.len() == 1 && paths[0].as_os_str() == "-",
        Plan::Connect(..) => false,
    };
    let bar = progress::Bar::start(stats.clone(), args.json);
    let mut ask =
        |entries: &[tether_copy::wire::Entry], total: u64| ask::manifest(entries, total, args.yes);
    let mut note = |s: &str| eprintln!("tether: {s}");
    let result = match plan {
        Plan::Connect(at, job) => {
            let code = secret::read_code(args.code_file.as_deref())?;
            let link = Link::connect_with(at.clone(), &driver::link_options())
                .with_context(|| format!("cannot connect to {at}"))?;
            let hooks = Hooks {
                ask: &mut ask,
                note: &mut note,
                stats: stats.clone(),
            };
            driver::connector(link, &code, job, &opts, hooks)
        }
        Plan::Listen(at, paths) => {
            listen(&at, paths, &opts, args.again, &mut ask, &mut note, &stats)?
        }
    };
    bar.finish();
    match result {
        Ok(summary) => {
            report::print(&summary, args.json, args.verbose, to_stdout);
            Ok(())
        }
        Err(e) => {
            if matches!(
                e,
                Error::PeerGone { .. }
                    | Error::Truncated { .. }
                    | Error::Tampered { .. }
                    | Error::Protocol { .. }
            ) {
                eprintln!("tether: what arrived is kept; run the same command again (with a new code) to resume");
            }
            Err(e.into())
        }
    }
}

/// Binds, and for each attempt prints a fresh code and serves one connection.
fn listen(
    at: &Endpoint,
    paths: Vec<PathBuf>,
    opts: &Options,
    again: bool,
    ask: &mut dyn FnMut(&[tether_copy::wire::Entry], u64) -> bool,
    note: &mut dyn FnMut(&str),
    stats: &Arc<Stats>,
) -> anyhow::Result<tether_copy::Result<driver::Summary>> {
    let listener = Listener::bind_with(at.clone(), &driver::link_options())?;
    let shown = listener.local_addr()?;
    loop {
        let code = Code::generate()?;
        eprintln!(
            "waiting on {shown}; code: {}   (tell the other side; valid for one try)",
            code.as_str()
        );
        let link = listener.accept()?;
        let hooks = Hooks {
            ask: &mut *ask,
            note: &mut *note,
            stats: stats.clone(),
        };
        let r = driver::listener(link, &code, paths.clone(), opts, hooks);
        match r {
            Err(e @ (Error::WrongCode | Error::Protocol { .. })) if again => {
                eprintln!("tether: {e}; this code is used up");
            }
            r => return Ok(r),
        }
    }
}
