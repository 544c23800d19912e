//! Bench charts as PNG and SVG, drawn with plotters: rate against message
//! size (log-log), latency percentiles per transport, and persistent link
//! against a connection per message. Text is drawn with the bundled DejaVu
//! Sans, so the charts look the same on every machine.

use std::path::{Path, PathBuf};
use std::sync::Once;

use anyhow::{anyhow, Context};
use plotters::coord::combinators::{LogCoord, WithKeyPoints};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use tether_bench::control::Stack;
use tether_bench::report::{Latency, Rate, RateMode, Report};

use super::{Exporter, Target};
use crate::output::units::{fmt_bytes_per_s, fmt_count, fmt_ns, short_ratio, size_label};

/// DejaVu Sans (fonts-dejavu-core; license in assets/DejaVuSans-LICENSE.txt).
static FONT: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Chart size in pixels.
pub(crate) const WIDTH: u32 = 1280;
/// Chart height in pixels.
pub(crate) const HEIGHT: u32 = 760;

/// Registers the bundled font once.
pub(crate) fn register_font() -> anyhow::Result<()> {
    static ONCE: Once = Once::new();
    let mut failed = false;
    ONCE.call_once(|| {
        failed = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err();
    });
    if failed {
        return Err(anyhow!("the bundled plot font cannot be read"));
    }
    Ok(())
}

/// plotters errors carry the backend's error type; one line is enough here.
pub(crate) fn plot_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {e:?}")
}

/// The bundled font at `size`, black.
pub(crate) fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}

/// A colour per series, readable on white and told apart in print.
pub(crate) fn colour(i: usize) -> RGBColor {
    const C: [RGBColor; 8] = [
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0xd6, 0x27, 0x28),
        RGBColor(0x2c, 0xa0, 0x2c),
        RGBColor(0x55, 0x55, 0x55),
        RGBColor(0xff, 0x7f, 0x0e),
        RGBColor(0x94, 0x67, 0xbd),
        RGBColor(0x8c, 0x56, 0x4b),
        RGBColor(0x17, 0xbe, 0xcf),
    ];
    C[i % C.len()]
}

/// The chart exporter: PNG and SVG files into a directory.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlotExporter;

impl Exporter for PlotExporter {
    fn export(&self, report: &Report, target: &Target) -> anyhow::Result<Vec<PathBuf>> {
        match target {
            Target::Path(dir) => write_all(report, dir),
            Target::Stdout | Target::Stderr => Err(anyhow!("charts are files: name a directory")),
        }
    }
}

/// Writes every chart the report has data for into `dir`, each as PNG and
/// SVG; returns the files written.
pub fn write_all(r: &Report, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    register_font()?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    let mut both = |name: &str,
                    draw: &dyn Fn(DrawingArea<BitMapBackend<'_>, Shift>) -> anyhow::Result<()>,
                    draw_svg: &dyn Fn(DrawingArea<SVGBackend<'_>, Shift>) -> anyhow::Result<()>|
     -> anyhow::Result<()> {
        let png = dir.join(format!("{name}.png"));
        let svg = dir.join(format!("{name}.svg"));
        {
            let root = BitMapBackend::new(&png, (WIDTH, HEIGHT)).into_drawing_area();
            draw(root.clone())?;
            root.present()
                .map_err(plot_err)
                .with_context(|| format!("cannot write {}", png.display()))?;
        }
        {
            let root = SVGBackend::new(&svg, (WIDTH, HEIGHT)).into_drawing_area();
            draw_svg(root.clone())?;
            root.present()
                .map_err(plot_err)
                .with_context(|| format!("cannot write {}", svg.display()))?;
        }
        written.push(png);
        written.push(svg);
        Ok(())
    };
    let mut rates = r.all_rates();
    rates.retain(|x| x.messages_per_s > 0.0);
    if !rates.is_empty() {
        both(
            "rate-vs-size",
            &|root| rate_chart(root, r, &rates),
            &|root| rate_chart(root, r, &rates),
        )?;
    }
    let lat: Vec<(String, &Latency)> = r
        .all_latency()
        .into_iter()
        .map(|l| (format!("{} {}", l.transport.name(), l.stack.name()), l))
        .collect();
    if !lat.is_empty() {
        let caption = "percentiles per transport";
        both(
            "latency",
            &|root| latency_chart(root, &lat, caption),
            &|root| latency_chart(root, &lat, caption),
        )?;
    }
    if let Some(b) = &r.busy_poll {
        let spin = fmt_ns(b.busy_poll_ns as f64);
        let rows = vec![
            (format!("tether, busy poll {spin}"), &b.tether_busy_poll),
            ("tether, blocking".to_owned(), &b.tether),
            ("std, blocking".to_owned(), &b.std),
        ];
        let caption = "tcp, unpinned, with and without busy polling";
        both(
            "busy-poll",
            &|root| latency_chart(root, &rows, caption),
            &|root| latency_chart(root, &rows, caption),
        )?;
    }
    if r.connect.is_some() {
        both("connect", &|root| connect_chart(root, r), &|root| {
            connect_chart(root, r)
        })?;
    }
    Ok(written)
}

/// Powers of ten from below `lo` to above `hi`, for log axes.
pub(crate) fn decades(lo: f64, hi: f64) -> (f64, f64) {
    let lo = 10f64.powf(lo.max(1e-9).log10().floor());
    let hi = 10f64.powf(hi.max(lo * 10.0).log10().ceil());
    (lo, hi)
}

fn rate_chart<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    r: &Report,
    rates: &[&Rate],
) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(plot_err)?;
    let root = root
        .titled(
            &format!(
                "tether bench: one-way rate over tcp against message size ({}, {} CPUs)",
                r.machine.kernel, r.machine.cpus
            ),
            font(26),
        )
        .map_err(plot_err)?;
    let (left, right) = root.split_horizontally(WIDTH / 2);
    let sizes: Vec<f64> = r.settings.sizes.iter().map(|&s| s as f64).collect();
    let xmax = sizes.iter().copied().fold(1.0, f64::max) * 2.0;
    panel(
        left,
        rates,
        "messages per second",
        "messages/s",
        xmax,
        |x| x.messages_per_s,
        &|v| fmt_count(*v),
        SeriesLabelPosition::UpperRight,
    )?;
    panel(
        right,
        rates,
        "payload bytes per second",
        "payload bytes/s (decimal)",
        xmax,
        |x| x.bytes_per_s,
        &|v| fmt_bytes_per_s(*v),
        SeriesLabelPosition::LowerRight,
    )?;
    Ok(())
}

