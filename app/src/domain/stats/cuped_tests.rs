//! Sections 8 and 9 against STATISTICS.md's worked checks (gbstats 0.8.0's numbers), through
//! the request as the API receives it.

use serde_json::json;

use super::*;

/// STATISTICS.md's rule: |got - exp| <= 1e-6 or <= 1e-4 * |exp|.
fn close(got: Option<f64>, expected: f64) {
    let got = got.unwrap_or_else(|| panic!("expected {expected}, got null"));
    assert!(
        (got - expected).abs() <= 1e-6 || (got - expected).abs() <= 1e-4 * expected.abs(),
        "got {got}, expected {expected}"
    );
}

fn analyze_json(request: serde_json::Value) -> Result<AnalyzeResponse, StatsInputError> {
    let request: AnalyzeRequest = serde_json::from_value(request).expect("a valid request shape");
    analyze(&request)
}

fn two_arms(users: u64) -> serde_json::Value {
    json!([{"name": "control", "users": users}, {"name": "B", "users": users}])
}

fn comparison(response: &AnalyzeResponse) -> &Comparison {
    &response.metrics[0].comparisons[0]
}

#[test]
fn a_ratio_metric_matches_the_worked_check() {
    let response = analyze_json(json!({
        "arms": two_arms(30),
        "metrics": [{"name": "clicks_per_session", "role": "primary", "kind": "ratio",
            "values": {
                "control": {"numerator_sum": 79, "numerator_sum_squares": 309, "denominator_sum": 70,
                            "denominator_sum_squares": 236, "cross_sum": 251},
                "B": {"n": 30, "numerator_sum": 140, "numerator_sum_squares": 962, "denominator_sum": 103,
                      "denominator_sum_squares": 425, "cross_sum": 579}}}]
    }))
    .expect("valid");
    let arms = &response.metrics[0].arms;
    close(arms[0].mean, 1.1285714);
    close(arms[0].variance, 0.27262261);
    close(arms[1].mean, 1.3592233);
    close(arms[1].variance, 0.50666685);
    let c = comparison(&response);
    let e = c.estimate().expect("a result");
    close(Some(e.lift_relative), 0.20437508);
    close(e.p_value(), 0.1891562);
    close(Some(e.ci_low), -0.1037861);
    close(Some(e.ci_high), 0.5125363);
    close(Some(e.diff_absolute), 0.23065187);
    assert_eq!(c.cuped, None, "theta and pre_period are null for a ratio");
}

#[test]
fn a_ratio_with_a_zero_control_denominator_has_no_result_and_no_shown_mean() {
    let response = analyze_json(json!({
        "arms": two_arms(30),
        "metrics": [{"name": "r", "role": "primary", "kind": "ratio",
            "values": {
                "control": {"numerator_sum": 0, "numerator_sum_squares": 0, "denominator_sum": 0,
                            "denominator_sum_squares": 0, "cross_sum": 0},
                "B": {"numerator_sum": 140, "numerator_sum_squares": 962, "denominator_sum": 103,
                      "denominator_sum_squares": 425, "cross_sum": 579}}}]
    }))
    .expect("valid");
    assert_eq!(response.metrics[0].arms[0].mean, None);
    assert_eq!(
        comparison(&response).no_result(),
        Some(NoResult::ZeroBaseline(
            crate::domain::metric::MetricKind::Ratio
        ))
    );
}

fn cuped_mean(engine: &str) -> AnalyzeResponse {
    analyze_json(json!({
        "engine": engine,
        "arms": two_arms(40),
        "metrics": [{"name": "revenue", "role": "primary", "kind": "mean",
            "values": {
                "control": {"n": 40, "sum": 372.4, "sum_squares": 4498.16,
                            "covariate": {"sum": 374.4, "sum_squares": 4474.04, "cross_sum": 4399.36}},
                "B": {"n": 40, "sum": 398.6, "sum_squares": 4636.76,
                      "covariate": {"sum": 362.6, "sum_squares": 3799.02, "cross_sum": 4134.17}}}}]
    }))
    .expect("valid")
}

#[test]
fn cuped_on_a_mean_metric_matches_the_worked_check_with_its_pre_period_check() {
    let response = cuped_mean("frequentist");
    let c = comparison(&response);
    let cuped = c.cuped.expect("covariates on every arm");
    close(Some(cuped.theta), 0.96443757);
    close(cuped.pre_period.lift_relative, -0.03151709);
    close(cuped.pre_period.p_value, 0.7581996);
    let e = c.estimate().expect("a result");
    close(Some(e.lift_relative), 0.10091397);
    close(e.p_value(), 0.0450668);
    close(Some(e.ci_low), 0.0022757);
    close(Some(e.ci_high), 0.1995522);
    close(Some(e.diff_absolute), 0.93950908);
    // The arms stay the unadjusted post-period numbers.
    close(response.metrics[0].arms[0].mean, 372.4 / 40.0);
}

#[test]
fn cuped_runs_in_the_sequential_and_bayesian_engines_on_the_same_adjusted_lift() {
    let fixed = cuped_mean("frequentist");
    let lift = comparison(&fixed).estimate().expect("result").lift_relative;
    for engine in ["sequential", "bayesian"] {
        let response = cuped_mean(engine);
        let c = comparison(&response);
        let e = c.estimate().expect("a result");
        // Flat prior and the always-valid sequence both centre on the adjusted L.
        close(Some(e.lift_relative), lift);
        close(c.cuped.map(|c| c.theta), 0.96443757);
        close(c.cuped.and_then(|c| c.pre_period.p_value), 0.7581996);
    }
}

