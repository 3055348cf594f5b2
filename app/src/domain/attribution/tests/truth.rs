//! The attributor against the true counts written by `shared/tools/gen_mixpanel.py`, on a
//! 20k-event export with every kind of dirt the generator knows (duplicates, late arrivals,
//! multi-arm users, window edges, missing fields, non-ASCII names, escaped quotes).

use std::io::Read;

use serde_json::Value;

use super::*;

const EXPORT_GZ: &[u8] = include_bytes!("../testdata/events_20k.jsonl.gz");
const TRUTH: &str = include_str!("../testdata/events_20k.jsonl.truth.json");

fn export() -> Vec<u8> {
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(EXPORT_GZ)
        .read_to_end(&mut text)
        .expect("testdata is valid gzip");
    text
}

fn generator_config() -> Config {
    config(
        &["signup_completed", "purchase_completed"],
        &["purchase_completed:amount"],
    )
}

/// The generator's own answer (its `.truth.json`): exposed, converted, revenue in cents,
/// multi-variant users. Also the warehouse tests' check.
pub(crate) fn assert_matches_truth(report: &Report, truth: &str) {
    let truth: Value = serde_json::from_str(truth).expect("truth is JSON");
    let experiments = truth["experiments"].as_object().expect("experiments");
    assert_eq!(report.experiments.len(), experiments.len());
    for (name, expected) in experiments {
        let counts = &report.experiments[name];
        assert_eq!(
            counts.multi_arm_users,
            expected["multi_variant_users"].as_u64().expect("count"),
            "{name}"
        );
        let variants = expected["variants"].as_object().expect("variants");
        assert_eq!(counts.arms.len(), variants.len(), "{name}");
        for (variant, want) in variants {
            let got = arm(report, name, variant);
            assert_eq!(
                got.exposed,
                want["exposed"].as_u64().expect("n"),
                "{name}/{variant}"
            );
            for metric in ["signup_completed", "purchase_completed"] {
                let want = want["converted"][metric].as_u64().expect("n");
                assert_eq!(got.converted[metric], want, "{name}/{variant} {metric}");
            }
            let revenue = got.values["purchase_completed.amount"];
            assert_eq!(revenue.n, got.exposed);
            let cents = i128::from(want["revenue_cents_sum"].as_i64().expect("cents"));
            let squares = i128::from(want["revenue_cents_sumsq"].as_i64().expect("cents^2"));
            assert_eq!(units_at(revenue.sum, 2), cents, "{name}/{variant} sum");
            assert_eq!(
                units_at(revenue.sum_squares, 4),
                squares,
                "{name}/{variant} sumsq"
            );
        }
    }
}

#[test]
fn a_generated_export_gives_exactly_the_true_counts() {
    let text = export();
    let mut attributor = Attributor::new(generator_config()).expect("valid config");
    // An odd chunk size, so many lines straddle chunk boundaries.
    text.chunks(65_521)
        .for_each(|chunk| attributor.feed_chunk(chunk));
    let report = attributor.finish().expect("finishes");
    let truth: Value = serde_json::from_str(TRUTH).expect("truth is JSON");
    assert_eq!(
        report.lines,
        truth["stats"]["lines_total"].as_u64().expect("n")
    );
    assert_eq!(
        report.skipped.count,
        truth["stats"]["lines_missing_distinct_id"]
            .as_u64()
            .expect("n")
    );
    assert!(report.duplicates > 0);
    assert_matches_truth(&report, TRUTH);
}

#[test]
fn a_generated_export_split_in_three_and_merged_gives_the_true_counts() {
    let text = export();
    let cut = |at: usize| at + text[at..].iter().position(|&b| b == b'\n').unwrap_or(0) + 1;
    let (a, b) = (cut(text.len() / 3), cut(2 * text.len() / 3));
    let mut parts = [&text[..a], &text[a..b], &text[b..]].map(|part| {
        let mut attributor = Attributor::new(generator_config()).expect("valid config");
        attributor.feed_chunk(part);
        Some(attributor)
    });
    let mut whole = parts[0].take().expect("first part");
    for part in parts.iter_mut().skip(1) {
        whole
            .merge(part.take().expect("part"))
            .expect("same config");
    }
    let report = whole.finish().expect("finishes");
    assert_matches_truth(&report, TRUTH);
    let one_pass = {
        let mut attributor = Attributor::new(generator_config()).expect("valid config");
        attributor.feed_chunk(&text);
        attributor.finish().expect("finishes")
    };
    assert_eq!(report.skipped, one_pass.skipped);
    assert_eq!(report.duplicates, one_pass.duplicates);
}
