//! The review agenda on a small fixture program in week 2026-W47 (Mon 16 to Sun 22 November),
//! on Wednesday 18 November.

use std::collections::HashSet;

use chrono::TimeZone;

use super::*;
use crate::domain::experiment::{Experiment, ExperimentKey};
use crate::domain::fixtures::{complete_brief, date, experiment};
use crate::domain::results::{ArmCount, Counts, MetricCounts, Observed};
use crate::domain::review::markdown::review_markdown;
use crate::domain::review::record::{ReviewRecord, TriageOutcome, TriageRecord};
use crate::domain::verdict::Conclusion;

fn at(m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, 12, 0, 0).unwrap()
}

/// Counts for the fixture brief (purchase, revenue, refunds on control / one_page).
fn counts(users: (u64, u64), purchases: (u64, u64), revenue: (f64, f64)) -> Counts {
    let prop = |c: u64| Observed::Proportion { conversions: c };
    Counts {
        segments: Vec::new(),
        arms: vec![
            ArmCount {
                name: "control".into(),
                users: users.0,
            },
            ArmCount {
                name: "one_page".into(),
                users: users.1,
            },
        ],
        metrics: vec![
            MetricCounts {
                covariates: Vec::new(),
                metric: "purchase".into(),
                values: vec![prop(purchases.0), prop(purchases.1)],
            },
            MetricCounts {
                covariates: Vec::new(),
                metric: "revenue".into(),
                values: vec![
                    Observed::from_mean_sd(users.0, revenue.0, 3.0),
                    Observed::from_mean_sd(users.1, revenue.1, 3.0),
                ],
            },
            MetricCounts {
                covariates: Vec::new(),
                metric: "refunds".into(),
                values: vec![prop(users.0 / 100), prop(users.1 / 100)],
            },
        ],
        multi_arm_users: 0,
        incomplete_windows: 0,
    }
}

fn exp(key: &str, status: Status, end: (u32, u32)) -> Experiment {
    let mut brief = complete_brief();
    brief.planned_end = Some(date(2026, end.0, end.1));
    let mut e = experiment(status, brief);
    e.key = ExperimentKey::parse(key).unwrap();
    e.title = format!("Title of {key}");
    e.started_at = (status != Status::Proposed).then(|| at(11, 2));
    e
}

fn done(key: &str, ended: DateTime<Utc>) -> Experiment {
    let mut e = exp(key, Status::Done, (11, 16));
    e.ended_at = Some(ended);
    e.conclusion = Some(Conclusion {
        verdict: Verdict::Ship {
            arm: "one_page".into(),
        },
        summary: "one page wins".into(),
        stopped_early: None,
        computed: Some(Verdict::Ship {
            arm: "one_page".into(),
        }),
        override_reason: None,
        post_mortem: Default::default(),
    });
    e
}

fn program() -> Vec<(Experiment, Option<Counts>)> {
    let healthy = counts((10_000, 10_000), (1_000, 1_150), (2.5, 2.5));
    let mut parked = exp("parked_idea", Status::Proposed, (12, 1));
    parked.brief.hypothesis.because.clear();
    vec![
        (
            exp("run_overdue", Status::Running, (11, 16)),
            Some(healthy.clone()),
        ),
        (
            exp("run_due", Status::Running, (11, 20)),
            Some(healthy.clone()),
        ),
        (
            exp("run_broken", Status::Running, (12, 10)),
            Some(counts((10_000, 9_000), (1_000, 900), (2.5, 2.4))),
        ),
        (done("ended_recently", at(11, 17)), Some(healthy)),
        (done("ended_long_ago", at(11, 5)), None),
        (exp("new_idea", Status::Proposed, (12, 1)), None),
        (parked, None),
    ]
}

fn candidates() -> Vec<Candidate> {
    program().into_iter().map(Candidate::from).collect()
}

fn build() -> Agenda {
    let parked: HashSet<String> = ["parked_idea".to_string()].into();
    agenda(
        IsoWeek::parse("2026-W47").unwrap(),
        date(2026, 11, 18),
        at(11, 10),
        &candidates(),
        &parked,
    )
}

fn keys<T>(items: &[T], key: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| key(i).to_owned()).collect()
}

#[test]
fn running_tests_are_listed_by_end_date_with_days_left_and_health() {
    let a = build();
    assert_eq!(
        keys(&a.running, |r| &r.key),
        ["run_overdue", "run_due", "run_broken"]
    );
    assert_eq!(a.running[0].days_left, Some(-2));
    assert_eq!(a.running[1].days_left, Some(2));
    let broken = &a.running[2].health;
    // 10,000 vs 9,000 users on a 50/50 split: chi-square 52.6, p far below 0.001.
    assert_eq!(broken.srm, SrmCheck::Failed);
    assert_eq!(
        broken.guardrails,
        Guardrails::Breached(vec!["revenue -4.0% (one_page)".into()])
    );
    assert!(a.running[0].health.is_healthy());
}

