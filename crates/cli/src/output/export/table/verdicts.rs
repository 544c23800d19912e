//! The verdict sections of the bench table: tether against std::net in the
//! same run, and the targets of the project.

use std::fmt::Write;

use tether_bench::report::{Rate, RateMode, Report, Unit};
use tether_bench::verdict::is_behind;

use crate::output::grid::{grid, meaning, Align};
use crate::output::units::{fmt_count, fmt_ns, ratio_text, size_label};

pub(super) fn baseline(out: &mut String, r: &Report) {
    if r.comparisons.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nBaseline: tether against plain std::net in the same run (ratio tether/std)"
    );
    latency_ratios(out, r);
    rate_ratios(out, r);
    baseline_meaning(out, r);
}

fn latency_ratios(out: &mut String, r: &Report) {
    let lat: Vec<Vec<String>> = r
        .comparisons
        .iter()
        .filter(|c| c.unit == Unit::Nanoseconds)
        .map(|c| {
            vec![
                c.what.clone(),
                fmt_ns(c.tether),
                fmt_ns(c.std),
                ratio_text(c.ratio),
            ]
        })
        .collect();
    if !lat.is_empty() {
        grid(
            out,
            &[
                "round trip (lower is better)",
                "tether",
                "std::net",
                "ratio",
            ],
            &[Align::Left],
            &lat,
        );
    }
}

fn rate_ratios(out: &mut String, r: &Report) {
    let rates: Vec<&Rate> = r.rate.iter().flatten().collect();
    if !rates.is_empty() {
        let base: Vec<&Rate> = r.baseline.iter().flat_map(|b| &b.rate).collect();
        let ratio_of = |mode: RateMode, size: usize| -> String {
            let t = rates.iter().find(|x| x.mode == mode && x.size == size);
            let b = base
                .iter()
                .find(|x| x.mode == mode.baseline() && x.size == size);
            match (t, b) {
                (Some(t), Some(b)) if b.messages_per_s > 0.0 => {
                    ratio_text(t.messages_per_s / b.messages_per_s)
                }
                _ => String::new(),
            }
        };
        let rows: Vec<Vec<String>> = r
            .settings
            .sizes
            .iter()
            .map(|&size| {
                vec![
                    size_label(size),
                    ratio_of(RateMode::Send, size),
                    ratio_of(RateMode::SendLinger0, size),
                    ratio_of(RateMode::Batch, size),
                    ratio_of(RateMode::BatchOwned, size),
                ]
            })
            .collect();
        out.push('\n');
        grid(
            out,
            &[
                "rate (higher is better)",
                "send / std per msg",
                "send linger 0 / std per msg",
                "recv_each / std batch",
                "recv / std batch",
            ],
            &[Align::Left],
            &rows,
        );
    }
}

fn baseline_meaning(out: &mut String, r: &Report) {
    let worse: Vec<&str> = r
        .comparisons
        .iter()
        .filter(|c| is_behind(c))
        .map(|c| c.what.as_str())
        .collect();
    if worse.is_empty() {
        meaning(
            out,
            "tether stays within 10% of plain sockets everywhere here",
        );
    } else {
        meaning(
            out,
            &format!(
                "tether is within 10% of plain sockets in {} of {} figures; behind in: {}",
                r.comparisons.len() - worse.len(),
                r.comparisons.len(),
                worse.join("; ")
            ),
        );
    }
}

pub(super) fn targets(out: &mut String, r: &Report) {
    if r.targets.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nTargets");
    let rows: Vec<Vec<String>> = r
        .targets
        .iter()
        .map(|t| {
            let v = if t.bound >= 1000.0 {
                fmt_count(t.value)
            } else {
                format!("{:.3}", t.value)
            };
            let b = if t.bound >= 1000.0 {
                fmt_count(t.bound)
            } else {
                format!("{}", t.bound)
            };
            vec![
                t.name.clone(),
                v,
                format!("{} {}", t.op.symbol(), b),
                if t.met { "met" } else { "MISSED" }.into(),
            ]
        })
        .collect();
    grid(
        out,
        &["", "measured", "target", ""],
        &[Align::Left, Align::Right, Align::Left, Align::Left],
        &rows,
    );
}
