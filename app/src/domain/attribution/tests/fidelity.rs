//! Counting as the real tools define it: Mixpanel's truncation note, anonymous events, the
//! dedupe winner, project-local time, Optimizely rules and Amplitude experiment keys, ID-merged
//! users and windows that reach past the data. Every expected number is worked out by hand in
//! the test's comments.

use super::*;
use crate::domain::attribution::{AttributionError, Clock, SkipReason, TimeRange};

fn finish(config: Config, input: &str) -> Result<Report, AttributionError> {
    let mut attributor = Attributor::new(config).expect("valid config");
    attributor.feed_chunk(input.as_bytes());
    attributor.finish()
}

/// The same input through the threaded path: blocks parsed apart, absorbed in order.
fn finish_in_blocks(
    config: Config,
    input: &str,
    block_lines: usize,
) -> Result<Report, AttributionError> {
    let mut attributor = Attributor::new(config).expect("valid config");
    let lines: Vec<&str> = input.split_inclusive('\n').collect();
    for block in lines.chunks(block_lines) {
        let parsed = attributor.block_parser().parse(block.concat().as_bytes());
        attributor.absorb(parsed).expect("same configuration");
    }
    attributor.finish()
}

#[test]
fn an_export_ending_in_terminated_early_fails_and_says_how_far_the_data_reached() {
    let body = [
        exposure("exp", "a", T0, "u1"),
        purchase(T0 + DAY + 5, "u1", "p1", "5"),
    ]
    .join("\n");
    for marker in [
        "terminated early",
        "Terminated Early",
        "  export terminated early  ",
        "EXPORT TERMINATED EARLY\r",
    ] {
        for tail in ["", "\n", "\n\n  \n"] {
            let input = format!("{body}\n{marker}{tail}");
            let error = finish(config(&["purchase_completed"], &[]), &input)
                .expect_err("a truncated export must fail");
            assert_eq!(
                error,
                AttributionError::Truncated {
                    latest_event: Some(T0 + DAY + 5)
                }
            );
            // 2024-05-02 is the day of the last event read (T0 is 2024-05-01).
            assert!(error.to_string().contains("2024-05-02"), "{error}");
            let threaded = finish_in_blocks(config(&["purchase_completed"], &[]), &input, 1);
            assert_eq!(
                threaded.expect_err("truncated"),
                error,
                "{marker:?}{tail:?}"
            );
        }
    }
}

#[test]
fn the_note_anywhere_but_at_the_end_is_only_a_malformed_line() {
    let input = [
        exposure("exp", "a", T0, "u1"),
        "terminated early".to_owned(),
        exposure("exp", "a", T0, "u2"),
    ]
    .join("\n");
    let report = finish(config(&["purchase_completed"], &[]), &input).expect("not truncated");
    assert_eq!(report.skipped.count, 1);
    assert_eq!(report.skipped.first[0].line, 2);
    assert_eq!(report.skipped.first[0].reason, SkipReason::TerminatedEarly);
    assert_eq!(arm(&report, "exp", "a").exposed, 2);
    // A line that merely contains the words is an ordinary malformed line.
    let input = format!(
        "{}\nthe export terminated early today",
        exposure("exp", "a", T0, "u1")
    );
    let report = finish(config(&[], &[]), &input).expect("not the note");
    assert_eq!(report.skipped.first[0].reason, SkipReason::InvalidJson);
}

#[test]
fn each_input_is_checked_for_truncation_at_its_own_end() {
    let mut attributor = Attributor::new(config(&[], &[])).expect("valid config");
    attributor
        .feed_chunk(format!("{}\nterminated early\n", exposure("e", "a", T0, "u1")).as_bytes());
    attributor.end_input();
    assert!(attributor.truncated());
    attributor.feed_chunk(exposure("e", "a", T0, "u2").as_bytes());
    assert!(matches!(
        attributor.finish(),
        Err(AttributionError::Truncated { .. })
    ));
}

