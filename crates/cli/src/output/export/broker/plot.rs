//! The chart of `tether bench --broker`: two panels of two bars each, the
//! round-trip median and the rate of small messages, a direct tether link
//! beside the path through the broker.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use tether_bench::broker::BrokerReport;

use crate::output::export::plot::{
    bar_chart, colour, font, plot_err, register_font, HEIGHT, WIDTH,
};
use crate::output::units::{fmt_count, fmt_ns, size_label, times};

/// Writes `broker.png` and `broker.svg` into `dir`; returns them.
pub fn write(r: &BrokerReport, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    register_font()?;
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let png = dir.join("broker.png");
    let svg = dir.join("broker.svg");
    {
        let root = BitMapBackend::new(&png, (WIDTH, HEIGHT)).into_drawing_area();
        chart(&root, r)?;
        root.present().map_err(plot_err)?;
    }
    {
        let root = SVGBackend::new(&svg, (WIDTH, HEIGHT)).into_drawing_area();
        chart(&root, r)?;
        root.present().map_err(plot_err)?;
    }
    Ok(vec![png, svg])
}

/// One panel: what it shows, its y-axis words, the values' format, and
/// the direct and broker values.
struct Panel<'a> {
    caption: String,
    y_desc: &'a str,
    fmt: &'a dyn Fn(f64) -> String,
    values: [f64; 2],
}

fn chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &BrokerReport,
) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(plot_err)?;
    let (top, body) = root.split_vertically(60);
    top.draw(&Text::new(
        format!(
            "What {} costs: {} messages, beside a direct tether link (tcp, loopback)",
            r.protocol,
            size_label(r.size)
        ),
        (20, 15),
        font(26),
    ))
    .map_err(plot_err)?;
    let halves = body.split_evenly((1, 2));
    let rtt = [
        r.direct.round_trip.p50_ns as f64,
        r.through_broker.round_trip.p50_ns as f64,
    ];
    let rate = [
        r.direct.rate.messages_per_s,
        r.through_broker.rate.messages_per_s,
    ];
    let panels = [
        Panel {
            caption: format!(
                "round trip p50: {} through the broker",
                times(rtt[1], rtt[0])
            ),
            y_desc: "round trip p50",
            fmt: &|v| fmt_ns(v),
            values: rtt,
        },
        Panel {
            caption: format!("rate: {} through the broker", times(rate[1], rate[0])),
            y_desc: "messages per second",
            fmt: &|v| fmt_count(v),
            values: rate,
        },
    ];
    for (area, panel) in halves.iter().zip(&panels) {
        bars(area, panel, &r.protocol)?;
    }
    Ok(())
}

fn bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Panel<'_>,
    protocol: &str,
) -> anyhow::Result<()> {
    let names = ["direct link".to_owned(), format!("through {protocol}")];
    let bars: Vec<(String, f64, RGBColor)> = p
        .values
        .iter()
        .enumerate()
        .map(|(i, &v)| (format!("{}: {}", names[i], (p.fmt)(v)), v, colour(i)))
        .collect();
    bar_chart(area, &p.caption, 20, p.y_desc, p.fmt, &bars)
}
