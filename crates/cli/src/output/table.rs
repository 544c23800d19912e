//! The bench report as text a person reads at a glance: one section per
//! experiment, units that read well, and a line on what it means.

use std::fmt::Write;

use crate::bench::control::{Stack, Transport};
use crate::bench::report::{Latency, Rate, RateMode, Report};
use crate::bench::size_label;

/// Left or right alignment of a column.
#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

/// Lays out rows under headers, columns padded to their widest cell.
fn grid(out: &mut String, headers: &[&str], align: &[Align], rows: &[Vec<String>]) {
    let cols = headers.len();
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(width(cell));
        }
    }
    let line = |out: &mut String, cells: &[String]| {
        let mut text = String::from("  ");
        for (i, cell) in cells.iter().enumerate().take(cols) {
            let pad = " ".repeat(widths[i] - width(cell));
            let a = align.get(i).copied().unwrap_or(Align::Right);
            if a == Align::Left {
                text.push_str(cell);
                text.push_str(&pad);
            } else {
                text.push_str(&pad);
                text.push_str(cell);
            }
            text.push_str("  ");
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(
        out,
        &headers.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    for row in rows {
        line(out, row);
    }
}

/// Three significant digits, e.g. `14.6`, `356`, `1.02`.
fn sig3(x: f64) -> String {
    // A bare zero: an axis that starts at "0.00" reads as a measurement.
    if x == 0.0 {
        "0".to_owned()
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// `850 ns`, `14.6 µs`, `3.27 ms`, `1.20 s`.
pub fn fmt_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{} ns", sig3(ns))
    } else if ns < 1e6 {
        format!("{} µs", sig3(ns / 1e3))
    } else if ns < 1e9 {
        format!("{} ms", sig3(ns / 1e6))
    } else {
        format!("{} s", sig3(ns / 1e9))
    }
}

/// `356 k`, `8.42 M` (per second, the unit is in the header).
pub fn fmt_count(x: f64) -> String {
    if x >= 1e9 {
        format!("{} G", sig3(x / 1e9))
    } else if x >= 1e6 {
        format!("{} M", sig3(x / 1e6))
    } else if x >= 1e3 {
        format!("{} k", sig3(x / 1e3))
    } else {
        sig3(x)
    }
}

/// `8.42 MB/s`, `3.21 GB/s` (decimal units).
pub fn fmt_bytes_per_s(x: f64) -> String {
    if x >= 1e9 {
        format!("{} GB/s", sig3(x / 1e9))
    } else if x >= 1e6 {
        format!("{} MB/s", sig3(x / 1e6))
    } else if x >= 1e3 {
        format!("{} kB/s", sig3(x / 1e3))
    } else {
        format!("{} B/s", sig3(x))
    }
}

fn ratio_text(r: f64) -> String {
    format!("{}x", sig3(r))
}

/// How much faster or slower `a` is than `b`, in words.
fn times(a: f64, b: f64) -> String {
    if b <= 0.0 || a <= 0.0 {
        return "not comparable".into();
    }
    let r = a / b;
    // Near 1 a plain factor reads best ("0.990x", not "1/1.01"); far below
    // 1 a fraction does ("1/4.00", not "0.250x").
    if r >= 0.5 {
        format!("{}x", sig3(r))
    } else {
        format!("1/{}", sig3(1.0 / r))
    }
}

fn meaning(out: &mut String, text: &str) {
    let _ = writeln!(out, "  => {text}");
}

/// The whole report as text.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let m = &r.machine;
    let _ = writeln!(
        out,
        "tether bench {} | {} server {} | {} {} | {} CPUs{} | {:.0} s{}",
        r.tether_version,
        r.server.mode,
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
    latency_section(&mut out, r);
    rate_section(&mut out, r);
    connect_section(&mut out, r);
    nagle_section(&mut out, r);
    baseline_section(&mut out, r);
    udp_section(&mut out, r);
    targets_section(&mut out, r);
    out
}

fn latency_rows(r: &Report) -> Vec<&Latency> {
    let mut rows: Vec<&Latency> = r.latency.iter().flatten().collect();
    if let Some(b) = &r.baseline {
        rows.extend(b.latency.iter());
    }
    let order = |t: Transport| match t {
        Transport::Tcp => 0,
        Transport::Unix => 1,
        Transport::Udp => 2,
    };
    rows.sort_by_key(|l| (order(l.transport), l.stack == Stack::Std));
    rows
}

fn latency_section(out: &mut String, r: &Report) {
    let rows = latency_rows(r);
    if rows.is_empty() {
        return;
    }
    let s = &r.settings;
    let _ = writeln!(
        out,
        "\nLatency: round trip of a {} message over a persistent link (up to {} rounds or {} s after {} warm-up)",
        size_label(s.size),
        s.latency_rounds,
        s.latency_time_s,
        s.latency_warmup
    );
    let std_p50 = |t: Transport| {
        r.baseline
            .iter()
            .flat_map(|b| &b.latency)
            .find(|b| b.transport == t)
            .map(|b| b.p50_ns as f64)
    };
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|l| {
            vec![
                l.transport.name().into(),
                l.stack.name().into(),
                fmt_ns(l.p50_ns as f64),
                fmt_ns(l.p90_ns as f64),
                fmt_ns(l.p99_ns as f64),
                fmt_ns(l.p999_ns as f64),
                fmt_ns(l.max_ns as f64),
                l.rounds.to_string(),
                l.lost.to_string(),
                match (l.stack, std_p50(l.transport)) {
                    (Stack::Tether, Some(b)) => ratio_text(l.p50_ns as f64 / b),
                    _ => String::new(),
                },
            ]
        })
        .collect();
    use Align::*;
    grid(
        out,
        &[
            "transport",
            "stack",
            "p50",
            "p90",
            "p99",
            "p99.9",
            "max",
            "rounds",
            "lost",
            "p50 vs std",
        ],
        &[
            Left, Left, Right, Right, Right, Right, Right, Right, Right, Right,
        ],
        &table,
    );
    let p50 = |t: Transport| {
        rows.iter()
            .find(|l| l.transport == t && l.stack == Stack::Tether)
            .map(|l| l.p50_ns as f64)
    };
    let mut parts = Vec::new();
    for t in [Transport::Tcp, Transport::Unix, Transport::Udp] {
        if let Some(v) = p50(t) {
            parts.push(format!("{} over {}", fmt_ns(v), t.name()));
        }
    }
    if !parts.is_empty() {
        let mut text = format!("a round trip costs {} (median)", parts.join(", "));
        if let (Some(t), Some(b)) = (p50(Transport::Tcp), std_p50(Transport::Tcp)) {
            let _ = write!(
                text,
                "; tether's tcp median is {:+.0}% against plain std::net",
                (t / b - 1.0) * 100.0
            );
        }
        meaning(out, &text);
    }
}

fn all_rates(r: &Report) -> Vec<&Rate> {
    let mut v: Vec<&Rate> = r.rate.iter().flatten().collect();
    if let Some(b) = &r.baseline {
        v.extend(b.rate.iter());
    }
    v
}

fn rate_section(out: &mut String, r: &Report) {
    let rates = all_rates(r);
    if rates.is_empty() {
        return;
    }
    let s = &r.settings;
    let modes: Vec<RateMode> = RateMode::ALL
        .into_iter()
        .filter(|m| rates.iter().any(|x| x.mode == *m))
        .collect();
    let find =
        |mode: RateMode, size: usize| rates.iter().find(|x| x.mode == mode && x.size == size);
    let _ = writeln!(
        out,
        "\nRate: one way over tcp, {} per run (or {} s), best of {} runs taking turns, counted by the receiver after parsing; batch flushes every {}",
        size_label(s.total as usize),
        s.max_time_s,
        s.repeats,
        size_label(s.batch_bytes)
    );
    let mut headers = vec!["messages/s"];
    headers.extend(modes.iter().map(|m| m.label()));
    let align: Vec<Align> = std::iter::once(Align::Left)
        .chain(modes.iter().map(|_| Align::Right))
        .collect();
    let rows = |f: &dyn Fn(&Rate) -> String| -> Vec<Vec<String>> {
        s.sizes
            .iter()
            .map(|&size| {
                std::iter::once(size_label(size))
                    .chain(
                        modes
                            .iter()
                            .map(|&m| find(m, size).map(|x| f(x)).unwrap_or_default()),
                    )
                    .collect()
            })
            .collect()
    };
    grid(
        out,
        &headers,
        &align,
        &rows(&|x| fmt_count(x.messages_per_s)),
    );
    out.push('\n');
    headers[0] = "payload B/s";
    grid(
        out,
        &headers,
        &align,
        &rows(&|x| fmt_bytes_per_s(x.bytes_per_s)),
    );
    let small = s.sizes.iter().copied().min();
    let big = s.sizes.iter().copied().max();
    let mut text = Vec::new();
    if let Some(small) = small {
        if let (Some(b), Some(one)) = (
            find(RateMode::Batch, small),
            find(RateMode::SendLinger0, small),
        ) {
            text.push(format!(
                "for {} messages feed+flush carries {} the messages/s of one send (linger 0) each",
                size_label(small),
                times(b.messages_per_s, one.messages_per_s)
            ));
        }
        if let (Some(l), Some(one)) = (
            find(RateMode::Send, small),
            find(RateMode::SendLinger0, small),
        ) {
            text.push(format!(
                "the 100 µs linger gathers closely spaced sends: {}",
                times(l.messages_per_s, one.messages_per_s)
            ));
        }
    }
    if let Some(big) = big {
        if let Some(x) = find(RateMode::Send, big) {
            text.push(format!(
                "{} messages move {}",
                size_label(big),
                fmt_bytes_per_s(x.bytes_per_s)
            ));
        }
    }
    if !text.is_empty() {
        meaning(out, &text.join("; "));
    }
}

fn connect_section(out: &mut String, r: &Report) {
    let Some(c) = &r.connect else { return };
    let _ = writeln!(
        out,
        "\nPersistent vs open/teardown: request and reply of {} over tcp",
        size_label(c.size)
    );
    let row = |name: &str, x: &crate::bench::report::ConnectRun| {
        vec![
            name.to_owned(),
            format!("{}", fmt_count(x.per_s)),
            fmt_ns(x.mean_ns),
            x.messages.to_string(),
        ]
    };
    grid(
        out,
        &["", "messages/s", "per message", "messages"],
        &[Align::Left, Align::Right, Align::Right, Align::Right],
        &[
            row("persistent link", &c.persistent),
            row("connection per message", &c.per_connection),
        ],
    );
    meaning(
        out,
        &format!(
            "one connection per message is {}x slower here than a persistent link",
            sig3(c.ratio)
        ),
    );
}

fn nagle_section(out: &mut String, r: &Report) {
    let Some(n) = &r.nagle else { return };
    if n.is_empty() {
        return;
    }
    let size = n[0].latency.size;
    let _ = writeln!(
        out,
        "\nNagle: tcp with TCP_NODELAY on and off at both ends ({} messages; rate with send, linger 0)",
        size_label(size)
    );
    let rows: Vec<Vec<String>> = n
        .iter()
        .map(|x| {
            vec![
                if x.nodelay {
                    "on (Nagle off, default)".into()
                } else {
                    "off (Nagle on)".into()
                },
                fmt_ns(x.latency.p50_ns as f64),
                fmt_ns(x.latency.p99_ns as f64),
                fmt_ns(x.latency.max_ns as f64),
                fmt_count(x.rate.messages_per_s),
            ]
        })
        .collect();
    grid(
        out,
        &["TCP_NODELAY", "p50", "p99", "max", "messages/s"],
        &[
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
        &rows,
    );
    let on = n.iter().find(|x| x.nodelay);
    let off = n.iter().find(|x| !x.nodelay);
    if let (Some(on), Some(off)) = (on, off) {
        meaning(
            out,
            &format!(
                "with Nagle on, the median round trip is {} nodelay's and small sends reach {} its rate (the kernel coalesces them)",
                times(off.latency.p50_ns as f64, on.latency.p50_ns as f64),
                times(off.rate.messages_per_s, on.rate.messages_per_s)
            ),
        );
    }
}

fn baseline_section(out: &mut String, r: &Report) {
    if r.comparisons.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nBaseline: tether against plain std::net in the same run (ratio tether/std)"
    );
    let lat: Vec<Vec<String>> = r
        .comparisons
        .iter()
        .filter(|c| c.unit == "ns")
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
                "feed+flush / std batch",
            ],
            &[Align::Left],
            &rows,
        );
    }
    let worse: Vec<&str> = r
        .comparisons
        .iter()
        .filter(|c| {
            (c.better == "lower" && c.ratio > 1.10) || (c.better == "higher" && c.ratio < 0.9)
        })
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

