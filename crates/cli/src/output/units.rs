//! Every unit a person reads, in one place: times, counts, rates, byte
//! counts and sizes, ratios. Tables, plots and summaries all format through
//! these functions.

/// An exact size: `1 MiB`, `10 KiB`, `100 B` (tether's own label for
/// sizes, the one its errors use too).
pub use tether::proto::limits::size_label;

/// Three significant digits, e.g. `14.6`, `356`, `1.02`.
pub fn sig3(x: f64) -> String {
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

/// `x` over the first divisor it reaches, with that unit (`steps` from the
/// largest divisor down to 1).
fn scaled(x: f64, steps: &[(f64, &str)]) -> String {
    let (div, unit) = steps
        .iter()
        .copied()
        .find(|&(d, _)| x >= d)
        .unwrap_or((1.0, steps.last().map_or("", |s| s.1)));
    format!("{} {unit}", sig3(x / div)).trim_end().to_owned()
}

/// `850 ns`, `14.6 µs`, `3.27 ms`, `1.20 s`.
pub fn fmt_ns(ns: f64) -> String {
    scaled(ns, &[(1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns")])
}

/// `356 k`, `8.42 M` (per second, the unit is in the header).
pub fn fmt_count(x: f64) -> String {
    scaled(x, &[(1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")])
}

/// `8.42 MB/s`, `3.21 GB/s` (decimal units).
pub fn fmt_bytes_per_s(x: f64) -> String {
    scaled(
        x,
        &[(1e9, "GB/s"), (1e6, "MB/s"), (1e3, "kB/s"), (1.0, "B/s")],
    )
}

/// A ratio as a factor: `1.02x`.
pub fn ratio_text(r: f64) -> String {
    format!("{}x", sig3(r))
}

/// A large ratio in a title: `425`, `4.3`.
pub fn short_ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// How much faster or slower `a` is than `b`, in words.
pub fn times(a: f64, b: f64) -> String {
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

/// A byte count for a person: `17 B`, `1.5 KiB`, `12.0 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
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
        assert_eq!(fmt_bytes_per_s(500.0), "500 B/s");
        assert_eq!(fmt_ns(0.5), "0.50 ns");
        assert_eq!(fmt_count(999.0), "999");
        assert_eq!(times(400.0, 1.0), "400x");
        assert_eq!(times(1.0, 4.0), "1/4.00");
        assert!(times(0.99, 1.0).ends_with('x'), "{}", times(0.99, 1.0));
    }

    #[test]
    fn human_bytes_units() {
        assert_eq!(human_bytes(17), "17 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(12 * 1024 * 1024), "12.0 MiB");
    }
}
