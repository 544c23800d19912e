//! The table of `tether bench --broker`: round trip and rate through the
//! broker beside a direct tether link, measured in the same run, and the
//! ratio of each.

use tether_bench::broker::{BrokerReport, Path};

use crate::output::grid::{grid, meaning, Align};
use crate::output::units::{fmt_count, fmt_ns, size_label, times};

/// The whole table as text.
pub fn render(r: &BrokerReport) -> String {
    let mut out = String::new();
    let qos = if r.protocol == "mqtt" {
        format!(", QoS {}", r.qos)
    } else {
        String::new()
    };
    out.push_str(&format!(
        "What the broker costs: {} messages through {}{qos}, beside a direct tether link (tcp, loopback), in one run of {:.0} s\n",
        size_label(r.size),
        r.broker,
        r.duration_s
    ));
    let headers = [
        "path",
        "round trip p50",
        "p99",
        "max",
        "rounds",
        "rate msg/s",
        "received/sent",
    ];
    let align = [
        Align::Left,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
    ];
    let rows = vec![
        row("direct link", &r.direct),
        row(&format!("through {}", r.protocol), &r.through_broker),
    ];
    grid(&mut out, &headers, &align, &rows);
    meaning(
        &mut out,
        &format!(
            "through the broker a round trip takes {} the time of a direct link, and {} messages go {} as fast",
            times(
                r.through_broker.round_trip.p50_ns as f64,
                r.direct.round_trip.p50_ns as f64
            ),
            size_label(r.size),
            times(r.through_broker.rate.messages_per_s, r.direct.rate.messages_per_s),
        ),
    );
    out
}

fn row(name: &str, p: &Path) -> Vec<String> {
    let t = &p.round_trip;
    vec![
        name.to_owned(),
        fmt_ns(t.p50_ns as f64),
        fmt_ns(t.p99_ns as f64),
        fmt_ns(t.max_ns as f64),
        t.rounds.to_string(),
        fmt_count(p.rate.messages_per_s),
        format!("{}/{}", p.rate.received, p.rate.sent),
    ]
}
