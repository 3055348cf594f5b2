//! Program metrics on a fixture portfolio whose answers were worked out by hand (the comments
//! show the working).

use super::*;
use crate::domain::fixtures::{complete_brief, date, experiment};
use crate::domain::program::cohort::{Cohort, Slice};
use crate::domain::program::win_rate::Reading;
use crate::domain::program::{Entry, ProgramFilter, ProgramQuery, SrmCheck};
use crate::domain::verdict::{Conclusion, Verdict};
use chrono::TimeZone;

fn today() -> NaiveDate {
    date(2026, 11, 18) // a Wednesday in 2026-W47
}

/// (key, team, surface, status, started, ended, planned days, verdict, computed, srm, complete)
type Row<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Status,
    Option<NaiveDate>,
    Option<NaiveDate>,
    i64,
    Option<Verdict>,
    Option<Verdict>,
    SrmCheck,
    bool,
);

fn entry(row: Row) -> Entry {
    let (key, team, surface, status, started, ended, planned, verdict, computed, srm, complete) =
        row;
    Entry {
        key: key.into(),
        title: format!("Title {key}"),
        team: team.into(),
        surface: surface.into(),
        tags: vec![team.to_lowercase()],
        status,
        started,
        ended,
        planned_start: started,
        planned_end: started.map(|s| s + chrono::Days::new(planned as u64)),
        brief_complete: complete,
        conclusion: verdict.map(|verdict| conclusion(verdict, computed, key)),
        srm,
    }
}

fn conclusion(verdict: Verdict, computed: Option<Verdict>, key: &str) -> Conclusion {
    let overrides = computed.as_ref().is_some_and(|c| *c != verdict);
    Conclusion {
        verdict,
        summary: "s".into(),
        stopped_early: (key == "e").then(|| "clear win early".into()),
        computed,
        override_reason: overrides.then(|| "brand risk".into()),
        post_mortem: Default::default(),
    }
}

fn ship() -> Option<Verdict> {
    Some(Verdict::Ship {
        arm: "treatment".into(),
    })
}

/// a-e are done, f-h running on one surface, i a proposal. See each test for the working.
#[rustfmt::skip] // a table: one experiment per line
fn portfolio() -> Vec<Entry> {
    use SrmCheck::*;
    use Status::*;
    let d = |m, day| Some(date(2026, m, day));
    let (dont, inc, inv) = (Some(Verdict::DontShip), Some(Verdict::Inconclusive), Some(Verdict::Invalid));
    vec![
        entry(("a", "Growth", "home", Done, d(1, 5), d(3, 31), 84, ship(), ship(), Healthy, true)),
        entry(("b", "Growth", "home", Done, d(2, 2), d(4, 1), 56, dont, ship(), Healthy, true)),
        entry(("c", "Growth", "cart", Done, d(3, 2), d(4, 15), 42, inc, None, NoResults, true)),
        entry(("d", "Checkout", "cart", Done, d(4, 6), d(5, 4), 28, inv.clone(), inv, Failed, false)),
        entry(("e", "Checkout", "checkout", Done, d(6, 1), d(6, 29), 35, ship(), ship(), Healthy, true)),
        entry(("f", "Checkout", "checkout", Running, d(11, 2), None, 28, None, None, Healthy, true)),
        entry(("g", "Checkout", "checkout", Running, d(11, 9), None, 28, None, None, TooFewUsers, true)),
        entry(("h", "Checkout", "checkout", Running, d(11, 16), None, 28, None, None, NoResults, false)),
        entry(("i", "Growth", "home", Proposed, None, None, 0, None, None, NoResults, false)),
    ]
}

fn all() -> Report {
    report(&portfolio(), &ProgramFilter::default(), today())
}

#[test]
fn an_empty_program_has_no_rates_and_empty_weeks() {
    let r = report::<Entry>(&[], &ProgramFilter::default(), today());
    assert_eq!(r.win.tally().rate(), None);
    assert_eq!(r.win.tally().reading(), Reading::NoData);
    assert_eq!(r.velocity.weeks.len(), 26, "the default window is 26 weeks");
    assert_eq!(r.velocity.launches_per_week(), Some(0.0));
    assert_eq!(r.durations.planned_median_days, None);
    assert_eq!(r.brief_complete.share_of(&r.launched), None);
    assert_eq!(r.decisions.followed.share_of(&r.decisions.decided), None);
}

#[test]
fn a_single_shipped_experiment_is_a_win_rate_of_one_with_a_wide_interval() {
    let one = vec![portfolio().remove(0)];
    let r = report(&one, &ProgramFilter::default(), today());
    let t = r.win.tally();
    assert_eq!((t.shipped, t.concluded, t.rate()), (1, 1, Some(1.0)));
    // Wilson 1/1: centre (1 + 1.9208) / 4.8415 = 0.6033, half 0.3967 -> 0.2065 to 1.
    let i = t.interval().unwrap();
    assert!((i.low - 0.2065).abs() < 1e-4 && i.high == 1.0, "{i:?}");
    assert_eq!(t.reading(), Reading::Above);
}

