//! `tether bench`: measures each way of sending against an embedded or a
//! remote bench server, then prints a table, writes JSON and plots.

use std::io::Write;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use tether::{Endpoint, Listener};

use crate::bench::control::{control_options, Session};
use crate::bench::server::{self, Embedded};
use crate::bench::{self, Plan};
use crate::cli::BenchArgs;
use crate::output::{plot, progress::Progress, table};

/// Runs `tether bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if let Some(endpoint) = &args.server {
        return serve(endpoint, args.quiet);
    }
    let plan = plan_of(&args)?;
    let embedded;
    let (endpoint, mode) = match &args.target {
        Some(t) => (t.clone(), "remote"),
        None => {
            embedded = Embedded::start()?;
            (embedded.endpoint().clone(), "embedded")
        }
    };
    let mut plan = plan;
    if mode == "embedded" && !args.no_pin {
        plan.pinning = bench::Pinning::detect();
    }
    let mut session = Session::connect(&endpoint)?;
    let steps = plan.steps(session.same_host()).len();
    let progress = Progress::new(steps, args.quiet);
    let outcome = bench::run(&mut session, &plan, mode, |i, step| {
        progress.step(i, &step.label())
    });
    progress.finish();
    drop(session);
    let report = outcome?;

    let json_to_stdout = args.json.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if !args.quiet {
        let text = table::render(&report);
        if json_to_stdout {
            eprint!("{text}");
        } else {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report)?;
        if json_to_stdout {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{json}")?;
            out.flush()?;
        } else {
            std::fs::write(path, json + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    if let Some(dir) = &args.plot {
        let files = plot::write_all(&report, dir)?;
        if !args.quiet {
            eprintln!(
                "plots: {}",
                files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}

fn plan_of(args: &BenchArgs) -> anyhow::Result<Plan> {
    let mut plan = Plan::new(args.quick);
    if !args.only.is_empty() {
        let mut only = args.only.clone();
        only.sort();
        only.dedup();
        plan.experiments = only;
    }
    if args.size > 16 << 20 {
        bail!("--size {} is over the 16 MiB frame limit", args.size);
    }
    plan.size = usize::try_from(args.size).context("--size is too large")?;
    if !args.sizes.is_empty() {
        let mut sizes = Vec::with_capacity(args.sizes.len());
        for &s in &args.sizes {
            if s == 0 || s > 16 << 20 {
                bail!("--sizes: {s} is not between 1 byte and the 16 MiB frame limit");
            }
            sizes.push(usize::try_from(s).context("--sizes: too large")?);
        }
        sizes.sort_unstable();
        sizes.dedup();
        plan.sizes = sizes;
    }
    if let Some(total) = args.total {
        if total == 0 {
            bail!("--total must be at least 1 byte");
        }
        plan.total = total;
    }
    if let Some(t) = args.max_time {
        plan.max_time = Duration::from_secs_f64(t);
    }
    Ok(plan)
}

/// `tether bench --server ENDPOINT`: serves until killed.
fn serve(endpoint: &Endpoint, quiet: bool) -> anyhow::Result<()> {
    let listener = Listener::bind_with(endpoint.clone(), &control_options())
        .with_context(|| format!("cannot serve bench clients on {endpoint}"))?;
    let local = listener.local_addr()?;
    if !quiet {
        eprintln!("tether bench server on {local}; clients run: tether bench {local}");
    }
    let stop = Arc::new(AtomicBool::new(false));
    server::serve(&listener, &stop, false, move |line| {
        if !quiet {
            eprintln!("{line}");
        }
    })
}