#[test]
fn overdue_tests_and_decisions_due_this_week_are_separate_lists() {
    let a = build();
    assert_eq!(keys(&a.overdue, |r| &r.key), ["run_overdue"]);
    assert_eq!(keys(&a.decisions, |r| &r.key), ["run_due"]);
    // Past its end the rule speaks; before its end the primary metric stays hidden.
    assert!(a.running[0].rule_says.is_some());
    assert_eq!(
        (a.decisions[0].primary_hidden, &a.decisions[0].rule_says),
        (true, &None)
    );
}

#[test]
fn only_experiments_that_ended_since_the_last_review_are_listed_with_their_lift() {
    let a = build();
    assert_eq!(keys(&a.ended, |e| &e.key), ["ended_recently"]);
    let lift = a.ended[0].lift.as_ref().unwrap();
    // 11.5% vs 10% conversion: +15% relative.
    assert_eq!(lift.arm, "one_page");
    assert!((lift.lift - 0.15).abs() < 1e-9, "{lift:?}");
}

#[test]
fn proposals_show_completeness_and_overlaps_and_parked_ones_leave_the_queue() {
    let a = build();
    assert_eq!(keys(&a.proposals, |p| &p.key), ["new_idea"]);
    assert_eq!(keys(&a.parked, |p| &p.key), ["parked_idea"]);
    let p = &a.proposals[0];
    assert_eq!(p.completeness, 1.0);
    assert_eq!(p.overlaps, ["run_overdue", "run_due", "run_broken"]);
    assert_eq!(a.parked[0].missing, ["hypothesis: say why it should work"]);
}

#[test]
fn a_past_week_is_computed_as_of_its_sunday() {
    let parked = HashSet::new();
    let week = IsoWeek::parse("2026-W46").unwrap();
    let a = agenda(week, date(2026, 11, 18), at(11, 1), &candidates(), &parked);
    assert_eq!(a.as_of, date(2026, 11, 15));
    assert_eq!(
        keys(&a.ended, |e| &e.key),
        ["ended_long_ago"],
        "ended_recently is after W46"
    );
    // run_overdue ends on Monday 16 November: a day left that Sunday, due the week after.
    assert_eq!(a.running[0].days_left, Some(1));
    assert!(a.overdue.is_empty() && a.decisions.is_empty());
}

#[test]
fn the_markdown_export_holds_every_section_the_record_and_the_triage() {
    let record = ReviewRecord {
        week: IsoWeek::parse("2026-W47").unwrap(),
        attendees: vec!["Ana".into(), "Luis".into()],
        notes: "Agreed to stop run_overdue.".into(),
        agenda_markdown: String::new(),
        created_at: at(11, 18),
        updated_at: at(11, 18),
        triage: vec![TriageRecord {
            key: "old_idea".into(),
            title: "Old idea".into(),
            outcome: TriageOutcome::Reject,
            reason: "done before".into(),
            at: at(11, 18),
        }],
    };
    let md = review_markdown("2026-W47", Some(&build()), Some(&record));
    for needle in [
        "# Weekly experiment review 2026-W47",
        "**Attendees:** Ana, Luis",
        "Agreed to stop run_overdue.",
        "## Running (3)",
        "`run_broken` Title of run_broken (Checkout, Ana): 22 days left; SAMPLE RATIO MISMATCH",
        "## Overdue (past the planned end, still running) (1)",
        "2 days past the planned end",
        "## Decisions waiting (1)",
        "results hidden until the end date",
        "`ended_recently` Title of ended_recently: **Ship one_page**, one_page +15.0%",
        "## Proposed, to triage (1)",
        "brief 100% complete; overlaps with run_overdue, run_due, run_broken on checkout",
        "- Rejected `old_idea` Old idea: done before",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in\n{md}");
    }
}

#[test]
fn kept_candidates_give_the_same_agenda_and_count_days_from_each_new_day() {
    let parked = HashSet::new();
    let week = IsoWeek::parse("2026-W47").unwrap();
    let kept = candidates();
    let on = |day: u32, c: &[Candidate]| agenda(week, date(2026, 11, day), at(11, 10), c, &parked);
    let first = on(18, &kept);
    assert_eq!(
        on(18, &kept),
        first,
        "the second agenda reads what the first kept"
    );
    assert_eq!(on(18, &candidates()), first);
    // The next day every running test has one day less, kept items or not.
    let next = on(19, &kept);
    assert_eq!(next, on(19, &candidates()));
    let days = |a: &Agenda| -> Vec<Option<i64>> { a.running.iter().map(|r| r.days_left).collect() };
    let expected: Vec<Option<i64>> = days(&first).iter().map(|d| d.map(|d| d - 1)).collect();
    assert_eq!(days(&next), expected);
    assert!(!first.running.is_empty());
}
