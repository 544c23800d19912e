//! The table of `tether bench --languages`: messages per second by message
//! size, one column per sender, the round-trip median under it, then what
//! each sender does and which were skipped.

use tether_bench::control::Stack;
use tether_bench::languages::{Language, LanguageReport, SenderRun};

use crate::output::grid::{grid, meaning, Align};
use crate::output::units::{fmt_count, fmt_ns, size_label, times};

/// The whole table as text.
pub fn render(r: &LanguageReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Which language is faster? One-way rate over TCP on loopback, messages/s (best of {} round{})\n",
        r.rounds,
        if r.rounds == 1 { "" } else { "s" }
    ));
    let mut headers = vec!["size"];
    headers.extend(r.senders.iter().map(|s| s.sender.label()));
    let mut align = vec![Align::Left];
    align.extend(r.senders.iter().map(|_| Align::Right));
    let mut rows: Vec<Vec<String>> = r
        .sizes
        .iter()
        .map(|&size| {
            let mut row = vec![size_label(size)];
            row.extend(r.senders.iter().map(|s| rate_cell(s, size)));
            row
        })
        .collect();
    let mut rtt = vec!["round trip p50, 4 B".to_string()];
    rtt.extend(
        r.senders
            .iter()
            .map(|s| s.round_trip.map_or("-".into(), |t| fmt_ns(t.p50_ns as f64))),
    );
    rows.push(rtt);
    grid(&mut out, &headers, &align, &rows);
    for language in [Language::Rust, Language::Python, Language::Java] {
        if let Some(text) = verdict(r, language) {
            meaning(&mut out, &text);
        }
    }
    out.push('\n');
    for s in &r.senders {
        out.push_str(&format!("  {:<14} {}\n", s.sender.label(), s.how));
    }
    for k in &r.skipped {
        out.push_str(&format!(
            "  {:<14} skipped: {}\n",
            k.sender.label(),
            k.reason
        ));
    }
    out
}

fn rate_cell(s: &SenderRun, size: usize) -> String {
    match s.rates.iter().find(|x| x.size == size) {
        Some(x) if x.capped_by_time => format!("{} (t)", fmt_count(x.messages_per_s)),
        Some(x) => fmt_count(x.messages_per_s),
        None => "-".into(),
    }
}

/// One language's tether sender against its plain one: 4 B rate and round trip.
fn verdict(r: &LanguageReport, language: Language) -> Option<String> {
    let find = |stack| {
        r.senders
            .iter()
            .find(|s| s.sender.language == language && s.sender.stack == stack)
    };
    let (t, p) = (find(Stack::Tether)?, find(Stack::Std)?);
    let small = r
        .sizes
        .iter()
        .copied()
        .find(|&s| s == 4)
        .or_else(|| r.sizes.first().copied())?;
    let rate = |s: &SenderRun| {
        s.rates
            .iter()
            .find(|x| x.size == small)
            .map_or(0.0, |x| x.messages_per_s)
    };
    let p50 = |s: &SenderRun| s.round_trip.map_or(0.0, |x| x.p50_ns as f64);
    Some(format!(
        "{}: {} sends {} messages {} as fast as {}; its round trip takes {} the time",
        name(language),
        t.sender.label(),
        size_label(small),
        times(rate(t), rate(p)),
        p.sender.label(),
        times(p50(t), p50(p)),
    ))
}

fn name(l: Language) -> &'static str {
    match l {
        Language::Rust => "Rust",
        Language::Python => "Python",
        Language::Java => "Java",
    }
}
