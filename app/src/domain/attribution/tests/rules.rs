//! The attribution rules of the brief, one behaviour per test.

use super::*;
use crate::domain::attribution::TimeRange;

#[test]
fn the_first_exposure_wins_even_when_it_appears_later_in_the_file() {
    let lines = [
        exposure("exp", "b", T0 + 10 * DAY, "u1"),
        purchase(T0 + 2 * DAY, "u1", "p1", "5"),
        exposure("exp", "b", T0, "u1"),
    ];
    let report = run(config(&["purchase_completed"], &[]), &lines);
    let b = arm(&report, "exp", "b");
    assert_eq!(b.exposed, 1);
    assert_eq!(b.converted["purchase_completed"], 1);
}

#[test]
fn users_exposed_to_two_arms_are_excluded_and_counted() {
    let lines = [
        exposure("exp", "a", T0, "switcher"),
        exposure("exp", "b", T0 + DAY, "switcher"),
        exposure("exp", "a", T0, "loyal"),
        exposure("exp", "a", T0 + DAY, "loyal"),
        purchase(T0 + 1, "switcher", "p1", "5"),
    ];
    let report = run(config(&["purchase_completed"], &[]), &lines);
    assert_eq!(report.experiments["exp"].multi_arm_users, 1);
    let a = arm(&report, "exp", "a");
    assert_eq!((a.exposed, a.converted["purchase_completed"]), (1, 0));
    assert!(!report.experiments["exp"].arms.contains_key("b"));
}

#[test]
fn duplicate_events_count_once_and_are_reported() {
    let lines = [
        exposure("exp", "a", T0, "u1"),
        purchase(T0 + 5, "u1", "same", "10.5"),
        purchase(T0 + 5, "u1", "same", "10.5"),
        purchase(T0 + 6, "u1", "same", "1"),
        purchase(T0 + 5, "u1", "other", "2"),
    ];
    let report = run(
        config(&["purchase_completed"], &["purchase_completed:amount"]),
        &lines,
    );
    assert_eq!(report.duplicates, 1);
    let sums = arm(&report, "exp", "a").values["purchase_completed.amount"];
    assert_eq!(sums.sum.to_string(), "13.5");
}

#[test]
fn events_without_insert_id_are_never_duplicates() {
    let no_id = r#"{"event":"purchase_completed","properties":{"time":1714521605,"distinct_id":"u1","amount":4}}"#;
    let lines = [
        exposure("exp", "a", T0, "u1"),
        no_id.to_owned(),
        no_id.to_owned(),
    ];
    let report = run(config(&[], &["purchase_completed:amount"]), &lines);
    assert_eq!(report.duplicates, 0);
    let sums = arm(&report, "exp", "a").values["purchase_completed.amount"];
    assert_eq!(sums.sum.to_string(), "8");
}

#[test]
fn the_window_is_half_open_from_the_first_exposure() {
    let window = 14 * DAY;
    let offsets = [
        ("at_t0", 0),
        ("before", -1),
        ("last_second", window - 1),
        ("at_end", window),
    ];
    let mut lines = Vec::new();
    for (user, offset) in offsets {
        lines.push(exposure("exp", "a", T0, user));
        lines.push(purchase(T0 + offset, user, user, "1"));
    }
    let report = run(config(&["purchase_completed"], &[]), &lines);
    let a = arm(&report, "exp", "a");
    assert_eq!((a.exposed, a.converted["purchase_completed"]), (4, 2));
}

#[test]
fn a_shorter_window_is_respected() {
    let mut config = config(&["purchase_completed"], &[]);
    config.window = crate::domain::attribution::Window::days(1).expect("valid window");
    let lines = [
        exposure("exp", "a", T0, "u1"),
        purchase(T0 + DAY, "u1", "p1", "1"),
    ];
    let report = run(config, &lines);
    assert_eq!(arm(&report, "exp", "a").converted["purchase_completed"], 0);
}

#[test]
fn a_conversion_read_before_its_exposure_counts_if_inside_the_window() {
    let lines = [
        purchase(T0 + 60, "late", "p1", "1"),
        purchase(T0 - 60, "late", "p0", "1"),
        exposure("exp", "a", T0, "late"),
    ];
    let report = run(
        config(&["purchase_completed"], &["purchase_completed:amount"]),
        &lines,
    );
    let a = arm(&report, "exp", "a");
    assert_eq!(a.converted["purchase_completed"], 1);
    assert_eq!(a.values["purchase_completed.amount"].sum.to_string(), "1");
}

