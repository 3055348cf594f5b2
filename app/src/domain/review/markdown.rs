//! The review as Markdown, to paste into Slack, Notion or an email: plain lists that read well
//! even where Markdown is not rendered.

use std::fmt::Write;

use crate::domain::analysis::signed_pct;
use crate::domain::program::SrmCheck;
use crate::domain::review::record::ReviewRecord;
use crate::domain::review::{Agenda, Guardrails, RunningItem};

/// The whole review: heading, attendees, notes, agenda and triage outcomes. A past week without
/// a live agenda uses the agenda saved with its record.
pub fn review_markdown(
    week_label: &str,
    agenda: Option<&Agenda>,
    record: Option<&ReviewRecord>,
) -> String {
    let mut md = format!("# Weekly experiment review {week_label}\n\n");
    if let Some(r) = record {
        if !r.attendees.is_empty() {
            let _ = writeln!(md, "**Attendees:** {}\n", r.attendees.join(", "));
        }
        if !r.notes.is_empty() {
            let _ = writeln!(md, "## Notes\n\n{}\n", r.notes);
        }
    }
    match (agenda, record) {
        (Some(a), _) => md.push_str(&agenda_markdown(a)),
        (None, Some(r)) => md.push_str(&r.agenda_markdown),
        (None, None) => md.push_str("No review was recorded for this week.\n"),
    }
    if let Some(r) = record.filter(|r| !r.triage.is_empty()) {
        md.push_str("\n## Triage outcomes\n\n");
        for t in &r.triage {
            let reason = if t.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", t.reason)
            };
            let _ = writeln!(
                md,
                "- {} `{}` {}{reason}",
                t.outcome.done_label(),
                t.key,
                t.title
            );
        }
    }
    md
}

/// The agenda's sections; also stored with a saved review.
pub fn agenda_markdown(a: &Agenda) -> String {
    let mut md = String::new();
    section(&mut md, "Running", &a.running, running_line);
    section(
        &mut md,
        "Overdue (past the planned end, still running)",
        &a.overdue,
        |r| {
            let days = -r.days_left.unwrap_or(0);
            format!(
                "`{}` {} ({}): {days} day{} past the planned end, decide now",
                r.key,
                r.title,
                r.owner,
                plural(days)
            )
        },
    );
    section(&mut md, "Decisions waiting", &a.decisions, |r| {
        let rule = r
            .rule_says
            .as_ref()
            .map_or("results hidden until the end date".into(), |v| {
                format!("the rule says {}", v.describe())
            });
        format!("`{}` {} ({}): {rule}", r.key, r.title, r.owner)
    });
    section(&mut md, "Ended since the last review", &a.ended, |e| {
        let lift = e.lift.as_ref().map_or(String::new(), |l| {
            format!(
                ", {} {} (95% CI {} to {})",
                l.arm,
                signed_pct(l.lift),
                signed_pct(l.low),
                signed_pct(l.high)
            )
        });
        let overridden = if e.overridden {
            " (overrode the rule)"
        } else {
            ""
        };
        format!(
            "`{}` {}: **{}**{overridden}{lift}. {}",
            e.key,
            e.title,
            e.verdict.describe(),
            e.summary
        )
    });
    section(&mut md, "Proposed, to triage", &a.proposals, |p| {
        let overlap = if p.overlaps.is_empty() {
            String::new()
        } else {
            format!("; overlaps with {} on {}", p.overlaps.join(", "), p.surface)
        };
        format!(
            "`{}` {} ({}, {}): brief {:.0}% complete{overlap}",
            p.key,
            p.title,
            p.team,
            p.owner,
            p.completeness * 100.0
        )
    });
    md
}

fn section<T>(md: &mut String, heading: &str, items: &[T], line: impl Fn(&T) -> String) {
    let _ = writeln!(md, "## {heading} ({})\n", items.len());
    if items.is_empty() {
        md.push_str("- none\n");
    }
    for item in items {
        let _ = writeln!(md, "- {}", line(item));
    }
    md.push('\n');
}

fn plural(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// "3 days left", "ends today", "2 days overdue".
pub fn days_left(days: Option<i64>) -> String {
    match days {
        None => "no end date".into(),
        Some(0) => "ends today".into(),
        Some(d) if d > 0 => format!("{d} day{} left", plural(d)),
        Some(d) => format!("{} day{} overdue", -d, plural(-d)),
    }
}

pub fn srm_label(srm: SrmCheck) -> &'static str {
    match srm {
        SrmCheck::NoResults => "no results yet",
        SrmCheck::TooFewUsers => "too few users to check the split",
        SrmCheck::Healthy => "split healthy",
        SrmCheck::Failed => "SAMPLE RATIO MISMATCH",
    }
}

pub fn guardrails_label(g: &Guardrails) -> String {
    match g {
        Guardrails::NoResults => "guardrails: no results".into(),
        Guardrails::Holding => "guardrails holding".into(),
        Guardrails::Breached(list) => format!("GUARDRAIL BREACHED: {}", list.join(", ")),
    }
}

fn running_line(r: &RunningItem) -> String {
    format!(
        "`{}` {} ({}, {}): {}; {}; {}",
        r.key,
        r.title,
        r.team,
        r.owner,
        days_left(r.days_left),
        srm_label(r.health.srm),
        guardrails_label(&r.health.guardrails)
    )
}
