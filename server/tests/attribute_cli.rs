//! `verdict attribute` as a user runs it: the built binary on the committed 20k-event export
//! (gzip, plain, stdin), its JSON checked against the generator's true counts.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const METRICS: [&str; 6] = [
    "--metric",
    "signup_completed",
    "--metric",
    "purchase_completed",
    "--value",
    "purchase_completed:amount",
];

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../app/src/domain/attribution/testdata")
        .join(name)
}

fn verdict(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .arg("attribute")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the verdict binary runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    input
        .write_all(stdin.unwrap_or_default())
        .expect("stdin accepts");
    drop(input);
    child
        .wait_with_output()
        .expect("the verdict binary finishes")
}

fn attribute(file: &str, stdin: Option<&[u8]>) -> Value {
    let output = verdict(&[&["--file", file][..], &METRICS].concat(), stdin);
    assert!(
        output.status.success(),
        "verdict failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

fn plain_export() -> Vec<u8> {
    let gz = std::fs::File::open(testdata("events_20k.jsonl.gz")).expect("testdata present");
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut text)
        .expect("testdata is gzip");
    text
}

fn assert_matches_truth(got: &Value) {
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(testdata("events_20k.jsonl.truth.json")).expect("truth present"),
    )
    .expect("truth is JSON");
    assert_eq!(got["lines"], truth["stats"]["lines_total"]);
    assert_eq!(
        got["skipped_lines"],
        truth["stats"]["lines_missing_distinct_id"]
    );
    assert!(got["duplicates"].as_u64().is_some_and(|n| n > 0));
    let experiments = truth["experiments"].as_object().expect("experiments");
    assert_eq!(
        got["experiments"].as_object().map(|e| e.len()),
        Some(experiments.len())
    );
    for (name, want) in experiments {
        let experiment = &got["experiments"][name];
        assert_eq!(
            experiment["multi_arm_users"], want["multi_variant_users"],
            "{name}"
        );
        let variants = want["variants"].as_object().expect("variants");
        assert_eq!(
            experiment["arms"].as_object().map(|a| a.len()),
            Some(variants.len())
        );
        for (variant, want) in variants {
            let arm = &experiment["arms"][variant];
            assert_eq!(arm["exposed"], want["exposed"], "{name}/{variant}");
            assert_eq!(arm["converted"], want["converted"], "{name}/{variant}");
            let revenue = &arm["values"]["purchase_completed.amount"];
            let cents = revenue["sum"].as_f64().expect("sum") * 100.0;
            let squares = revenue["sum_squares"].as_f64().expect("sum_squares") * 10_000.0;
            assert_eq!(
                cents.round() as i64,
                want["revenue_cents_sum"],
                "{name}/{variant}"
            );
            assert_eq!(
                squares.round() as i64,
                want["revenue_cents_sumsq"],
                "{name}/{variant}"
            );
        }
    }
}

#[test]
fn a_gzip_export_gives_the_true_counts() {
    let file = testdata("events_20k.jsonl.gz");
    assert_matches_truth(&attribute(&file.display().to_string(), None));
}

#[test]
fn a_plain_export_gives_the_true_counts() {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("attribute_cli_events_20k.jsonl");
    std::fs::write(&file, plain_export()).expect("write plain export");
    assert_matches_truth(&attribute(&file.display().to_string(), None));
}

#[test]
fn an_export_on_stdin_gives_the_true_counts() {
    assert_matches_truth(&attribute("-", Some(&plain_export())));
}

#[test]
fn the_experiment_filter_limits_the_report() {
    let file = testdata("events_20k.jsonl.gz").display().to_string();
    let args = [
        &["--file", &file, "--experiment", "checkout_one_page"][..],
        &METRICS,
    ]
    .concat();
    let output = verdict(&args, None);
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let names: Vec<&String> = json["experiments"]
        .as_object()
        .map(|e| e.keys().collect())
        .unwrap_or_default();
    assert_eq!(names, ["checkout_one_page"]);
}

#[test]
fn a_missing_file_fails_with_its_name_on_stderr() {
    let output = verdict(
        &[&["--file", "/no/such/export.jsonl"][..], &METRICS].concat(),
        None,
    );
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/no/such/export.jsonl"), "{stderr}");
}
