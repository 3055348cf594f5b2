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

/// The committed export with `tail` appended, on stdin.
fn with_tail(tail: &str) -> Vec<u8> {
    let mut text = plain_export();
    text.extend_from_slice(tail.as_bytes());
    text
}

#[test]
fn an_export_ending_in_terminated_early_exits_non_zero_naming_the_truncation() {
    for tail in [
        "terminated early\n",
        "Export Terminated Early",
        "TERMINATED EARLY\n\n",
    ] {
        let output = verdict(
            &[&["--file", "-"][..], &METRICS].concat(),
            Some(&with_tail(tail)),
        );
        assert!(!output.status.success(), "{tail:?} must fail");
        assert!(output.stdout.is_empty(), "no counts from a cut export");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("terminated early"), "{stderr}");
        assert!(stderr.contains("the data reached 2024-"), "{stderr}");
    }
    // Mid-file it is one malformed line among 20,001, under the 1% rule.
    let mut text = b"terminated early\n".to_vec();
    text.extend_from_slice(&plain_export());
    let output = verdict(&[&["--file", "-"][..], &METRICS].concat(), Some(&text));
    assert!(output.status.success());
}

#[test]
fn anonymous_events_are_counted_apart_at_the_top_level() {
    let plain = attribute("-", Some(&plain_export()));
    assert_eq!(plain["anonymous_events"], 0, "always present");
    let anonymous = r#"{"event":"purchase_completed","properties":{"time":1714600000,"distinct_id":"","$insert_id":"a","amount":5}}"#;
    let json = attribute(
        "-",
        Some(&with_tail(&format!("{anonymous}\n{anonymous}\n"))),
    );
    assert_eq!(json["anonymous_events"], 2);
    assert_eq!(json["skipped_lines"], plain["skipped_lines"]);
    assert_eq!(json["experiments"], plain["experiments"], "never counted");
}

#[test]
fn optimizely_experiments_are_named_by_rule_key_and_other_rules_are_reported() {
    let viewed = |user: &str, rule: &str, variation: &str| {
        format!(
            "{{\"event\":\"Experiment Viewed\",\"properties\":{{\"time\":1714600000,\"distinct_id\":\"{user}\",\"flag_key\":\"checkout\",\"rule_key\":\"{rule}\",\"variation_key\":\"{variation}\",\"enabled\":true}}}}\n"
        )
    };
    let input = [
        viewed("a", "checkout_ab", "on"),
        viewed("b", "checkout_ab", "off"),
        viewed("c", "", "off"),
        viewed("d", "other_test", "on"),
    ]
    .concat();
    let args = [
        "--file",
        "-",
        "--convention",
        "optimizely",
        "--experiment",
        "checkout_ab",
        "--metric",
        "purchase_completed",
    ];
    let output = verdict(&args, Some(input.as_bytes()));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let experiment = &json["experiments"]["checkout_ab"];
    assert_eq!(experiment["flag_key"], "checkout");
    assert_eq!(experiment["arms"]["on"]["exposed"], 1);
    assert_eq!(experiment["arms"]["off"]["exposed"], 1);
    assert_eq!(
        experiment["other_rules_on_flag"],
        serde_json::json!({"checkout": 1, "other_test": 1})
    );
}

