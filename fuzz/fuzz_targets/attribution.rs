//! The event-export upload: arbitrary bytes as newline-delimited JSON through the streaming
//! attributor, the way `server/src/import.rs` and `verdict attribute` feed it (chunks of any
//! size), then the 1% rule, the brief's counts, the analysis and the decision rule.
//! Byte 0 picks the engine and the chunk size; the rest is the export.
//!
//! Also checked: the answer does not depend on where the chunks split the input, and the counts
//! are consistent (no arm converts more users than it exposed).
#![no_main]

use app::domain::analysis::analyze;
use app::domain::attribution::{Attributor, Report, MAX_SKIPPED_RATIO};
use app::domain::import::{attribution_config, counts_from_report};
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use verdict_fuzz::{brief, check_analysis, check_decision, engine, KEY};

fn attribute(brief: &app::domain::brief::Brief, data: &[u8], chunk: usize) -> Report {
    // A run from 2024-05-01 to 2024-06-30, like the committed test export.
    let run = (
        NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
        NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
    );
    let config = attribution_config(brief, KEY, Some(run)).expect("the fuzz brief is valid");
    let mut attributor = Attributor::new(config).expect("the fuzz config is valid");
    for piece in data.chunks(chunk.max(1)) {
        attributor.feed_chunk(piece);
    }
    attributor
        .finish()
        .expect("a small input never has too many users")
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, export)) = data.split_first() else {
        return;
    };
    let brief = brief(engine(pick));
    let chunk = usize::from(pick >> 2) + 1;
    let report = attribute(&brief, export, chunk);
    let whole = attribute(&brief, export, export.len());
    assert_eq!(report, whole, "chunks of {chunk} bytes change the answer");
    assert_eq!(report.bytes, export.len() as u64);
    assert!(report.skipped.count <= report.lines);
    assert!(report.events <= report.lines);
    for (name, exp) in &report.experiments {
        for (arm, counts) in &exp.arms {
            for (metric, converted) in &counts.converted {
                assert!(
                    *converted <= counts.exposed,
                    "{name}/{arm}: {converted} converted on {metric} but {} exposed",
                    counts.exposed
                );
            }
            for (metric, sums) in &counts.values {
                assert_eq!(
                    sums.n, counts.exposed,
                    "{name}/{arm}/{metric}: n is not the exposed users"
                );
            }
        }
    }
    if report.check_skipped(MAX_SKIPPED_RATIO).is_err() {
        return;
    }
    let Ok(counts) = counts_from_report(&brief, KEY, &report) else {
        return;
    };
    if !counts.validate(&brief).is_empty() {
        return; // the server stops here with the first problem, in words
    }
    if let Ok(resp) = analyze(&brief, &counts) {
        check_analysis(&resp);
        check_decision(&brief, &resp);
    }
});
