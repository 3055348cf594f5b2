//! `verdict warehouse load` and `verdict attribute --warehouse` as a user runs them, against a
//! real PostgreSQL: the JSON computed in the warehouse equals the JSON computed from the file,
//! field by field, for every metric kind (only the file's own counters, lines and skipped
//! lines, are 0).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../app/src/domain/attribution/testdata")
        .join(name)
}

#[path = "../../app/src/warehouse/test_cluster.rs"]
mod test_cluster;
use test_cluster::url as pg_url;

fn verdict(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(args)
        .env("VERDICT_WAREHOUSE_URL", pg_url())
        .output()
        .expect("the verdict binary runs")
}

fn json(output: Output) -> Value {
    assert!(
        output.status.success(),
        "verdict failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

fn load(table: &str) {
    let file = testdata("events_20k.jsonl.gz");
    let output = verdict(&[
        "warehouse",
        "load",
        "--table",
        table,
        "--file",
        file.to_str().expect("utf-8 path"),
        "--replace",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.starts_with("loaded 20000 events"), "{said}");
}

const FLAGS: [&str; 22] = [
    "--metric",
    "signup_completed",
    "--metric",
    "purchase_completed",
    "--value",
    "purchase_completed:amount",
    "--count",
    "page_view",
    "--retention",
    "*:2",
    "--ratio",
    "purchase_completed:amount/purchase_completed:#count",
    "--cap",
    "purchase_completed:amount:p95",
    "--pre-days",
    "7",
    "--segment",
    "$city",
    "--segment",
    "#new_vs_returning",
    "--window-days",
    "7",
];

#[test]
fn the_warehouse_prints_the_files_json_for_every_metric_kind() {
    load("cli_events");
    let file = testdata("events_20k.jsonl.gz");
    let mut from_file = json(verdict(
        &[
            &["attribute", "--file", file.to_str().expect("utf-8 path")][..],
            &FLAGS,
        ]
        .concat(),
    ));
    // The URL comes from VERDICT_WAREHOUSE_URL, as the help advises (no password in `ps`).
    let from_warehouse = json(verdict(
        &[&["attribute", "--table", "cli_events"][..], &FLAGS].concat(),
    ));
    assert!(from_file["lines"].as_u64().expect("lines") > 19_000);
    assert!(from_file["skipped_lines"].as_u64().expect("skipped") > 0);
    assert_eq!(from_warehouse["lines"], 0);
    assert_eq!(from_warehouse["skipped_lines"], 0);
    from_file["lines"] = 0.into();
    from_file["skipped_lines"] = 0.into();
    assert!(from_file["duplicates"].as_u64().expect("n") > 0);
    assert_eq!(from_warehouse, from_file);
}

#[test]
fn a_table_name_with_sql_in_it_is_refused_before_anything_runs() {
    let output = verdict(&[
        "attribute",
        "--table",
        "events; DROP TABLE cli_events",
        "--metric",
        "purchase_completed",
    ]);
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("is not a plain name"), "{said}");
}

#[test]
fn a_missing_table_and_a_bad_url_say_so() {
    let output = verdict(&["attribute", "--table", "nowhere", "--metric", "x"]);
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("`nowhere` does not exist"), "{said}");
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args([
            "attribute",
            "--warehouse",
            "mysql://x",
            "--table",
            "t",
            "--metric",
            "x",
        ])
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("not a PostgreSQL URL"), "{said}");
    assert!(
        !said.contains("mysql://x"),
        "the URL is never echoed: {said}"
    );
}
