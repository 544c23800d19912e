//! The busy-poll section of the bench table (`--busy-poll`): tcp round
//! trips with and without spinning, beside blocking std::net, unpinned.

use std::fmt::Write;

use tether_bench::report::{Latency, Report};

use crate::output::grid::{grid, meaning, Align};
use crate::output::units::{fmt_ns, ratio_text, size_label};

pub(super) fn busy_poll(out: &mut String, r: &Report) {
    let Some(b) = &r.busy_poll else { return };
    let spin = fmt_ns(b.busy_poll_ns as f64);
    let _ = writeln!(
        out,
        "\nBusy poll: tcp round trips of a {} message, unpinned, taking turns; both tether ends spin {} before they sleep",
        size_label(b.std.size),
        spin
    );
    let std_p50 = b.std.p50_ns as f64;
    let row = |name: &str, l: &Latency| {
        vec![
            name.to_owned(),
            fmt_ns(l.p50_ns as f64),
            fmt_ns(l.p90_ns as f64),
            fmt_ns(l.p99_ns as f64),
            fmt_ns(l.max_ns as f64),
            l.rounds.to_string(),
            if std_p50 > 0.0 {
                ratio_text(l.p50_ns as f64 / std_p50)
            } else {
                String::new()
            },
        ]
    };
    use Align::*;
    grid(
        out,
        &["", "p50", "p90", "p99", "max", "rounds", "p50 vs std"],
        &[Left, Right, Right, Right, Right, Right, Right],
        &[
            row("tether, busy poll", &b.tether_busy_poll),
            row("tether, blocking", &b.tether),
            row("std, blocking", &b.std),
        ],
    );
    meaning(
        out,
        &format!(
            "spinning up to {} per receive puts the median round trip at {} of blocking std::net's; each end burns its CPU while it spins",
            spin,
            ratio_text(b.ratio_to_std)
        ),
    );
}
