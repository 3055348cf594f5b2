//! The report as the command's stable JSON, and the warnings (skipped lines located in their
//! own file) on stderr.

use std::fmt::Write as _;

use app::domain::attribution::{self, Report};

/// Turns line numbers over all inputs into `file:line (reason)`.
pub(super) fn locate(skipped: &[attribution::SkippedLine], inputs: &[(String, u64)]) -> String {
    let place = |line: u64| {
        let mut before = 0;
        for (name, lines) in inputs {
            if line <= before + lines {
                return format!("{name}:{}", line - before);
            }
            before += lines;
        }
        format!("line {line}")
    };
    skipped
        .iter()
        .map(|s| format!("{} ({})", place(s.line), s.reason))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Notes on stderr that do not fail the run but deserve a look.
pub(super) fn warn(report: &Report, inputs: &[(String, u64)]) {
    if report.skipped.count > 0 {
        eprintln!(
            "note: skipped {} malformed or incomplete line(s), first at {}",
            report.skipped.count,
            locate(&report.skipped.first, inputs)
        );
    }
    if report.anonymous_events > 0 {
        eprintln!(
            "note: {} event(s) with an empty distinct_id (tied to no user) were not counted",
            report.anonymous_events
        );
    }
    for (name, counts) in &report.experiments {
        if !counts.other_rules_on_flag.is_empty() {
            let others: Vec<String> = counts
                .other_rules_on_flag
                .iter()
                .map(|(rule, events)| format!("{rule}: {events}"))
                .collect();
            eprintln!(
                "note: experiment `{name}`: exposure events of other rules on its flag were not \
                 counted ({})",
                others.join(", ")
            );
        }
        if counts.incomplete_windows > 0 {
            eprintln!(
                "note: experiment `{name}`: {} user(s) have a conversion window that reaches past \
                 the end of the data",
                counts.incomplete_windows
            );
        }
        let exposed: u64 = counts.arms.values().map(|arm| arm.exposed).sum();
        if exposed == 0 && counts.multi_arm_users == 0 {
            eprintln!("warning: no exposures found for experiment `{name}`");
        } else if counts.multi_arm_users * 100 > exposed + counts.multi_arm_users {
            eprintln!(
                "warning: experiment `{name}`: {} users saw two or more arms (over 1% of exposed \
                 users); check the assignment",
                counts.multi_arm_users
            );
        }
    }
}

/// Which optional blocks were asked for: they appear on every arm (zeros where nothing
/// happened), and are left out entirely otherwise, so the plain output never changes.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Blocks {
    pub retained: bool,
    pub ratios: bool,
    pub covariates: bool,
    pub segments: bool,
}

impl Blocks {
    pub(super) fn of(config: &attribution::Config) -> Self {
        Self {
            retained: !config.retention.is_empty(),
            ratios: !config.ratios.is_empty(),
            covariates: config.pre_days.is_some(),
            segments: !config.segments.is_empty(),
        }
    }
}

