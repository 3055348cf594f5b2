use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use super::reader::BLOCK_BYTES;
use super::*;
use app::domain::attribution::Report;

/// The committed 20k-event export (gzip) and its true counts, from the app crate.
fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../app/src/domain/attribution/testdata/events_20k.jsonl.gz")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("verdict-attribute-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn plain_export() -> Vec<u8> {
    let mut text = Vec::new();
    let file = File::open(testdata()).expect("testdata present");
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut text)
        .expect("testdata is gzip");
    text
}

fn args(files: &[&Path]) -> AttributeArgs {
    AttributeArgs {
        files: files.iter().map(|f| f.to_path_buf()).collect(),
        warehouse: None,
        table: None,
        columns: None,
        timeout_secs: 600,
        experiments: Vec::new(),
        convention: Convention::Mixpanel,
        exposure_event: None,
        experiment_property: None,
        variant_property: None,
        metrics: vec!["signup_completed".into(), "purchase_completed".into()],
        values: vec![ValueMetric::parse("purchase_completed:amount").expect("valid")],
        counts: Vec::new(),
        retention: Vec::new(),
        ratios: Vec::new(),
        caps: Vec::new(),
        pre_days: None,
        segments: Vec::new(),
        window_days: 14,
        local_time: None,
        threads: None,
    }
}

fn report_for(path: &Path, threads: usize) -> Report {
    let mut attributor =
        Attributor::new(config(&args(&[path])).expect("config")).expect("valid config");
    attribute_input(path, &mut attributor, threads).expect("reads");
    attributor.finish().expect("finishes")
}

#[test]
fn gzip_is_recognised_by_its_bytes_and_counts_like_plain_text() {
    let plain = scratch("export.jsonl");
    std::fs::write(&plain, plain_export()).expect("write plain");
    let gz_without_extension = scratch("export.data");
    std::fs::copy(testdata(), &gz_without_extension).expect("copy gzip");
    let from_plain = report_for(&plain, 1);
    let from_gzip = report_for(&gz_without_extension, 1);
    assert_eq!(from_gzip.experiments, from_plain.experiments);
    assert_eq!(from_gzip.skipped, from_plain.skipped);
    assert_eq!(from_plain.lines, 20_000);
}

#[test]
fn parallel_blocks_count_exactly_like_one_stream() {
    // 12 MB: a dozen blocks, so lines straddle block boundaries.
    let plain = scratch("parallel.jsonl");
    let text = plain_export();
    std::fs::write(&plain, &text).expect("write plain");
    let mut one_stream =
        Attributor::new(config(&args(&[&plain])).expect("config")).expect("valid config");
    one_stream.feed_chunk(&text);
    let streamed = one_stream.finish().expect("finishes");
    for threads in [2, 3, 5] {
        let parallel = report_for(&plain, threads);
        assert_eq!(parallel, streamed, "{threads} threads");
    }
}

#[test]
fn a_file_without_final_newline_and_with_crlf_loses_no_line() {
    let path = scratch("crlf.jsonl");
    let mut file = File::create(&path).expect("create");
    let exposure = r#"{"event":"$experiment_started","properties":{"time":1714521600,"distinct_id":"u1","Experiment name":"e","Variant name":"a"}}"#;
    write!(file, "{exposure}\r\n{{broken\r\n{exposure}").expect("write");
    drop(file);
    let report = report_for(&path, 1);
    assert_eq!((report.lines, report.skipped.count), (3, 1));
    assert_eq!(report.experiments["e"].arms["a"].exposed, 1);
}

#[test]
fn a_line_longer_than_a_block_stays_one_line() {
    let path = scratch("long-line.jsonl");
    let exposure = r#"{"event":"$experiment_started","properties":{"time":1714521600,"distinct_id":"u1","Experiment name":"e","Variant name":"a"}}"#;
    let long = format!(
        r#"{{"event":"page_view","properties":{{"time":1,"distinct_id":"u2","blob":"{}"}}}}"#,
        "x".repeat(3 * BLOCK_BYTES)
    );
    std::fs::write(&path, format!("{exposure}\n{long}\n{{broken\n{exposure}\n")).expect("write");
    let report = report_for(&path, 2);
    assert_eq!((report.lines, report.skipped.count), (4, 1));
    assert_eq!(report.skipped.first[0].line, 3);
}

#[test]
fn the_json_has_the_contract_shape_and_exact_sums() {
    let report = report_for(&testdata(), 2);
    let json: serde_json::Value = serde_json::from_str(&render(&report, Default::default()))
        .expect("render writes valid JSON");
    assert_eq!(json["lines"], 20_000);
    assert_eq!(json["skipped_lines"], report.skipped.count);
    assert_eq!(json["duplicates"], report.duplicates);
    let experiment = &json["experiments"]["onboarding_checklist_v2"];
    assert!(experiment["multi_arm_users"].is_u64());
    let control = &experiment["arms"]["control"];
    assert!(control["exposed"].as_u64().is_some_and(|n| n > 0));
    assert!(control["converted"]["purchase_completed"].is_u64());
    let revenue = &control["values"]["purchase_completed.amount"];
    let sum = report.experiments["onboarding_checklist_v2"].arms["control"].values
        ["purchase_completed.amount"]
        .sum;
    assert_eq!(revenue["sum"].to_string(), sum.to_string());
}

#[test]
fn skipped_lines_are_located_in_their_own_file() {
    let skipped = [
        attribution::SkippedLine {
            line: 3,
            reason: attribution::SkipReason::InvalidJson,
        },
        attribution::SkippedLine {
            line: 12,
            reason: attribution::SkipReason::MissingTime,
        },
    ];
    let inputs = [("a.jsonl".to_owned(), 10), ("b.jsonl.gz".to_owned(), 5)];
    assert_eq!(
        locate(&skipped, &inputs),
        "a.jsonl:3 (not valid JSON), b.jsonl.gz:2 (no numeric properties.time)"
    );
}

#[test]
fn more_than_one_percent_of_bad_lines_fails_naming_count_and_lines() {
    let path = scratch("mostly-bad.jsonl");
    let good = r#"{"event":"page_view","properties":{"time":1,"distinct_id":"u"}}"#;
    std::fs::write(&path, format!("{good}\n{{\"event\":\n{good}\n")).expect("write");
    let message = format!("{:#}", run(&args(&[&path])).expect_err("33% is too many"));
    assert!(message.contains("1 of 3 lines (33.33%)"), "{message}");
    assert!(
        message.contains("mostly-bad.jsonl:2 (not valid JSON)"),
        "{message}"
    );
}

#[test]
fn a_missing_file_is_named_in_the_error() {
    let error = run(&args(&[Path::new("/no/such/export.jsonl")])).expect_err("missing file fails");
    assert!(format!("{error:#}").contains("/no/such/export.jsonl"));
}
