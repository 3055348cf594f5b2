//! Dirty input: broken lines, escapes, odd chunking, parallel parts.

use super::*;
use crate::domain::attribution::{SkipReason, SkippedLine};

fn skipped(report: &Report) -> Vec<(u64, SkipReason)> {
    report
        .skipped
        .first
        .iter()
        .map(|s| (s.line, s.reason))
        .collect()
}

#[test]
fn malformed_and_incomplete_lines_are_skipped_with_their_line_numbers() {
    let good = exposure("exp", "a", T0, "u1");
    let lines = [
        good.clone(),
        good[..good.len() - 5].to_owned(),
        r#"{"event":"page_view","properties":{"time":1714521600}}"#.to_owned(),
        r#"{"event":"$experiment_started","properties":{"distinct_id":"u2"}}"#.to_owned(),
        r#"{"event":"purchase_completed","properties":{"time":"1714521600","distinct_id":"u2"}}"#
            .to_owned(),
        r#"{"properties":{"time":1714521600,"distinct_id":"u2"}}"#.to_owned(),
        "not json at all".to_owned(),
        r#"{"event":"$experiment_started","properties":{"time":1,"distinct_id":null}}"#.to_owned(),
        String::new(),
        good,
    ];
    let report = run(config(&["purchase_completed"], &[]), &lines);
    assert_eq!(report.lines, 10);
    assert_eq!(report.skipped.count, 7);
    assert_eq!(
        skipped(&report),
        [
            (2, SkipReason::InvalidJson),
            (3, SkipReason::MissingDistinctId),
            (4, SkipReason::MissingTime),
            (5, SkipReason::MissingTime),
            (6, SkipReason::MissingEvent),
        ]
    );
    assert_eq!(arm(&report, "exp", "a").exposed, 1);
}