/// `{"ARM": {...}, ...}` at `indent`.
fn arms_block(
    out: &mut String,
    arms: &std::collections::BTreeMap<String, attribution::ArmCounts>,
    indent: usize,
    blocks: Blocks,
) {
    let pad = |extra: usize| " ".repeat(indent + extra);
    out.push('{');
    for (a, (arm, counts)) in arms.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n{}{}: {{\n{}\"exposed\": {},\n{}\"converted\": {{",
            comma(a),
            pad(2),
            quote(arm),
            pad(4),
            counts.exposed,
            pad(4)
        );
        for (m, (metric, n)) in counts.converted.iter().enumerate() {
            let _ = write!(out, "{}\n{}{}: {n}", comma(m), pad(6), quote(metric));
        }
        out.push_str(&close(counts.converted.is_empty(), indent + 4));
        let _ = write!(out, ",\n{}\"values\": {{", pad(4));
        for (v, (key, sums)) in counts.values.iter().enumerate() {
            let cap = sums
                .cap
                .map(|cap| format!(", \"cap\": {}", number(cap)))
                .unwrap_or_default();
            let _ = write!(
                out,
                "{}\n{}{}: {{\"sum\": {}, \"sum_squares\": {}{cap}}}",
                comma(v),
                pad(6),
                quote(key),
                number(sums.sum),
                number(sums.sum_squares)
            );
        }
        out.push_str(&close(counts.values.is_empty(), indent + 4));
        if blocks.retained {
            let _ = write!(out, ",\n{}\"retained\": {{", pad(4));
            for (r, (spec, n)) in counts.retained.iter().enumerate() {
                let _ = write!(out, "{}{}: {n}", comma_space(r), quote(spec));
            }
            out.push('}');
        }
        if blocks.ratios {
            let _ = write!(out, ",\n{}\"ratios\": {{", pad(4));
            for (r, (spec, sums)) in counts.ratios.iter().enumerate() {
                let _ = write!(
                    out,
                    "{}\n{}{}: {{\"numerator_sum\": {}, \"numerator_sum_squares\": {}, \"denominator_sum\": {}, \"denominator_sum_squares\": {}, \"cross_sum\": {}}}",
                    comma(r),
                    pad(6),
                    quote(spec),
                    number(sums.numerator_sum),
                    number(sums.numerator_sum_squares),
                    number(sums.denominator_sum),
                    number(sums.denominator_sum_squares),
                    number(sums.cross_sum)
                );
            }
            out.push_str(&close(counts.ratios.is_empty(), indent + 4));
        }
        if blocks.covariates {
            let _ = write!(out, ",\n{}\"covariates\": {{", pad(4));
            for (c, (key, sums)) in counts.covariates.iter().enumerate() {
                let _ = write!(
                    out,
                    "{}\n{}{}: {{\"sum\": {}, \"sum_squares\": {}, \"cross_sum\": {}}}",
                    comma(c),
                    pad(6),
                    quote(key),
                    number(sums.sum),
                    number(sums.sum_squares),
                    number(sums.cross_sum)
                );
            }
            out.push_str(&close(counts.covariates.is_empty(), indent + 4));
        }
        let _ = write!(out, "\n{}}}", pad(2));
    }
    out.push_str(&close(arms.is_empty(), indent));
}

/// The contract's JSON, written by hand so that exact sums keep every digit
/// (`serde_json::Value` would round them through `f64`).
pub(super) fn render(report: &Report, blocks: Blocks) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\n  \"lines\": {},\n  \"skipped_lines\": {},\n  \"duplicates\": {},\n  \"anonymous_events\": {},\n  \"experiments\": {{",
        report.lines, report.skipped.count, report.duplicates, report.anonymous_events
    );
    for (e, (name, counts)) in report.experiments.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n    {}: {{\n      \"multi_arm_users\": {},",
            comma(e),
            quote(name),
            counts.multi_arm_users
        );
        if let Some(flag) = &counts.flag_key {
            let _ = write!(out, "\n      \"flag_key\": {},", quote(flag));
        }
        if counts.flag_key.is_some() || !counts.other_rules_on_flag.is_empty() {
            out.push_str("\n      \"other_rules_on_flag\": {");
            for (r, (rule, events)) in counts.other_rules_on_flag.iter().enumerate() {
                let _ = write!(out, "{}{}: {events}", comma_space(r), quote(rule));
            }
            out.push_str("},");
        }
        if counts.incomplete_windows > 0 {
            let _ = write!(
                out,
                "\n      \"incomplete_windows\": {},",
                counts.incomplete_windows
            );
        }
        out.push_str("\n      \"arms\": ");
        arms_block(&mut out, &counts.arms, 6, blocks);
        if blocks.segments {
            out.push_str(",\n      \"segments\": {");
            for (p, (property, values)) in counts.segments.iter().enumerate() {
                let _ = write!(out, "{}\n        {}: {{", comma(p), quote(property));
                for (v, (value, arms)) in values.iter().enumerate() {
                    let _ = write!(
                        out,
                        "{}\n          {}: {{\"arms\": ",
                        comma(v),
                        quote(value)
                    );
                    arms_block(&mut out, arms, 12, blocks);
                    out.push('}');
                }
                out.push_str(&close(values.is_empty(), 8));
            }
            out.push_str(&close(counts.segments.is_empty(), 6));
        }
        out.push_str("\n    }");
    }
    out.push_str(&close(report.experiments.is_empty(), 2));
    out.push_str("\n}");
    out
}

fn comma_space(index: usize) -> &'static str {
    if index == 0 {
        ""
    } else {
        ", "
    }
}

fn comma(index: usize) -> &'static str {
    if index == 0 {
        ""
    } else {
        ","
    }
}

fn close(empty: bool, indent: usize) -> String {
    if empty {
        "}".to_owned()
    } else {
        format!("\n{:indent$}}}", "")
    }
}

fn quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// JSON has no NaN or infinity; an overflowing float sum becomes `null`.
fn number(quantity: attribution::Quantity) -> String {
    match quantity {
        attribution::Quantity::Approx(value) if !value.is_finite() => "null".to_owned(),
        other => other.to_string(),
    }
}