#[test]
fn anonymous_events_never_count_and_are_reported_apart() {
    let anonymous_exposure = r#"{"event":"$experiment_started","properties":{"time":1714521600,"distinct_id":"","Experiment name":"exp","Variant name":"a"}}"#;
    let anonymous_purchase = r#"{"event":"purchase_completed","properties":{"time":1714521610,"distinct_id":"","$insert_id":"x","amount":3}}"#;
    let anonymous_noise =
        r#"{"event":"page_view","properties":{"time":1714521610,"distinct_id":""}}"#;
    let anonymous_without_time = r#"{"event":"page_view","properties":{"distinct_id":""}}"#;
    let null_id = r#"{"event":"page_view","properties":{"time":1714521610,"distinct_id":null}}"#;
    let lines = [
        exposure("exp", "a", T0, "u1"),
        anonymous_exposure.to_owned(),
        anonymous_purchase.to_owned(),
        anonymous_purchase.to_owned(), // never deduplicated: both are counted as anonymous
        anonymous_noise.to_owned(),
        anonymous_without_time.to_owned(),
        null_id.to_owned(),
        purchase(T0 + 20, "u1", "p1", "7"),
    ];
    let report = run(
        config(&["purchase_completed"], &["purchase_completed:amount"]),
        &lines,
    );
    assert_eq!(report.anonymous_events, 4);
    assert_eq!(report.duplicates, 0);
    // Line 6 has no time and line 7 a null id: those are malformed, the anonymous ones not.
    assert_eq!(report.skipped.count, 2);
    assert_eq!(
        report
            .skipped
            .first
            .iter()
            .map(|s| (s.line, s.reason))
            .collect::<Vec<_>>(),
        [
            (6, SkipReason::MissingTime),
            (7, SkipReason::MissingDistinctId)
        ]
    );
    let a = arm(&report, "exp", "a");
    assert_eq!((a.exposed, a.converted["purchase_completed"]), (1, 1));
    assert_eq!(a.values["purchase_completed.amount"].sum.to_string(), "7");
    let threaded = finish_in_blocks(
        config(&["purchase_completed"], &["purchase_completed:amount"]),
        &lines.join("\n"),
        3,
    )
    .expect("finishes");
    assert_eq!(threaded, report);
}

