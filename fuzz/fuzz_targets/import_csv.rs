//! The CSV-of-aggregates upload: arbitrary text through `counts_from_csv` against a three-arm
//! brief, and whatever it accepts on through the analysis and the decision rule, as the results
//! page does. Byte 0 picks the engine; the rest is the file.
#![no_main]

use app::domain::analysis::analyze;
use app::domain::import::counts_from_csv;
use libfuzzer_sys::fuzz_target;
use verdict_fuzz::{brief, check_analysis, check_decision, engine};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    // The server refuses non-UTF-8 before parsing.
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let brief = brief(engine(pick));
    let Ok(counts) = counts_from_csv(&brief, text) else {
        return;
    };
    assert_eq!(counts.arms.len(), brief.arms.len(), "one count per arm");
    assert_eq!(
        counts.metrics.len(),
        1 + brief.secondary.len(),
        "one row set per metric"
    );
    assert!(
        counts.validate(&brief).is_empty(),
        "counts_from_csv returned counts its own validation refuses"
    );
    if let Ok(resp) = analyze(&brief, &counts) {
        check_analysis(&resp);
        check_decision(&brief, &resp);
    }
});