#[test]
fn local_export_times_are_read_in_the_named_zone() {
    // Los Angeles moves its clocks forward on 2024-03-10. Exposed at local 2024-03-01 00:00
    // (08:00 UTC), a purchase at local 2024-03-15 00:30 (07:30 UTC) is 14 days minus 30
    // minutes later: inside the window once converted, outside when read as UTC.
    let line = |event: &str, time: i64, extra: &str| {
        format!("{{\"event\":\"{event}\",\"properties\":{{\"time\":{time},\"distinct_id\":\"u\"{extra}}}}}\n")
    };
    let t0 = 1_709_251_200;
    let input = [
        line(
            "$experiment_started",
            t0,
            ",\"Experiment name\":\"e\",\"Variant name\":\"a\"",
        ),
        line("purchase_completed", t0 + 14 * 86_400 + 30 * 60, ""),
    ]
    .concat();
    let converted = |zone: Option<&str>| {
        let mut args = vec!["--file", "-", "--metric", "purchase_completed"];
        if let Some(zone) = zone {
            args.extend(["--local-time", zone]);
        }
        let output = verdict(&args, Some(input.as_bytes()));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        json["experiments"]["e"]["arms"]["a"]["converted"]["purchase_completed"].clone()
    };
    assert_eq!(converted(Some("America/Los_Angeles")), 1);
    assert_eq!(converted(None), 0);
    let bad = verdict(
        &["--file", "-", "--metric", "x", "--local-time", "Mars/Base"],
        Some(b""),
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Mars/Base"));
}

#[test]
fn the_metric_flags_add_their_blocks_to_every_arm_and_segment() {
    let t0 = 1_714_521_600;
    let line = |event: &str, time: i64, user: &str, extra: &str| {
        format!("{{\"event\":\"{event}\",\"properties\":{{\"time\":{time},\"distinct_id\":\"{user}\",\"$insert_id\":\"{event}{time}{user}\"{extra}}}}}\n")
    };
    let exposure = |arm: &str, user: &str, os: &str| {
        line(
            "$experiment_started",
            t0,
            user,
            &format!(",\"Experiment name\":\"e\",\"Variant name\":\"{arm}\",\"$os\":\"{os}\""),
        )
    };
    let input = [
        exposure("a", "u1", "iOS"),
        line("purchase", t0 + 60, "u1", ",\"amount\":10"),
        line("purchase", t0 + 120, "u1", ",\"amount\":90"),
        line("purchase", t0 - 86_400, "u1", ",\"amount\":7"),
        line("app_open", t0 + 86_400 + 1, "u1", ""),
        exposure("a", "u2", "Android"),
        line("purchase", t0 + 60, "u2", ",\"amount\":20"),
        exposure("b", "u3", "iOS"),
    ]
    .concat();
    let args = [
        "--file",
        "-",
        "--metric",
        "purchase",
        "--value",
        "purchase:amount",
        "--count",
        "purchase",
        "--retention",
        "app_open:1",
        "--retention",
        "*:0",
        "--ratio",
        "purchase:amount/purchase:#count",
        "--cap",
        "purchase:amount:50",
        "--pre-days",
        "7",
        "--segment",
        "$os",
    ];
    let output = verdict(&args, Some(input.as_bytes()));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    let a = &json["experiments"]["e"]["arms"]["a"];
    // u1: 10 + 90 = 100, capped at 50; u2: 20.
    assert_eq!(
        a["values"]["purchase.amount"],
        serde_json::json!({"sum": 70, "sum_squares": 2900, "cap": 50})
    );
    assert_eq!(
        a["values"]["purchase.#count"],
        serde_json::json!({"sum": 3, "sum_squares": 5})
    );
    assert_eq!(
        a["retained"],
        serde_json::json!({"*:0": 2, "app_open:1": 1})
    );
    assert_eq!(
        a["ratios"]["purchase:amount/purchase:#count"],
        serde_json::json!({"numerator_sum": 70, "numerator_sum_squares": 2900, "denominator_sum": 3, "denominator_sum_squares": 5, "cross_sum": 120})
    );
    // u1 bought for 7 the day before: pre 7 against a capped post of 50.
    assert_eq!(
        a["covariates"]["purchase.amount"],
        serde_json::json!({"sum": 7, "sum_squares": 49, "cross_sum": 350})
    );
    assert_eq!(
        a["covariates"]["purchase"],
        serde_json::json!({"sum": 1, "sum_squares": 1, "cross_sum": 1})
    );
    // Requested blocks appear on every arm, zeros where nothing happened.
    let b = &json["experiments"]["e"]["arms"]["b"];
    assert_eq!(
        b["retained"],
        serde_json::json!({"*:0": 0, "app_open:1": 0})
    );
    let segments = &json["experiments"]["e"]["segments"]["$os"];
    assert_eq!(segments["iOS"]["arms"]["a"]["exposed"], 1);
    assert_eq!(segments["iOS"]["arms"]["b"]["exposed"], 1);
    assert_eq!(
        segments["Android"]["arms"]["a"]["values"]["purchase.amount"]["sum"],
        20
    );
    assert!(segments["Android"]["arms"].get("b").is_none());
}