fn udp_section(out: &mut String, r: &Report) {
    let Some(points) = &r.udp else { return };
    if points.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nUDP: numbered {} datagrams for {} s per offered rate, counted by the receiver",
        size_label(points[0].size),
        r.settings.udp_time_s
    );
    let rows: Vec<Vec<String>> = points
        .iter()
        .map(|p| {
            vec![
                p.offered_per_s
                    .map(fmt_count)
                    .unwrap_or_else(|| "unpaced".into()),
                fmt_count(p.sent_per_s),
                fmt_count(p.delivered_per_s),
                p.sent.to_string(),
                p.received.to_string(),
                p.lost.to_string(),
                format!("{:.2}%", p.loss_ratio * 100.0),
                p.reordered.to_string(),
            ]
        })
        .collect();
    grid(
        out,
        &[
            "offered/s",
            "sent/s",
            "delivered/s",
            "sent",
            "received",
            "lost",
            "loss",
            "reordered",
        ],
        &[Align::Left],
        &rows,
    );
    let best = points
        .iter()
        .filter(|p| p.loss_ratio == 0.0)
        .map(|p| p.delivered_per_s)
        .fold(0.0, f64::max);
    let worst = points
        .iter()
        .max_by(|a, b| a.loss_ratio.total_cmp(&b.loss_ratio));
    let mut text = String::new();
    if best > 0.0 {
        let _ = write!(text, "no loss up to {} datagrams/s", fmt_count(best));
    }
    if let Some(w) = worst.filter(|w| w.lost > 0) {
        if !text.is_empty() {
            text.push_str("; ");
        }
        let _ = write!(
            text,
            "sending {} /s lost {:.1}%, delivering {} /s: UDP is only as fast as the receiver keeps up",
            fmt_count(w.sent_per_s),
            w.loss_ratio * 100.0,
            fmt_count(w.delivered_per_s)
        );
    }
    if !text.is_empty() {
        meaning(out, &text);
    }
}

fn targets_section(out: &mut String, r: &Report) {
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
                format!("{} {}", t.op, b),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_read_well() {
        assert_eq!(fmt_ns(850.0), "850 ns");
        assert_eq!(fmt_ns(14_607.0), "14.6 µs");
        assert_eq!(fmt_ns(3_268_607.0), "3.27 ms");
        assert_eq!(fmt_count(8_424_667.0), "8.42 M");
        assert_eq!(fmt_count(356_304.0), "356 k");
        assert_eq!(fmt_count(0.0), "0");
        assert_eq!(fmt_bytes_per_s(3.21e9), "3.21 GB/s");
        assert_eq!(times(400.0, 1.0), "400x");
        assert_eq!(times(1.0, 4.0), "1/4.00");
        assert!(times(0.99, 1.0).ends_with('x'), "{}", times(0.99, 1.0));
    }
}
