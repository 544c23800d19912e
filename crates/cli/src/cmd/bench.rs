//! `tether bench`: maps the arguments onto the engine's plan, measures
//! against an embedded or a remote bench server, then hands the report to
//! the exporters (table, JSON, plots).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{bail, Context};
use tether::{Endpoint, Listener, DEFAULT_MAX_FRAME_LEN};
use tether_bench::control::control_options;
use tether_bench::server::{self, Embedded};
use tether_bench::{Experiment, Pinning, Plan, Report, ServerMode, Session};

use crate::cli::BenchArgs;
use crate::cmd::rate_points::{frame_size, RatePoints};
use crate::output::export::json::JsonExporter;
use crate::output::export::plot::PlotExporter;
use crate::output::export::table::TableExporter;
use crate::output::export::{Exporter, Target};
use crate::output::progress::Progress;
use crate::output::units::size_label;

/// Runs `tether bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if let Some(endpoint) = &args.server {
        return serve(endpoint, args.quiet);
    }
    if args.languages {
        return crate::cmd::languages::run(&args);
    }
    if let Some(url) = &args.broker {
        return crate::cmd::broker_bench::run(&args, url);
    }
    let report = measure(&args)?;
    export(&report, &args)
}

/// Runs the plan of `args` against its server and returns the report.
fn measure(args: &BenchArgs) -> anyhow::Result<Report> {
    let mut plan = plan_of(args)?;
    let embedded;
    let (endpoint, mode) = match &args.target {
        Some(t) => (t.clone(), ServerMode::Remote),
        None => {
            embedded = Embedded::start()?;
            (embedded.endpoint().clone(), ServerMode::Embedded)
        }
    };
    if mode == ServerMode::Embedded && !args.no_pin {
        plan.pinning = Pinning::detect();
    }
    let mut session = Session::connect(&endpoint)?;
    let steps = plan.steps(session.same_host()).len();
    let progress = Progress::new(steps, args.quiet);
    let outcome = tether_bench::run(&mut session, &plan, mode, |i, step| {
        progress.step(i, &step.label())
    });
    progress.finish();
    outcome
}

/// The table (unless `--quiet`; on stderr when the JSON takes stdout), the
/// JSON and the plots that `args` ask for.
fn export(report: &Report, args: &BenchArgs) -> anyhow::Result<()> {
    let json = args.json.as_deref().map(Target::parse);
    if !args.quiet {
        let to = match json {
            Some(Target::Stdout) => Target::Stderr,
            _ => Target::Stdout,
        };
        TableExporter.export(report, &to)?;
    }
    if let Some(target) = &json {
        JsonExporter.export(report, target)?;
    }
    if let Some(dir) = &args.plot {
        let files = PlotExporter.export(report, &Target::Path(dir.clone()))?;
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
        let mut only: Vec<Experiment> = args.only.iter().map(|e| e.0).collect();
        only.sort();
        only.dedup();
        plan.experiments = only;
    }
    let limit = size_label(DEFAULT_MAX_FRAME_LEN);
    let Some(size) = frame_size(args.size) else {
        bail!("--size {} is over the {limit} frame limit", args.size);
    };
    plan.size = size;
    if args.busy_poll.is_some() && !plan.has(Experiment::Latency) {
        bail!("--busy-poll measures round trips: it needs the latency experiment in --only");
    }
    plan.busy_poll = args.busy_poll;
    let points = RatePoints::of(args)?;
    points.apply(&mut plan.sizes, &mut plan.total, &mut plan.max_time);
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
