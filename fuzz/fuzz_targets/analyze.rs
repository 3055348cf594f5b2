//! `POST /api/v1/stats/analyze`: arbitrary bytes as the JSON body, through serde and `analyze`,
//! as `server/src/api_v1.rs` does. Bad input must be an Err (a 400), never a panic; an Ok
//! answer must hold only real numbers, probabilities in [0, 1] and ordered intervals.
#![no_main]

use app::domain::stats::{analyze, AnalyzeRequest};
use libfuzzer_sys::fuzz_target;
use verdict_fuzz::check_analysis;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<AnalyzeRequest>(data) else {
        return;
    };
    if let Ok(resp) = analyze(&request) {
        assert_eq!(
            resp.metrics.len(),
            request.metrics.len(),
            "one result per metric"
        );
        check_analysis(&resp);
    }
});
