//! What every fuzz target shares: the brief uploads are checked against, and the invariants an
//! analysis must satisfy whenever it comes back Ok. A violated invariant panics, which libFuzzer
//! reports as a crash with the input that caused it.

use app::domain::brief::{Arm, Brief, DecisionRule, MetricSpec};
use app::domain::decision::decide;
use app::domain::metric::{Correction, Direction, Engine, MetricKind};
use app::domain::stats::{AnalyzeResponse, Evidence, SrmStatus};

/// The experiment key uploads are attributed to; short so the fuzzer finds it in a few steps.
pub const KEY: &str = "exp";

/// A three-arm brief with a conversion primary, a mean guardrail and a conversion guardrail:
/// every CSV column and every attribution rule is reachable from it.
pub fn brief(engine: Engine) -> Brief {
    let metric = |name: &str, kind, direction| MetricSpec {
        name: name.into(),
        event: format!("{name}_ev"),
        kind,
        direction,
        value_property: if kind == MetricKind::Mean {
            "amount".into()
        } else {
            String::new()
        },
    };
    Brief {
        primary: metric("buy", MetricKind::Proportion, Direction::Increase),
        secondary: vec![
            metric("rev", MetricKind::Mean, Direction::Increase),
            metric("refund", MetricKind::Proportion, Direction::Decrease),
        ],
        baseline_rate: Some(0.1),
        mde: Some(0.05),
        arms: ["a", "b", "c"]
            .into_iter()
            .map(|name| Arm {
                name: name.into(),
                weight: 1.0 / 3.0,
            })
            .collect(),
        rule: DecisionRule {
            min_lift: Some(0.01),
            max_guardrail_drop: Some(0.01),
            engine,
            correction: Correction::Holm,
        },
        ..Brief::default()
    }
}

/// The engine a fuzz input picks with one byte.
pub fn engine(byte: u8) -> Engine {
    match byte % 3 {
        0 => Engine::Frequentist,
        1 => Engine::Sequential,
        _ => Engine::Bayesian,
    }
}

fn probability(what: &str, p: f64) {
    assert!(
        (0.0..=1.0).contains(&p),
        "{what} = {p} is not a probability in [0, 1]"
    );
}

fn finite(what: &str, v: f64) {
    assert!(
        v.is_finite(),
        "{what} = {v} is reported as a number but is not finite"
    );
}

/// What must hold for any analysis the engine returns Ok: every number it reports is a real
/// number (serde_json would silently turn NaN or infinity into null), probabilities are in
/// [0, 1], intervals are ordered, and the response survives the JSON round trip the browser
/// makes.
pub fn check_analysis(resp: &AnalyzeResponse) {
    probability("srm.p_value", resp.srm.p_value);
    if let Some(chi2) = resp.srm.chi2 {
        finite("srm.chi2", chi2);
        assert!(chi2 >= 0.0, "srm.chi2 = {chi2} is negative");
    }
    if resp.srm.status == SrmStatus::Unhealthy {
        assert!(
            resp.srm.chi2.is_some(),
            "an unhealthy SRM without a statistic"
        );
    }
    for m in &resp.metrics {
        for arm in &m.arms {
            if let Some(mean) = arm.mean {
                finite(&format!("{}.{}.mean", m.name, arm.name), mean);
            }
            if let Some(var) = arm.variance {
                finite(&format!("{}.{}.variance", m.name, arm.name), var);
            }
        }
        assert_eq!(
            m.comparisons.len() + 1,
            m.arms.len(),
            "{}: one comparison per treatment",
            m.name
        );
        for c in &m.comparisons {
            let Some(e) = c.estimate() else { continue };
            let at = |field: &str| format!("{}.{}.{field}", m.name, c.arm);
            finite(&at("lift_relative"), e.lift_relative);
            finite(&at("ci_low"), e.ci_low);
            finite(&at("ci_high"), e.ci_high);
            finite(&at("diff_absolute"), e.diff_absolute);
            assert!(
                e.ci_low <= e.ci_high,
                "{}: interval [{}, {}] is upside down",
                at("ci"),
                e.ci_low,
                e.ci_high
            );
            if let Some((low, high)) = e.diff_ci {
                finite(&at("diff_ci_low"), low);
                finite(&at("diff_ci_high"), high);
                assert!(low <= high, "{}: [{low}, {high}]", at("diff_ci"));
            }
            match e.evidence {
                Evidence::PValue { raw, adjusted } => {
                    probability(&at("p_value"), raw);
                    probability(&at("p_value_adjusted"), adjusted);
                    assert!(
                        adjusted >= raw,
                        "{}: adjusted p {adjusted} below raw p {raw}",
                        at("p_value_adjusted")
                    );
                }
                Evidence::Posterior {
                    chance_to_win,
                    risk_control,
                    risk_treatment,
                } => {
                    probability(&at("chance_to_win"), chance_to_win);
                    finite(&at("risk_control"), risk_control);
                    finite(&at("risk_treatment"), risk_treatment);
                    assert!(risk_control >= 0.0, "{} negative", at("risk_control"));
                    assert!(risk_treatment >= 0.0, "{} negative", at("risk_treatment"));
                }
            }
        }
    }
    let json = serde_json::to_value(resp).expect("an analysis serialises");
    let back: AnalyzeResponse = serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("the browser cannot read the analysis back: {e}\n{json}"));
    // serde_json's default float parser may be one ulp off (exact parsing is its opt-in
    // `float_roundtrip` feature), so numbers are compared to 1e-12 relative, the rest exactly.
    let again = serde_json::to_value(&back).expect("an analysis serialises");
    same_json("$", &json, &again);
}

fn same_json(at: &str, a: &serde_json::Value, b: &serde_json::Value) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(y.abs()) + f64::MIN_POSITIVE,
                "{at}: {x} became {y} in the JSON round trip"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(
                x.len(),
                y.len(),
                "{at}: length changed in the JSON round trip"
            );
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                same_json(&format!("{at}[{i}]"), x, y);
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{at}: fields changed in the JSON round trip"
            );
            for (k, x) in x {
                same_json(&format!("{at}.{k}"), x, &y[k]);
            }
        }
        _ => assert_eq!(a, b, "{at} changed in the JSON round trip"),
    }
}

/// The decision rule on an analysis must not panic either, whatever the counts were.
pub fn check_decision(brief: &Brief, resp: &AnalyzeResponse) {
    let _ = decide(brief, resp, Some(1000), today());
    let _ = decide(brief, resp, None, today());
}

/// A fixed "today", so a crash reproduces on any day.
fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("a valid date")
}