#[test]
fn the_win_rate_counts_ship_over_concluded_and_reports_invalid_ones_apart() {
    let r = all();
    // Concluded without invalid: a, b, c, e; shipped: a, e; invalid: d.
    assert_eq!(r.win.shipped.key_names(), ["a", "e"]);
    assert_eq!(r.win.concluded.key_names(), ["a", "b", "c", "e"]);
    assert_eq!(r.win.invalid.key_names(), ["d"]);
    assert_eq!(r.win.tally().rate(), Some(0.5));
    // Wilson 2/4: p = 0.5, centre 0.5, half 1.96/1.9604 * sqrt(0.0625 + 0.0600) = 0.3498.
    let i = r.win.tally().interval().unwrap();
    assert!(
        (i.low - 0.1500).abs() < 1e-4 && (i.high - 0.8500).abs() < 1e-4,
        "{i:?}"
    );
}

#[test]
fn quarters_split_on_the_first_of_april() {
    let r = all();
    let q: Vec<_> = r
        .by_quarter
        .iter()
        .map(|(q, w)| (q.to_string(), w.shipped.n, w.concluded.n, w.invalid.n))
        .collect();
    // a ended 31 March (Q1); b (1 April), c, e and the invalid d ended in Q2.
    assert_eq!(
        q,
        [("2026-Q1".into(), 1, 1, 0), ("2026-Q2".into(), 1, 3, 1)]
    );
}