/// The coordinates of a rate chart: message size against a rate, both on
/// log scales.
pub(crate) type RateCoord = Cartesian2d<WithKeyPoints<LogCoord<f64>>, LogCoord<f64>>;

/// The frame of a rate chart: caption, margin and the rate axis.
pub(crate) struct RateAxes<'f> {
    /// The chart's title.
    pub caption: &'f str,
    /// Its font size.
    pub caption_size: u32,
    /// Margin around the chart, pixels.
    pub margin: u32,
    /// The rate axis' description.
    pub y_desc: &'f str,
    /// The rate axis' range (whole decades).
    pub y_range: (f64, f64),
    /// The largest message size shown.
    pub xmax: f64,
    /// How the rate axis labels its ticks.
    pub y_fmt: &'f dyn Fn(&f64) -> String,
}

/// Draws the axes and mesh of a rate chart (sizes on the decades and the
/// binary sizes of [`tether_bench::plan::SIZES`]) and hands the chart back
/// for its series.
pub(crate) fn size_rate_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    axes: &RateAxes<'_>,
) -> anyhow::Result<ChartContext<'a, DB, RateCoord>> {
    let (ylo, yhi) = axes.y_range;
    let mut chart = ChartBuilder::on(area)
        .caption(axes.caption, font(axes.caption_size))
        .margin(axes.margin)
        .x_label_area_size(60)
        .y_label_area_size(100)
        .build_cartesian_2d(
            (0.7f64..axes.xmax)
                .log_scale()
                .with_key_points(vec![1.0, 10.0, 100.0, 1024.0, 10240.0, 102400.0, 1048576.0]),
            (ylo..yhi).log_scale(),
        )
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("message size (bytes, log)")
        .y_desc(axes.y_desc)
        .x_label_formatter(&|v| size_label(v.round() as usize))
        .y_label_formatter(axes.y_fmt)
        .label_style(font(16))
        .axis_desc_style(font(19))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(plot_err)?;
    Ok(chart)
}

#[allow(clippy::too_many_arguments)]
fn panel<DB: DrawingBackend>(
    area: DrawingArea<DB, Shift>,
    rates: &[&Rate],
    caption: &str,
    y_desc: &str,
    xmax: f64,
    value: impl Fn(&Rate) -> f64,
    y_fmt: &dyn Fn(&f64) -> String,
    legend_at: SeriesLabelPosition,
) -> anyhow::Result<()> {
    let values: Vec<f64> = rates
        .iter()
        .map(|x| value(x))
        .filter(|v| *v > 0.0)
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    let y_desc = format!("{y_desc}, log");
    let axes = RateAxes {
        caption,
        caption_size: 22,
        margin: 14,
        y_desc: &y_desc,
        y_range: decades(lo, hi),
        xmax,
        y_fmt,
    };
    let mut chart = size_rate_chart(&area, &axes)?;
    for (i, mode) in RateMode::ALL.into_iter().enumerate() {
        let mut pts: Vec<(f64, f64)> = rates
            .iter()
            .filter(|x| x.mode == mode && value(x) > 0.0)
            .map(|x| (x.size as f64, value(x)))
            .collect();
        if pts.is_empty() {
            continue;
        }
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        series(
            &mut chart,
            pts,
            colour(i),
            mode.is_std(),
            mode.label().into(),
        )?;
    }
    legend(&mut chart, 16, legend_at)
}

