//! The sections of the bench table, one per experiment (the baseline and
//! the targets are in `verdicts`).

use std::fmt::Write;

use tether::DEFAULT_LINGER;
use tether_bench::control::{Stack, Transport};
use tether_bench::report::{ConnectRun, Latency, Rate, RateMode, Report};

use crate::output::grid::{grid, meaning, Align};
use crate::output::units::{
    fmt_bytes_per_s, fmt_count, fmt_ns, ratio_text, sig3, size_label, times,
};

fn latency_rows(r: &Report) -> Vec<&Latency> {
    let mut rows = r.all_latency();
    let order = |t: Transport| match t {
        Transport::Tcp => 0,
        Transport::Unix => 1,
        Transport::Udp => 2,
    };
    rows.sort_by_key(|l| (order(l.transport), l.stack == Stack::Std));
    rows
}

pub(super) fn latency(out: &mut String, r: &Report) {
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
    let std_p50 = |t| std_p50(r, t);
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
    latency_meaning(out, r, &rows);
}

/// The median round trip of std::net over `t`, if measured.
fn std_p50(r: &Report, t: Transport) -> Option<f64> {
    r.baseline
        .iter()
        .flat_map(|b| &b.latency)
        .find(|b| b.transport == t)
        .map(|b| b.p50_ns as f64)
}

fn latency_meaning(out: &mut String, r: &Report, rows: &[&Latency]) {
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
        if let (Some(t), Some(b)) = (p50(Transport::Tcp), std_p50(r, Transport::Tcp)) {
            let _ = write!(
                text,
                "; tether's tcp median is {:+.0}% against plain std::net",
                (t / b - 1.0) * 100.0
            );
        }
        meaning(out, &text);
    }
}

pub(super) fn rate(out: &mut String, r: &Report) {
    let rates = r.all_rates();
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
    rate_meaning(out, r, &rates);
}

fn rate_meaning(out: &mut String, r: &Report, rates: &[&Rate]) {
    let s = &r.settings;
    let find =
        |mode: RateMode, size: usize| rates.iter().find(|x| x.mode == mode && x.size == size);
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
                "the {} linger gathers closely spaced sends: {}",
                fmt_ns(DEFAULT_LINGER.as_nanos() as f64),
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

pub(super) fn connect(out: &mut String, r: &Report) {
    let Some(c) = &r.connect else { return };
    let _ = writeln!(
        out,
        "\nPersistent vs open/teardown: request and reply of {} over tcp",
        size_label(c.size)
    );
    let row = |name: &str, x: &ConnectRun| {
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

pub(super) fn nagle(out: &mut String, r: &Report) {
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

pub(super) fn udp(out: &mut String, r: &Report) {
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
