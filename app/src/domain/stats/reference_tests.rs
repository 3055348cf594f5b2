//! Table tests against `reference.json`, whose expected values `scripts/stats_reference.py`
//! computed with gbstats, scipy and statsmodels (never from this code). Every numeric field of
//! every case is compared; see `reference_table` for the tolerance.

use super::distributions::{t_sf, t_upper_quantile};
use super::reference_table::{assert_no_failures, close, compare, table, Endpoint};
use super::*;

#[test]
fn sample_sizes_and_achieved_power_match_the_reference() {
    let cases = table().sample_size;
    assert!(cases.len() >= 15, "the table lost its sample-size cases");
    let mut failures = Vec::new();
    for case in cases {
        let got = sample_size(&case.request).map(|r| serde_json::to_value(r).expect("serialises"));
        match got {
            Ok(got) => compare(&case.name, &got, &case.response, &mut failures),
            Err(e) => failures.push(format!("{}: rejected: {e}", case.name)),
        }
        for point in case.power_at {
            let got = achieved_power(&case.request, point.n_per_arm);
            if !close(got, point.power) {
                failures.push(format!(
                    "{} power at {}: {got}, expected {}",
                    case.name, point.n_per_arm, point.power
                ));
            }
        }
    }
    assert_no_failures("sample size", failures);
}

#[test]
fn every_analyze_case_matches_the_reference_field_by_field() {
    let cases = table().analyze;
    assert!(cases.len() >= 60, "the table lost its analyze cases");
    let mut failures = Vec::new();
    for case in cases {
        match analyze(&case.request) {
            Ok(response) => {
                let got = serde_json::to_value(&response).expect("serialises");
                compare(&case.name, &got, &case.response, &mut failures);
            }
            Err(e) => failures.push(format!("{}: rejected: {e}", case.name)),
        }
    }
    assert_no_failures("analyze", failures);
}

#[test]
fn every_analyze_response_survives_a_json_round_trip() {
    for case in table().analyze {
        let response = analyze(&case.request).expect("valid request");
        let json = serde_json::to_string(&response).expect("serialises");
        let back: AnalyzeResponse = serde_json::from_str(&json).expect("deserialises");
        // serde_json may read a float back one ulp off, so compare through the tolerant walk.
        let mut failures = Vec::new();
        let again = serde_json::to_value(&back).expect("serialises");
        compare(
            &case.name,
            &again,
            &serde_json::to_value(&response).expect("serialises"),
            &mut failures,
        );
        assert_no_failures("round trip", failures);
    }
}

#[test]
fn srm_matches_the_reference() {
    let cases = table().srm;
    assert!(cases.len() >= 10, "the table lost its SRM cases");
    let mut failures = Vec::new();
    for case in cases {
        let threshold = Alpha::new(case.threshold).expect("valid threshold");
        let got =
            serde_json::to_value(srm(&case.users, &case.weights, threshold)).expect("serialises");
        compare(&case.name, &got, &case.srm, &mut failures);
    }
    assert_no_failures("srm", failures);
}

#[test]
fn corrections_match_statsmodels() {
    let cases = table().corrections;
    assert!(cases.len() >= 40, "the table lost its correction cases");
    let mut failures = Vec::new();
    for case in cases {
        let got =
            serde_json::to_value(adjust(&case.p_values, case.correction)).expect("serialises");
        let expected = serde_json::to_value(&case.adjusted).expect("serialises");
        compare(&case.name, &got, &expected, &mut failures);
    }
    assert_no_failures("correction", failures);
}

#[test]
fn student_t_matches_scipy_from_one_to_a_trillion_degrees_of_freedom() {
    let t = table().t_distribution;
    assert!(
        t.sf.len() >= 80 && t.quantile.len() >= 80,
        "the table lost its t cases"
    );
    let mut failures = Vec::new();
    for p in t.sf {
        let got = t_sf(p.x, p.dof);
        // Tail probabilities are compared relatively all the way down: a p-value of 1e-12 must
        // not pass merely for being within 1e-6 of zero.
        if (got - p.sf).abs() > 1e-4 * p.sf {
            failures.push(format!(
                "sf({}, dof {}): {got}, expected {}",
                p.x, p.dof, p.sf
            ));
        }
    }
    for q in t.quantile {
        let got = t_upper_quantile(1.0 - q.q, q.dof);
        if !close(got, q.quantile) {
            failures.push(format!(
                "quantile({}, dof {}): {got}, expected {}",
                q.q, q.dof, q.quantile
            ));
        }
    }
    assert_no_failures("t distribution", failures);
}

#[test]
fn bad_requests_are_rejected_naming_the_field() {
    let cases = table().invalid;
    assert!(cases.len() >= 30, "the table lost its invalid cases");
    let mut failures = Vec::new();
    for case in cases {
        let error = match case.endpoint {
            Endpoint::Analyze => serde_json::from_value::<AnalyzeRequest>(case.request)
                .map(|req| analyze(&req).err()),
            Endpoint::SampleSize => serde_json::from_value::<SampleSizeRequest>(case.request)
                .map(|req| sample_size(&req).err()),
        };
        match error {
            Ok(Some(e))
                if e.field == case.field
                    && e.to_string().starts_with(&format!("{}: ", case.field)) => {}
            Ok(Some(e)) => {
                failures.push(format!("{}: {e}, expected field {}", case.name, case.field))
            }
            Ok(None) => failures.push(format!("{}: accepted", case.name)),
            Err(e) => failures.push(format!("{}: did not parse: {e}", case.name)),
        }
    }
    assert_no_failures("invalid input", failures);
}

#[test]
fn the_error_message_reads_as_the_api_promises() {
    let req: AnalyzeRequest = serde_json::from_value(serde_json::json!({
        "arms": [{"name": "control", "users": 1000, "weight": 0.5}, {"name": "B", "users": 1000, "weight": 0.5}],
        "metrics": [{"name": "signup", "role": "primary", "kind": "proportion",
                     "values": {"control": {"conversions": 100}, "B": {"conversions": 1200}}}]
    }))
    .expect("parses");
    let message = analyze(&req).expect_err("conversions above n").to_string();
    assert_eq!(
        message,
        "metrics[0].values.B.conversions: 1200 conversions is more than n = 1000"
    );
    let bad_alpha = AnalyzeRequest { alpha: 1.5, ..req };
    assert_eq!(
        analyze(&bad_alpha).expect_err("alpha").to_string(),
        "alpha: must be between 0 and 1 (exclusive), got 1.5"
    );
}