#[test]
fn cuped_on_a_proportion_matches_the_worked_check() {
    let response = analyze_json(json!({
        "arms": two_arms(60),
        "metrics": [{"name": "signup", "role": "primary", "kind": "proportion",
            "values": {
                "control": {"conversions": 17, "covariate": {"sum": 17, "sum_squares": 17, "cross_sum": 7}},
                "B": {"conversions": 26, "covariate": {"sum": 22, "sum_squares": 22, "cross_sum": 15}}}}]
    }))
    .expect("valid");
    let c = comparison(&response);
    let cuped = c.cuped.expect("covariates");
    close(Some(cuped.theta), 0.30740501);
    let e = c.estimate().expect("a result");
    close(Some(e.lift_relative), 0.43899853);
    close(e.p_value(), 0.2440338);
    close(cuped.pre_period.lift_relative, 0.29411765);
    close(cuped.pre_period.p_value, 0.3991996);
}

#[test]
fn a_constant_covariate_falls_back_to_theta_zero_and_the_plain_analysis() {
    let request = |covariate: bool| {
        let cov = |on: bool| {
            if on {
                json!({"sum": 40, "sum_squares": 40, "cross_sum": 372.4})
            } else {
                json!(null)
            }
        };
        let mut values = json!({
            "control": {"n": 40, "sum": 372.4, "sum_squares": 4498.16},
            "B": {"n": 40, "sum": 398.6, "sum_squares": 4636.76}});
        if covariate {
            values["control"]["covariate"] = cov(true);
            values["B"]["covariate"] = json!({"sum": 40, "sum_squares": 40, "cross_sum": 398.6});
        }
        json!({"arms": two_arms(40), "metrics": [{"name": "revenue", "role": "primary", "kind": "mean", "values": values}]})
    };
    let plain = analyze_json(request(false)).expect("valid");
    let constant = analyze_json(request(true)).expect("valid");
    let c = comparison(&constant);
    assert_eq!(c.cuped.map(|c| c.theta), Some(0.0));
    assert_eq!(
        c.cuped.map(|c| c.pre_period.p_value),
        Some(None),
        "no spread, no pre-period test"
    );
    let (a, b) = (
        comparison(&plain).estimate().expect("result"),
        c.estimate().expect("result"),
    );
    close(Some(b.lift_relative), a.lift_relative);
    close(b.p_value(), a.p_value().expect("p"));
}

#[test]
fn a_covariate_on_some_arms_only_is_a_400_naming_the_arm() {
    let error = analyze_json(json!({
        "arms": two_arms(40),
        "metrics": [{"name": "revenue", "role": "primary", "kind": "mean",
            "values": {
                "control": {"n": 40, "sum": 372.4, "sum_squares": 4498.16,
                            "covariate": {"sum": 374.4, "sum_squares": 4474.04, "cross_sum": 4399.36}},
                "B": {"n": 40, "sum": 398.6, "sum_squares": 4636.76}}}]
    }))
    .expect_err("partial covariates");
    assert!(
        error.to_string().contains("metrics[0].values.B.covariate"),
        "{error}"
    );
    let shape: Result<AnalyzeRequest, _> = serde_json::from_value(json!({
        "arms": two_arms(30),
        "metrics": [{"name": "r", "role": "primary", "kind": "ratio", "values": {
            "control": {"numerator_sum": 1, "numerator_sum_squares": 1, "denominator_sum": 1,
                        "denominator_sum_squares": 1, "cross_sum": 1, "covariate": {"sum": 1, "sum_squares": 1, "cross_sum": 1}},
            "B": {"numerator_sum": 1, "numerator_sum_squares": 1, "denominator_sum": 1,
                  "denominator_sum_squares": 1, "cross_sum": 1}}}]
    }));
    assert!(shape.is_err(), "a ratio cannot carry a covariate");
    let above = analyze_json(json!({
        "arms": two_arms(60),
        "metrics": [{"name": "signup", "role": "primary", "kind": "proportion",
            "values": {
                "control": {"conversions": 17, "covariate": {"sum": 61, "sum_squares": 61, "cross_sum": 7}},
                "B": {"conversions": 26, "covariate": {"sum": 22, "sum_squares": 22, "cross_sum": 15}}}}]
    }))
    .expect_err("more pre-period converters than users");
    assert!(
        above.to_string().contains("control.covariate.sum"),
        "{above}"
    );
}

#[test]
fn theta_and_pre_period_round_trip_through_the_wire_shape() {
    let response = cuped_mean("frequentist");
    let json = serde_json::to_value(&response).expect("serializes");
    let wire = &json["metrics"][0]["comparisons"][0];
    assert!(wire["theta"].is_f64());
    assert!(wire["pre_period"]["p_value"].is_f64());
    let back: AnalyzeResponse = serde_json::from_value(json).expect("reads back");
    assert_eq!(back, response);
    let plain = analyze_json(json!({"arms": two_arms(100), "metrics": [{"name": "s", "role": "primary",
        "kind": "proportion", "values": {"control": {"conversions": 10}, "B": {"conversions": 12}}}]}))
    .expect("valid");
    let wire = serde_json::to_value(&plain).expect("serializes");
    assert!(wire["metrics"][0]["comparisons"][0]["theta"].is_null());
    assert!(wire["metrics"][0]["comparisons"][0]["pre_period"].is_null());
}
