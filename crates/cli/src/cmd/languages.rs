//! `tether bench --languages`: the same round trip and rate points from
//! senders in Rust, Python and Java against one bench server (embedded, or
//! the remote one given), then one table, and with `--json` / `--plot` the
//! figures and one chart.

use std::time::Duration;

use tether_bench::languages::{self, find_interop, LanguagePlan, LanguageReport, Sender};
use tether_bench::latency::RoundBudget;
use tether_bench::server::Embedded;
use tether_bench::Session;

use crate::cli::BenchArgs;
use crate::cmd::rate_points::RatePoints;
use crate::output::export::languages::{plot, table};
use crate::output::export::OwnReport;
use crate::output::progress::Progress;

/// Runs the languages experiment and exports it.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let plan = plan_of(args)?;
    let embedded;
    let endpoint = match &args.target {
        Some(t) => t.clone(),
        None => {
            embedded = Embedded::start()?;
            embedded.endpoint().clone()
        }
    };
    let mut session = Session::connect(&endpoint)?;
    let progress = Progress::new(plan.rounds as usize * Sender::ALL.len(), args.quiet);
    let mut step = 0;
    let outcome = languages::run(&mut session, &plan, |label| {
        progress.step(step, label);
        step += 1;
    });
    progress.finish();
    export(&outcome?, args)
}

fn export(report: &LanguageReport, args: &BenchArgs) -> anyhow::Result<()> {
    OwnReport {
        report,
        table: table::render(report),
        plot: &plot::write,
    }
    .export(args.json.as_deref(), args.plot.as_deref(), args.quiet)
}

fn plan_of(args: &BenchArgs) -> anyhow::Result<LanguagePlan> {
    let mut plan = if args.quick {
        LanguagePlan {
            sizes: vec![4, 100, 1 << 10, 64 << 10],
            total: 4 << 20,
            max_time: Duration::from_millis(80),
            rounds: 1,
            // A second, so that a loaded machine still records some rounds
            // after the warm-up.
            latency: RoundBudget {
                warmup: 100,
                rounds: 5_000,
                time: Duration::from_secs(1),
            },
            interop: find_interop(),
            python: python(),
        }
    } else {
        LanguagePlan {
            sizes: vec![1, 4, 100, 1 << 10, 10 << 10, 100 << 10, 1 << 20],
            total: 16 << 20,
            max_time: Duration::from_millis(250),
            rounds: 3,
            latency: RoundBudget {
                warmup: 2_000,
                rounds: 20_000,
                time: Duration::from_secs(1),
            },
            interop: find_interop(),
            python: python(),
        }
    };
    RatePoints::of(args)?.apply(&mut plan.sizes, &mut plan.total, &mut plan.max_time);
    Ok(plan)
}

/// `$TETHER_PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("TETHER_PYTHON").unwrap_or_else(|_| "python3".into())
}