#[test]
fn escaped_and_non_ascii_names_match_their_plain_spelling() {
    let escaped = r#"{"event":"$experiment_started","properties":{"time":1714521600,"distinct_id":"caf\u00e9","Experiment name":"Pricing \"Page\" \u2013 Annual","Variant name":"Z\u00fcrich"}}"#;
    let plain = exposure(r#"Pricing \"Page\" – Annual"#, "Zürich", T0 + 5, "café");
    let conversion = r#"{"event":"purchase\u005fcompleted","properties":{"distinct_id":"café","time":1714521601}}"#;
    let lines = [escaped.to_owned(), plain, conversion.to_owned()];
    let report = run(config(&["purchase_completed"], &[]), &lines);
    let zurich = arm(&report, "Pricing \"Page\" – Annual", "Zürich");
    assert_eq!(
        (zurich.exposed, zurich.converted["purchase_completed"]),
        (1, 1)
    );
    assert_eq!(report.skipped.count, 0);
}

#[test]
fn lines_split_anywhere_across_chunks_give_the_same_report() {
    let lines = [
        exposure("exp", "a", T0, "u1"),
        purchase(T0 + 1, "u1", "p1", "3.5"),
        "garbage".to_owned(),
        exposure("exp", "b", T0, "u2"),
    ];
    let text = lines.join("\r\n") + "\r\n";
    let whole = run(
        config(&["purchase_completed"], &["purchase_completed:amount"]),
        std::slice::from_ref(&text),
    );
    for size in [1, 7, 64] {
        let mut attributor = Attributor::new(config(
            &["purchase_completed"],
            &["purchase_completed:amount"],
        ))
        .expect("valid config");
        text.as_bytes()
            .chunks(size)
            .for_each(|chunk| attributor.feed_chunk(chunk));
        let progress = attributor.progress();
        assert_eq!((progress.bytes, progress.lines), (text.len() as u64, 4));
        assert_eq!((progress.events, progress.skipped), (3, 1));
        let report = attributor.finish().expect("finishes");
        assert_eq!(report, whole, "chunk size {size}");
    }
    assert_eq!(skipped(&whole), [(3, SkipReason::InvalidJson)]);
}

#[test]
fn merged_consecutive_parts_equal_one_pass_including_line_numbers() {
    let lines = [
        purchase(T0 + 1, "u1", "p1", "2"),
        "{broken".to_owned(),
        exposure("exp", "a", T0, "u1"),
        exposure("exp", "b", T0, "u2"),
        "{broken".to_owned(),
        exposure("exp", "a", T0 + 5, "u2"),
        purchase(T0 + 1, "u1", "p1", "2"),
    ];
    let config = config(&["purchase_completed"], &["purchase_completed:amount"]);
    let one_pass = run(config.clone(), &lines);
    let mut first = Attributor::new(config.clone()).expect("valid config");
    for line in &lines[..3] {
        first.feed_line(line.as_bytes());
    }
    let mut second = Attributor::new(config).expect("valid config");
    for line in &lines[3..] {
        second.feed_line(line.as_bytes());
    }
    first.merge(second).expect("same config");
    let merged = first.finish().expect("finishes");
    assert_eq!(merged.experiments, one_pass.experiments);
    assert_eq!(merged.skipped, one_pass.skipped);
    assert_eq!(merged.duplicates, 1);
    assert_eq!(
        merged.skipped.first[1],
        SkippedLine {
            line: 5,
            reason: SkipReason::InvalidJson
        }
    );
    assert_eq!(merged.experiments["exp"].multi_arm_users, 1);
}

#[test]
fn blocks_parsed_elsewhere_and_absorbed_in_order_equal_one_pass() {
    let lines = [
        purchase(T0 + 1, "u1", "p1", "2"),
        "{broken".to_owned(),
        exposure("exp", "a", T0, "u1"),
        exposure("exp", "b", T0, "u2"),
        "{broken".to_owned(),
        purchase(T0 + 1, "u1", "p1", "2"),
    ];
    let config = config(&["purchase_completed"], &["purchase_completed:amount"]);
    let one_pass = run(config.clone(), &lines);
    let mut attributor = Attributor::new(config).expect("valid config");
    let mut parser = attributor.block_parser();
    let first = parser.parse((lines[..2].join("\n") + "\n").as_bytes());
    let second = parser.parse(lines[2..].join("\n").as_bytes());
    assert_eq!((first.lines(), second.lines()), (2, 4));
    attributor.absorb(first).expect("same config");
    attributor.absorb(second).expect("same config");
    let progress = attributor.progress();
    assert_eq!(
        (progress.lines, progress.events, progress.skipped),
        (6, 4, 2)
    );
    assert_eq!(attributor.finish().expect("finishes"), one_pass);
}

#[test]
fn a_block_from_another_configuration_is_refused() {
    let attributor = Attributor::new(config(&["a"], &[])).expect("valid config");
    let mut other = Attributor::new(config(&["b"], &[])).expect("valid config");
    let block = attributor.block_parser().parse(b"{}\n");
    assert!(other.absorb(block).is_err());
}

#[test]
fn merging_attributors_with_different_configs_is_refused() {
    let mut first = Attributor::new(config(&["a"], &[])).expect("valid config");
    let second = Attributor::new(config(&["b"], &[])).expect("valid config");
    assert!(first.merge(second).is_err());
}

#[test]
fn an_endless_line_is_skipped_without_buffering_it() {
    let mut attributor = Attributor::new(config(&[], &[])).expect("valid config");
    let block = vec![b'x'; 1 << 20];
    for _ in 0..9 {
        attributor.feed_chunk(&block);
    }
    attributor.feed_chunk(b"\n");
    attributor.feed_chunk(exposure("exp", "a", T0, "u1").as_bytes());
    let report = attributor.finish().expect("finishes");
    assert_eq!(skipped(&report), [(1, SkipReason::TooLong)]);
    assert_eq!(arm(&report, "exp", "a").exposed, 1);
}

#[test]
fn numeric_ids_and_other_key_orders_are_read_by_the_full_parser() {
    let lines = [
        r#"{ "properties": { "Variant name": "a", "distinct_id": 42, "time": 1714521600.7, "Experiment name": "exp" }, "event": "$experiment_started" }"#,
        r#"{"event": "purchase_completed", "properties": {"time": 1714521601, "distinct_id": 42, "$insert_id": 7}}"#,
    ];
    let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let report = run(config(&["purchase_completed"], &[]), &lines);
    let a = arm(&report, "exp", "a");
    assert_eq!((a.exposed, a.converted["purchase_completed"]), (1, 1));
}

proptest::proptest! {
    #[test]
    fn any_chunking_and_any_split_give_the_same_report(size in 1usize..300, cut in 0usize..8) {
        let lines = [
            exposure("exp", "a", T0, "u1"),
            purchase(T0 + 1, "u1", "p1", "3.5"),
            "{\"event\":\"x\"".to_owned(),
            exposure("exp", "b", T0 + 9, "u2"),
            purchase(T0 + 3, "u2", "p2", "1.25"),
            exposure("exp", "b", T0, "u2"),
            purchase(T0 + 3, "u2", "p2", "1.25"),
            String::new(),
        ];
        let config = config(&["purchase_completed"], &["purchase_completed:amount"]);
        let whole = run(config.clone(), &lines);
        let mut chunked = Attributor::new(config.clone()).expect("valid config");
        let text = lines.join("\n");
        text.as_bytes().chunks(size).for_each(|chunk| chunked.feed_chunk(chunk));
        proptest::prop_assert_eq!(&chunked.finish().expect("finishes"), &whole);
        let mut first = Attributor::new(config.clone()).expect("valid config");
        let mut second = Attributor::new(config).expect("valid config");
        lines[..cut].iter().for_each(|line| first.feed_line(line.as_bytes()));
        lines[cut..].iter().for_each(|line| second.feed_line(line.as_bytes()));
        first.merge(second).expect("same config");
        let merged = first.finish().expect("finishes");
        proptest::prop_assert_eq!(&merged.experiments, &whole.experiments);
        proptest::prop_assert_eq!(&merged.skipped, &whole.skipped);
    }
}