#[test]
fn value_sums_include_users_without_events_as_zero() {
    let lines = [
        exposure("exp", "a", T0, "buyer"),
        exposure("exp", "a", T0, "browser"),
        exposure("exp", "a", T0, "no_amount"),
        purchase(T0 + 1, "buyer", "p1", "19.99"),
        purchase(T0 + 2, "buyer", "p2", "5.01"),
        event(
            "purchase_completed",
            T0 + 3,
            "no_amount",
            "p3",
            r#","currency":"USD""#,
        ),
    ];
    let report = run(
        config(&["purchase_completed"], &["purchase_completed:amount"]),
        &lines,
    );
    let a = arm(&report, "exp", "a");
    assert_eq!(a.converted["purchase_completed"], 2);
    let sums = a.values["purchase_completed.amount"];
    assert_eq!(sums.n, 3);
    assert_eq!(sums.sum.to_string(), "25");
    assert_eq!(sums.sum_squares.to_string(), "625");
}

#[test]
fn each_convention_reads_its_own_event_and_properties() {
    let optimizely = event(
        "Experiment Viewed",
        T0,
        "u1",
        "o1",
        r#","flag_key":"new_nav","variation_key":"on""#,
    );
    let amplitude = event(
        "$exposure",
        T0,
        "u2",
        "a1",
        r#","flag_key":"new_nav","variant":"off""#,
    );
    let custom = event("ab_seen", T0, "u3", "c1", r#","test":"new_nav","bucket":2"#);
    let cases = [
        (ExposureConvention::Optimizely, "on"),
        (ExposureConvention::Amplitude, "off"),
        (
            ExposureConvention::Custom {
                event: "ab_seen".into(),
                experiment_property: "test".into(),
                variant_property: "bucket".into(),
            },
            "2",
        ),
    ];
    for (convention, expected_arm) in cases {
        let mut config = Config::new(convention.clone());
        config.metrics = vec!["purchase_completed".into()];
        let lines = [optimizely.clone(), amplitude.clone(), custom.clone()];
        let report = run(config, &lines);
        let arms: Vec<&String> = report.experiments["new_nav"].arms.keys().collect();
        assert_eq!(arms, [expected_arm], "{convention:?}");
    }
}

#[test]
fn exposures_without_a_variant_are_ignored_but_not_skipped() {
    let lines = [
        event(
            "$experiment_started",
            T0,
            "u1",
            "e1",
            r#","Experiment name":"exp","Variant name":null"#,
        ),
        event(
            "$experiment_started",
            T0,
            "u2",
            "e2",
            r#","Experiment name":"exp""#,
        ),
        event(
            "$experiment_started",
            T0,
            "u3",
            "e3",
            r#","Variant name":"a""#,
        ),
        exposure("exp", "a", T0, "u4"),
    ];
    let report = run(config(&[], &[]), &lines);
    assert_eq!(arm(&report, "exp", "a").exposed, 1);
    assert_eq!((report.skipped.count, report.events), (0, 4));
}

#[test]
fn the_experiment_filter_reports_only_named_experiments_even_unseen_ones() {
    let lines = [
        exposure("exp", "a", T0, "u1"),
        exposure("other", "a", T0, "u1"),
    ];
    let mut config = config(&["purchase_completed"], &[]);
    config.experiments = vec!["exp".into(), "not_started".into()];
    let report = run(config, &lines);
    let names: Vec<&String> = report.experiments.keys().collect();
    assert_eq!(names, ["exp", "not_started"]);
    assert!(report.experiments["not_started"].arms.is_empty());
}

#[test]
fn exposures_outside_the_run_dates_are_ignored() {
    let mut config = config(&["purchase_completed"], &[]);
    config.run = Some(TimeRange::new(T0, T0 + 7 * DAY).expect("valid range"));
    let lines = [
        exposure("exp", "a", T0 - 1, "early"),
        exposure("exp", "a", T0 + 7 * DAY, "late"),
        exposure("exp", "a", T0 - DAY, "both"),
        exposure("exp", "a", T0 + DAY, "both"),
        purchase(T0, "both", "p1", "1"),
    ];
    let report = run(config, &lines);
    let a = arm(&report, "exp", "a");
    assert_eq!((a.exposed, a.converted["purchase_completed"]), (1, 0));
}

#[test]
fn a_run_over_its_user_limit_fails_naming_the_limit_and_stops_growing() {
    let mut attributor = Attributor::new(config(&["purchase_completed"], &[]))
        .unwrap()
        .with_user_limit(3);
    for i in 0..10 {
        let line = exposure("exp", "a", T0, &format!("u{i}"));
        attributor.feed_line(line.as_bytes());
    }
    assert!(attributor.over_limit());
    let error = attributor.finish().unwrap_err();
    use crate::domain::attribution::AttributionError;
    assert!(
        matches!(error, AttributionError::TooManyUsers { limit: 3 }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("more than 3 distinct users"),
        "{error}"
    );
}
