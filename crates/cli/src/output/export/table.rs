//! The bench report as text a person reads at a glance: a header line,
//! one section per experiment, units that read well, and a line on what it
//! means. The sections are in `sections`, the baseline and targets (the
//! verdicts) in `verdicts`.

mod busy_poll;
mod sections;
mod verdicts;

use std::fmt::Write;

use tether_bench::Report;

use super::{write_bytes, Exporter, Target};

/// The table exporter.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableExporter;

impl Exporter for TableExporter {
    fn export(&self, report: &Report, target: &Target) -> anyhow::Result<Vec<std::path::PathBuf>> {
        write_bytes(target, render(report).as_bytes())
    }
}

/// The whole report as text.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let m = &r.machine;
    let _ = writeln!(
        out,
        "tether bench {} | {} server {} | {} {} | {} CPUs{} | {:.0} s{}",
        r.tether_version,
        r.server.mode.name(),
        r.server.endpoint,
        m.os,
        m.kernel,
        m.cpus,
        m.cpu_model
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default(),
        r.duration_s,
        if r.settings.quick {
            " | --quick: short runs, noisy figures"
        } else {
            ""
        },
    );
    sections::latency(&mut out, r);
    busy_poll::busy_poll(&mut out, r);
    sections::rate(&mut out, r);
    sections::connect(&mut out, r);
    sections::nagle(&mut out, r);
    verdicts::baseline(&mut out, r);
    sections::udp(&mut out, r);
    verdicts::targets(&mut out, r);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real run (`tether bench --json`) and the table the code before the
    /// exporters printed for it: the layout must not drift.
    #[test]
    fn the_table_of_a_recorded_run_is_unchanged() {
        let report: Report =
            serde_json::from_str(include_str!("../../../tests/fixtures/bench-report.json"))
                .unwrap();
        let want = include_str!("../../../tests/fixtures/bench-table.txt");
        assert_eq!(render(&report), want);
    }
}