#[test]
fn a_conclusion_late_on_the_last_day_of_march_counts_in_q1_in_utc() {
    let mut exp = experiment(Status::Done, complete_brief());
    exp.started_at = Some(chrono::Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
    exp.ended_at = Some(
        chrono::Utc
            .with_ymd_and_hms(2026, 3, 31, 23, 59, 59)
            .unwrap(),
    );
    exp.conclusion = Some(conclusion(Verdict::DontShip, None, "x"));
    let r = report(
        &[Entry::new(&exp, None)],
        &ProgramFilter::default(),
        today(),
    );
    assert_eq!(r.by_quarter[0].0.to_string(), "2026-Q1");
}

#[test]
fn teams_and_surfaces_have_their_own_rates() {
    let r = all();
    let rows = |rows: &[(String, WinRate)]| -> Vec<(String, u64, u64, u64)> {
        rows.iter()
            .map(|(k, w)| (k.clone(), w.shipped.n, w.concluded.n, w.invalid.n))
            .collect()
    };
    assert_eq!(
        rows(&r.by_team),
        [("Checkout".into(), 1, 1, 1), ("Growth".into(), 1, 3, 0)]
    );
    assert_eq!(
        rows(&r.by_surface),
        [
            ("cart".into(), 0, 1, 1),
            ("checkout".into(), 1, 1, 0),
            ("home".into(), 1, 2, 0)
        ]
    );
}

#[test]
fn decisions_that_followed_the_rule_leave_out_tests_without_results_and_list_overrides() {
    let d = all().decisions;
    // Rule verdict recorded for a, b, d, e; b went against it; c had no results.
    assert_eq!(d.decided.key_names(), ["a", "b", "d", "e"]);
    assert_eq!(d.followed.key_names(), ["a", "d", "e"]);
    assert_eq!(d.no_results.key_names(), ["c"]);
    assert_eq!(d.followed.share_of(&d.decided), Some(0.75));
    assert_eq!(d.overrides.len(), 1);
    assert_eq!(
        (d.overrides[0].key.as_str(), d.overrides[0].reason.as_str()),
        ("b", "brand risk")
    );
    assert_eq!(d.overrides[0].computed.describe(), "Ship treatment");
}

#[test]
fn velocity_counts_launches_and_conclusions_per_iso_week_and_running_per_surface() {
    let v = all().velocity;
    // Default window: 26 weeks, 2026-W22 to W47. Launches in it: e (W23), f (W45), g (W46),
    // h (W47); conclusions: e (W27).
    assert_eq!(v.weeks.first().unwrap().week.to_string(), "2026-W22");
    assert_eq!(v.weeks.last().unwrap().week.to_string(), "2026-W47");
    let launched: Vec<_> = v
        .weeks
        .iter()
        .filter(|w| w.launched.n > 0)
        .map(|w| w.week.to_string())
        .collect();
    assert_eq!(launched, ["2026-W23", "2026-W45", "2026-W46", "2026-W47"]);
    let ended: Vec<_> = v.weeks.iter().filter(|w| w.concluded.n > 0).collect();
    assert_eq!(
        (ended.len(), ended[0].week.to_string()),
        (1, "2026-W27".into())
    );
    assert_eq!(v.launches_per_week(), Some(4.0 / 26.0));
    assert_eq!(
        (v.launched.n, v.concluded.n),
        (8, 5),
        "all time: totals ignore the window"
    );
    assert_eq!(v.running.key_names(), ["f", "g", "h"]);
    assert_eq!(v.by_surface.len(), 1);
    assert!(
        v.by_surface[0].over_guideline(),
        "3 running on checkout > 2"
    );
}

#[test]
fn median_durations_compare_plan_and_reality() {
    let d = all().durations;
    // Planned 84, 56, 42, 28, 35 -> median 42; actual 85, 58, 44, 28, 28 -> median 44.
    assert_eq!(d.planned_median_days, Some(42.0));
    assert_eq!(d.actual_median_days, Some(44.0));
    assert_eq!(d.ran_over.key_names(), ["a", "b", "c"]);
    assert_eq!(d.stopped_early.key_names(), ["e"]);
}

#[test]
fn brief_completeness_and_srm_are_shares_of_launched_experiments() {
    let r = all();
    assert_eq!(r.launched.n, 8);
    assert_eq!(r.brief_complete.n, 6, "d and h launched incomplete");
    assert_eq!(r.keys(&Cohort::BriefIncomplete), ["d", "h"]);
    assert_eq!(r.srm.checked.key_names(), ["a", "b", "d", "e", "f"]);
    assert_eq!(r.srm.failed.key_names(), ["d"]);
    assert_eq!(r.srm.unchecked.key_names(), ["c", "g", "h"]);
}

#[test]
fn filters_by_team_and_date_range_change_every_number() {
    let q = ProgramQuery {
        team: "Growth".into(),
        ..Default::default()
    };
    let r = report(&portfolio(), &ProgramFilter::parse(&q).unwrap(), today());
    assert_eq!((r.win.shipped.n, r.win.concluded.n), (1, 3));
    assert_eq!(r.velocity.running.n, 0);
    // Q2 only: conclusions b, c, d, e; launches d (6 April) and e (1 June).
    let q = ProgramQuery {
        from: "2026-04-01".into(),
        to: "2026-06-30".into(),
        ..Default::default()
    };
    let r = report(&portfolio(), &ProgramFilter::parse(&q).unwrap(), today());
    assert_eq!(r.win.concluded.key_names(), ["b", "c", "e"]);
    assert_eq!(r.win.invalid.key_names(), ["d"]);
    assert_eq!(r.launched.key_names(), ["d", "e"]);
    assert_eq!(
        r.velocity.weeks.first().unwrap().week.to_string(),
        "2026-W14"
    );
    assert_eq!(
        r.velocity.weeks.last().unwrap().week.to_string(),
        "2026-W27"
    );
}

#[test]
fn every_number_traces_back_to_its_experiments_through_a_cohort_slug() {
    let r = all();
    for (slug, keys) in [
        ("shipped:team:Growth", vec!["a"]),
        ("concluded:quarter:2026-Q2", vec!["b", "c", "e"]),
        ("invalid:surface:cart", vec!["d"]),
        ("launched:week:2026-W45", vec!["f"]),
        ("running:surface:checkout", vec!["f", "g", "h"]),
        ("overridden", vec!["b"]),
        ("no-results", vec!["c"]),
        ("srm-failed", vec!["d"]),
    ] {
        let cohort = Cohort::parse(slug).unwrap_or_else(|| panic!("{slug}"));
        assert_eq!(cohort.slug(), slug, "round trip");
        assert_eq!(r.keys(&cohort), keys, "{slug}");
    }
    assert_eq!(
        r.keys(&Cohort::Shipped(Slice::Team("Nobody".into()))),
        Vec::<String>::new()
    );
    assert_eq!(Cohort::parse("shipped:planet:mars"), None);
}

#[test]
fn the_dashboards_numbers_are_the_full_reports_without_the_keys() {
    let growth = ProgramQuery {
        team: "Growth".into(),
        ..Default::default()
    };
    let q2 = ProgramQuery {
        from: "2026-04-01".into(),
        to: "2026-06-30".into(),
        ..Default::default()
    };
    for q in [ProgramQuery::default(), growth, q2] {
        let filter = ProgramFilter::parse(&q).unwrap();
        let full = report(&portfolio(), &filter, today());
        let shown = numbers(&portfolio(), &filter, today());
        // The keys are never serialized: what a page receives is the same.
        assert_eq!(
            serde_json::to_value(&full).unwrap(),
            serde_json::to_value(&shown).unwrap(),
            "{q:?}"
        );
        assert!(
            shown.selected.n > 0 && shown.selected.keys.is_empty(),
            "{q:?}"
        );
        assert!(shown
            .by_team
            .iter()
            .all(|(_, w)| w.concluded.keys.is_empty()));
    }
    let shown = numbers(&portfolio(), &ProgramFilter::default(), today());
    let teams: Vec<&str> = shown.by_team.iter().map(|(t, _)| t.as_str()).collect();
    let mut sorted = teams.clone();
    sorted.sort();
    assert_eq!(teams, sorted, "teams in name order");
    assert_eq!(shown.velocity.running.n, 3);
}