/// Percentiles of each labelled row, one line per row.
fn latency_chart<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    rows: &[(String, &Latency)],
    what: &str,
) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(plot_err)?;
    let names = ["p50", "p90", "p99", "p99.9", "max"];
    let pcts = |l: &Latency| {
        [l.p50_ns, l.p90_ns, l.p99_ns, l.p999_ns, l.max_ns].map(|v| v.max(1) as f64 / 1e3)
    };
    let all: Vec<f64> = rows.iter().flat_map(|(_, l)| pcts(l)).collect();
    let (ylo, yhi) = decades(
        all.iter().copied().fold(f64::INFINITY, f64::min),
        all.iter().copied().fold(0.0, f64::max),
    );
    let size = rows.first().map_or(0, |(_, l)| l.size);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "tether bench: round trip of a {} message, {what}",
                size_label(size)
            ),
            font(26),
        )
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(100)
        .build_cartesian_2d(-0.3f64..4.3f64, (ylo..yhi).log_scale())
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("percentile of round trips")
        .y_desc("round-trip time (log scale)")
        .x_labels(5)
        .x_label_formatter(&|v| {
            let i = v.round();
            if (v - i).abs() < 0.01 && (0.0..=4.0).contains(&i) {
                names[i as usize].to_owned()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| fmt_ns(v * 1e3))
        .label_style(font(18))
        .axis_desc_style(font(20))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(plot_err)?;
    for (i, (label, l)) in rows.iter().enumerate() {
        let pts: Vec<(f64, f64)> = pcts(l)
            .iter()
            .enumerate()
            .map(|(k, &v)| (k as f64, v))
            .collect();
        series(
            &mut chart,
            pts,
            colour(i),
            l.stack == Stack::Std,
            label.clone(),
        )?;
    }
    legend(&mut chart, 18, SeriesLabelPosition::UpperLeft)
}

/// One line with its points and legend entry: tether's thick with filled
/// points, std's thinner with hollow ones.
fn series<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    pts: Vec<(f64, f64)>,
    c: RGBColor,
    std: bool,
    label: String,
) -> anyhow::Result<()>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate<From = (f64, f64)>,
{
    let width = if std { 2 } else { 3 };
    chart
        .draw_series(LineSeries::new(pts.clone(), c.stroke_width(width)))
        .map_err(plot_err)?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(width)));
    let style = if std { c.stroke_width(2) } else { c.filled() };
    chart
        .draw_series(pts.iter().map(|&p| Circle::new(p, 5, style)))
        .map_err(plot_err)?;
    Ok(())
}

/// The legend box, with labels of `size` points.
fn legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    size: u32,
    at: SeriesLabelPosition,
) -> anyhow::Result<()>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .label_font(font(size))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .position(at)
        .draw()
        .map_err(plot_err)?;
    Ok(())
}

fn connect_chart<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    r: &Report,
) -> anyhow::Result<()> {
    let Some(c) = &r.connect else { return Ok(()) };
    root.fill(&WHITE).map_err(plot_err)?;
    let bars = [
        ("persistent link", c.persistent.per_s, colour(0)),
        ("connection per message", c.per_connection.per_s, colour(1)),
    ];
    let caption = format!(
        "persistent link: {}x the messages/s of a connection per message ({} request + reply, tcp)",
        short_ratio(c.ratio),
        size_label(c.size)
    );
    let bars = bars.map(|(name, v, col)| (format!("{name}: {} msg/s", fmt_count(v)), v, col));
    bar_chart(
        &root,
        &caption,
        24,
        "messages per second (request + reply)",
        &|v| fmt_count(v),
        &bars,
    )
}

/// Bars side by side from 0, each with its text above it; fonts scale
/// with `caption_size`.
pub(crate) fn bar_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    caption_size: u32,
    y_desc: &str,
    y_fmt: &dyn Fn(f64) -> String,
    bars: &[(String, f64, RGBColor)],
) -> anyhow::Result<()> {
    let top = bars.iter().map(|b| b.1).fold(1.0, f64::max) * 1.18;
    let n = bars.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font(caption_size))
        .margin(20)
        .x_label_area_size(20)
        .y_label_area_size(110)
        .build_cartesian_2d(0f64..n, 0f64..top)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .light_line_style(WHITE.mix(0.0))
        .y_desc(y_desc)
        .y_label_formatter(&|v| y_fmt(*v))
        .label_style(font(caption_size - 6))
        .axis_desc_style(font(caption_size - 4))
        .draw()
        .map_err(plot_err)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, v, col))| {
            Rectangle::new([(i as f64 + 0.2, 0.0), (i as f64 + 0.8, *v)], col.filled())
        }))
        .map_err(plot_err)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (text, v, _))| {
            Text::new(
                text.clone(),
                (i as f64 + 0.2, v + top * 0.02),
                font(caption_size - 4),
            )
        }))
        .map_err(plot_err)?;
    Ok(())
}
