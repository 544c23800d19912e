//! The chart of `tether bench --languages`: messages per second against
//! message size (log-log), one line and colour per sender (tether thick
//! with filled points, plain sockets thin with hollow ones), each legend
//! entry with its round-trip median.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use tether_bench::control::Stack;
use tether_bench::languages::{LanguageReport, Sender};

use crate::output::export::plot::{
    colour, decades, font, plot_err, register_font, size_rate_chart, RateAxes, HEIGHT, WIDTH,
};
use crate::output::units::{fmt_count, fmt_ns};

/// Writes `languages.png` and `languages.svg` into `dir`; returns them.
pub fn write(r: &LanguageReport, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    register_font()?;
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let png = dir.join("languages.png");
    let svg = dir.join("languages.svg");
    {
        let root = BitMapBackend::new(&png, (WIDTH, HEIGHT)).into_drawing_area();
        chart(root.clone(), r)?;
        root.present().map_err(plot_err)?;
    }
    {
        let root = SVGBackend::new(&svg, (WIDTH, HEIGHT)).into_drawing_area();
        chart(root.clone(), r)?;
        root.present().map_err(plot_err)?;
    }
    Ok(vec![png, svg])
}

fn chart<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    r: &LanguageReport,
) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(plot_err)?;
    let values: Vec<f64> = r
        .senders
        .iter()
        .flat_map(|s| s.rates.iter().map(|x| x.messages_per_s))
        .filter(|v| *v > 0.0)
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    let lo = if lo.is_finite() { lo } else { 1.0 };
    let axes = RateAxes {
        caption: "Which language is faster? One-way rate over TCP on loopback, by sender",
        caption_size: 26,
        margin: 18,
        y_desc: "messages per second, log",
        y_range: decades(lo, hi),
        xmax: r.sizes.iter().copied().max().unwrap_or(1) as f64 * 2.0,
        y_fmt: &|v| fmt_count(*v),
    };
    let mut c = size_rate_chart(&root, &axes)?;
    for (i, s) in r.senders.iter().enumerate() {
        let mut pts: Vec<(f64, f64)> = s
            .rates
            .iter()
            .filter(|x| x.messages_per_s > 0.0)
            .map(|x| (x.size as f64, x.messages_per_s))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let hue = colour(Sender::ALL.iter().position(|x| *x == s.sender).unwrap_or(i));
        let tether = s.sender.stack == Stack::Tether;
        let width = if tether { 3 } else { 2 };
        let label = match s.round_trip {
            Some(t) => format!(
                "{} (round trip p50 {})",
                s.sender.label(),
                fmt_ns(t.p50_ns as f64)
            ),
            None => s.sender.label().to_string(),
        };
        c.draw_series(LineSeries::new(pts.clone(), hue.stroke_width(width)))
            .map_err(plot_err)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], hue.stroke_width(width))
            });
        if tether {
            c.draw_series(pts.iter().map(|&p| Circle::new(p, 5, hue.filled())))
                .map_err(plot_err)?;
        } else {
            c.draw_series(pts.iter().map(|&p| Circle::new(p, 5, hue.stroke_width(2))))
                .map_err(plot_err)?;
        }
    }
    c.configure_series_labels()
        .label_font(font(16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(plot_err)?;
    Ok(())
}