fn purchase_processed(insert_id: &str, amount: &str, processed: Option<&str>) -> String {
    let processed = processed
        .map(|ms| format!(r#","mp_processing_time_ms":{ms}"#))
        .unwrap_or_default();
    event(
        "purchase_completed",
        T0 + 60,
        "u1",
        insert_id,
        &format!(r#","amount":{amount}{processed}"#),
    )
}

fn revenue_of(lines: &[String]) -> (String, u64) {
    let mut all = vec![exposure("exp", "a", T0, "u1")];
    all.extend_from_slice(lines);
    let report = run(
        config(&["purchase_completed"], &["purchase_completed:amount"]),
        &all,
    );
    let sums = arm(&report, "exp", "a").values["purchase_completed.amount"];
    (sums.sum.to_string(), report.duplicates)
}

#[test]
fn of_duplicate_copies_the_most_recently_ingested_counts_wherever_it_stands() {
    // Re-ingested with a corrected amount: 20 (processed later) wins over 10, read first or last.
    let early = purchase_processed("dup", "10", Some("1714521700000"));
    let late = purchase_processed("dup", "20", Some("1714608000000"));
    assert_eq!(revenue_of(&[early.clone(), late.clone()]), ("20".into(), 1));
    assert_eq!(revenue_of(&[late.clone(), early.clone()]), ("20".into(), 1));
    // A copy without a processing time loses to one with it, before or after it.
    let bare = purchase_processed("dup", "99", None);
    assert_eq!(revenue_of(&[bare.clone(), early.clone()]), ("10".into(), 1));
    assert_eq!(revenue_of(&[early.clone(), bare.clone()]), ("10".into(), 1));
    // On a tie (same time, or neither has one) the earliest line wins.
    let tie = purchase_processed("dup", "30", Some("1714521700000"));
    assert_eq!(revenue_of(&[tie.clone(), early.clone()]), ("30".into(), 1));
    assert_eq!(revenue_of(&[early.clone(), tie]), ("10".into(), 1));
    let bare_too = purchase_processed("dup", "5", None);
    assert_eq!(
        revenue_of(&[bare_too.clone(), bare.clone()]),
        ("5".into(), 1)
    );
    assert_eq!(revenue_of(&[bare, bare_too]), ("99".into(), 1));
    // A non-numeric processing time is no processing time.
    let text = purchase_processed("dup", "7", Some(r#""1999999999999""#));
    assert_eq!(revenue_of(&[text, early]), ("10".into(), 1));
}

fn optimizely(user: &str, time: i64, flag: &str, rule: Option<&str>, variation: &str) -> String {
    let rule = match rule {
        Some(rule) => format!(r#","rule_key":"{rule}""#),
        None => String::new(),
    };
    event(
        "Experiment Viewed",
        time,
        user,
        &format!("v{time}{user}"),
        &format!(r#","flag_key":"{flag}","variation_key":"{variation}","enabled":true{rule}"#),
    )
}

/// One flag, `checkout`, with an A/B rule `checkout_ab`, a second test `checkout_ab_2`, and the
/// "everyone else" delivery rule (`rule_key` empty, missing or null: named by the flag).
fn checkout_flag() -> Vec<String> {
    vec![
        optimizely("t1", T0, "checkout", Some("checkout_ab"), "on"),
        optimizely("t2", T0, "checkout", Some("checkout_ab"), "off"),
        optimizely("t3", T0, "checkout", Some("checkout_ab"), "on"),
        optimizely("s1", T0, "checkout", Some("checkout_ab_2"), "on"),
        optimizely("r1", T0, "checkout", Some(""), "off"),
        optimizely("r2", T0, "checkout", None, "off"),
        optimizely("r2", T0 + 5, "checkout", None, "off"),
        event(
            "Experiment Viewed",
            T0,
            "r3",
            "n1",
            r#","flag_key":"checkout","variation_key":"off","rule_key":null"#,
        ),
        purchase(T0 + 10, "t1", "p1", "5"),
        purchase(T0 + 10, "r1", "p2", "5"),
        purchase(T0 + 10, "s1", "p3", "5"),
    ]
}

fn with_convention(convention: ExposureConvention, experiments: &[&str]) -> Config {
    let mut config = config(&["purchase_completed"], &[]);
    config.convention = convention;
    config.experiments = experiments.iter().map(|e| e.to_string()).collect();
    config
}

#[test]
fn an_optimizely_experiment_is_its_rule_and_other_rules_on_the_flag_are_left_out_and_reported() {
    let report = run(
        with_convention(ExposureConvention::Optimizely, &["checkout_ab"]),
        &checkout_flag(),
    );
    let experiment = &report.experiments["checkout_ab"];
    assert_eq!(report.experiments.len(), 1);
    assert_eq!(experiment.flag_key.as_deref(), Some("checkout"));
    // 1 event of the second test and 4 of the delivery rule (r1, r2 twice, r3) were not counted.
    assert_eq!(
        experiment.other_rules_on_flag,
        [("checkout".to_owned(), 4), ("checkout_ab_2".to_owned(), 1)].into()
    );
    let on = arm(&report, "checkout_ab", "on");
    assert_eq!((on.exposed, on.converted["purchase_completed"]), (2, 1));
    assert_eq!(arm(&report, "checkout_ab", "off").exposed, 1);
}

#[test]
fn without_a_filter_every_optimizely_rule_is_its_own_experiment() {
    let report = run(
        with_convention(ExposureConvention::Optimizely, &[]),
        &checkout_flag(),
    );
    let names: Vec<&String> = report.experiments.keys().collect();
    assert_eq!(names, ["checkout", "checkout_ab", "checkout_ab_2"]);
    // The delivery rule: r1, r2, r3 (r2's two exposures fold into one user).
    assert_eq!(arm(&report, "checkout", "off").exposed, 3);
    assert_eq!(
        arm(&report, "checkout", "off").converted["purchase_completed"],
        1
    );
    assert_eq!(arm(&report, "checkout_ab_2", "on").exposed, 1);
    assert!(report.experiments["checkout_ab"]
        .other_rules_on_flag
        .is_empty());
}

#[test]
fn asked_for_by_flag_key_only_the_events_without_a_rule_count() {
    let report = run(
        with_convention(ExposureConvention::Optimizely, &["checkout"]),
        &checkout_flag(),
    );
    assert_eq!(arm(&report, "checkout", "off").exposed, 3);
    assert_eq!(
        report.experiments["checkout"].other_rules_on_flag,
        [
            ("checkout_ab".to_owned(), 3),
            ("checkout_ab_2".to_owned(), 1)
        ]
        .into()
    );
}

#[test]
fn amplitude_experiments_sharing_a_flag_are_told_apart_by_experiment_key() {
    let amplitude = |user: &str, key: Option<&str>, variant: &str| {
        let key = key
            .map(|k| format!(r#","experiment_key":"{k}""#))
            .unwrap_or_default();
        event(
            "$exposure",
            T0,
            user,
            &format!("x{user}"),
            &format!(r#","flag_key":"search","variant":"{variant}"{key}"#),
        )
    };
    let lines = [
        amplitude("a1", Some("exp-1"), "treatment"),
        amplitude("a2", Some("exp-1"), "control"),
        amplitude("b1", Some("exp-2"), "treatment"),
        amplitude("c1", None, "treatment"),
        purchase(T0 + 1, "b1", "p", "1"),
    ];
    let report = run(
        with_convention(ExposureConvention::Amplitude, &["exp-1"]),
        &lines,
    );
    assert_eq!(arm(&report, "exp-1", "treatment").exposed, 1);
    assert_eq!(arm(&report, "exp-1", "control").exposed, 1);
    assert_eq!(
        report.experiments["exp-1"].other_rules_on_flag,
        [("exp-2".to_owned(), 1), ("search".to_owned(), 1)].into()
    );
    let all = run(with_convention(ExposureConvention::Amplitude, &[]), &lines);
    assert_eq!(
        all.experiments.keys().collect::<Vec<_>>(),
        ["exp-1", "exp-2", "search"]
    );
    assert_eq!(
        arm(&all, "exp-2", "treatment").converted["purchase_completed"],
        1
    );
}

#[test]
fn local_export_times_are_converted_before_the_run_range_and_windows_apply() {
    // A pre-2023 project in Los Angeles (UTC-7 in May) exports wall-clock time as if UTC.
    // Local 2024-05-01 00:30 is 07:30 UTC; the run starts 2024-05-01 07:00 UTC.
    let local = |hours: i64| T0 + hours * 3600 + 30 * 60;
    let lines = [
        exposure("exp", "a", local(0), "inside"), // 07:30 UTC: inside the run
        exposure("exp", "a", local(-1), "before"), // 06:30 UTC: before the run starts
        // 14 days later at local 00:29 is 07:29 UTC, one minute inside the window.
        purchase(local(0) + 14 * DAY - 60, "inside", "p1", "1"),
    ];
    let mut config = config(&["purchase_completed"], &[]);
    config.run = Some(TimeRange::new(T0 + 7 * 3600, T0 + 30 * DAY).expect("range"));
    config.clock = Clock::local("America/Los_Angeles").expect("zone");
    let report = run(config.clone(), &lines);
    let a = arm(&report, "exp", "a");
    assert_eq!((a.exposed, a.converted["purchase_completed"]), (1, 1));
    assert_eq!(
        report.latest_event,
        Some(local(0) + 14 * DAY - 60 + 7 * 3600)
    );
    // Read as UTC instead, "before" (00:30 UTC) would also fall outside, and "inside" too.
    config.clock = Clock::Utc;
    let utc = run(config, &lines);
    assert!(utc.experiments.get("exp").is_none_or(|e| e.arms.is_empty()));
}

#[test]
fn an_id_merged_user_converts_across_device_and_canonical_ids_as_the_export_resolves_them() {
    // The export carries the canonical id as of export time: the exposure fired on the device
    // before login arrives with the user's id, like the conversion after login.
    let lines = [
        exposure("exp", "b", T0, "user-42"),
        purchase(T0 + 3600, "user-42", "p1", "12.50"),
        // A device that never logged in keeps its $device: id and is a user of its own.
        exposure("exp", "b", T0, "$device:abc"),
    ];
    let report = run(
        config(&["purchase_completed"], &["purchase_completed:amount"]),
        &lines,
    );
    let b = arm(&report, "exp", "b");
    assert_eq!((b.exposed, b.converted["purchase_completed"]), (2, 1));
    assert_eq!(
        b.values["purchase_completed.amount"].sum.to_string(),
        "12.5"
    );
}

#[test]
fn users_whose_window_reaches_past_the_data_are_counted_as_incomplete() {
    let lines = [
        exposure("exp", "a", T0, "early"),
        exposure("exp", "a", T0 + 10 * DAY, "late"),
        exposure("exp", "b", T0 + 20 * DAY, "later"),
    ];
    let mut config = config(&[], &[]);
    // Data up to day 16: "early" (window ends day 14) is complete; the others are not.
    config.data_end = Some(T0 + 16 * DAY);
    let report = run(config.clone(), &lines);
    assert_eq!(report.experiments["exp"].incomplete_windows, 2);
    config.data_end = Some(T0 + 34 * DAY);
    assert_eq!(run(config, &lines).experiments["exp"].incomplete_windows, 0);
}

#[test]
fn two_value_metrics_on_one_property_name_each_read_their_own_amounts() {
    let refund = |time: i64, user: &str, id: &str, amount: &str| {
        event(
            "refund_issued",
            time,
            user,
            id,
            &format!(r#","amount":{amount}"#),
        )
    };
    let lines = [
        exposure("exp", "a", T0, "u1"),
        purchase(T0 + 10, "u1", "p1", "30"),
        refund(T0 + 20, "u1", "r1", "7"),
    ];
    let report = run(
        config(&[], &["purchase_completed:amount", "refund_issued:amount"]),
        &lines,
    );
    let a = arm(&report, "exp", "a");
    assert_eq!(a.values["purchase_completed.amount"].sum.to_string(), "30");
    assert_eq!(a.values["refund_issued.amount"].sum.to_string(), "7");
}

#[test]
fn a_segment_on_a_property_the_convention_also_reads_still_gets_its_value() {
    let lines = [event(
        "Experiment Viewed",
        T0,
        "u1",
        "v1",
        r#","flag_key":"f","rule_key":"r","variation_key":"on""#,
    )];
    let mut config = config(&[], &[]);
    config.convention = ExposureConvention::Optimizely;
    config.segments = vec!["rule_key".into()];
    let report = run(config, &lines);
    assert_eq!(
        report.experiments["r"].segments["rule_key"]["r"]["on"].exposed,
        1
    );
}
