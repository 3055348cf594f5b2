//! The reference table (`reference.json`, written by `scripts/stats_reference.py` from gbstats,
//! scipy and statsmodels) as Rust types, and the tolerant comparison the tests apply to it:
//! |got - expected| <= 1e-6 or <= 1e-4 * |expected| for floats, integers exactly, nulls as nulls.

use serde::Deserialize;
use serde_json::Value;

use super::*;
use crate::domain::metric::Correction;

const TABLE: &str = include_str!("reference.json");

#[derive(Deserialize)]
pub(super) struct Table {
    pub(super) sample_size: Vec<SampleSizeCase>,
    pub(super) analyze: Vec<AnalyzeCase>,
    pub(super) srm: Vec<SrmCase>,
    pub(super) corrections: Vec<CorrectionCase>,
    pub(super) t_distribution: TDistribution,
    pub(super) invalid: Vec<InvalidCase>,
}

#[derive(Deserialize)]
pub(super) struct SampleSizeCase {
    pub(super) name: String,
    pub(super) request: SampleSizeRequest,
    pub(super) response: Value,
    pub(super) power_at: Vec<PowerPoint>,
}

#[derive(Deserialize)]
pub(super) struct PowerPoint {
    pub(super) n_per_arm: u64,
    pub(super) power: f64,
}

#[derive(Deserialize)]
pub(super) struct AnalyzeCase {
    pub(super) name: String,
    pub(super) request: AnalyzeRequest,
    pub(super) response: Value,
}

#[derive(Deserialize)]
pub(super) struct SrmCase {
    pub(super) name: String,
    pub(super) users: Vec<u64>,
    pub(super) weights: Vec<f64>,
    pub(super) threshold: f64,
    pub(super) srm: Value,
}

#[derive(Deserialize)]
pub(super) struct CorrectionCase {
    pub(super) name: String,
    pub(super) correction: Correction,
    pub(super) p_values: Vec<Option<f64>>,
    pub(super) adjusted: Vec<Option<f64>>,
}

#[derive(Deserialize)]
pub(super) struct TDistribution {
    pub(super) sf: Vec<TPoint>,
    pub(super) quantile: Vec<TQuantile>,
}

#[derive(Deserialize)]
pub(super) struct TPoint {
    pub(super) dof: f64,
    pub(super) x: f64,
    pub(super) sf: f64,
}

#[derive(Deserialize)]
pub(super) struct TQuantile {
    pub(super) dof: f64,
    pub(super) q: f64,
    pub(super) quantile: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Endpoint {
    Analyze,
    SampleSize,
}

#[derive(Deserialize)]
pub(super) struct InvalidCase {
    pub(super) name: String,
    pub(super) endpoint: Endpoint,
    pub(super) request: Value,
    pub(super) field: String,
}

pub(super) fn table() -> Table {
    serde_json::from_str(TABLE).expect("reference.json parses")
}

pub(super) fn close(got: f64, expected: f64) -> bool {
    let d = (got - expected).abs();
    d <= 1e-6 || d <= 1e-4 * expected.abs()
}

/// Compares a response with the expected JSON, field by field, collecting every mismatch. The
/// table writes a no-result reason as its code; the response as its sentence.
pub(super) fn compare(path: &str, got: &Value, expected: &Value, out: &mut Vec<String>) {
    match (got, expected) {
        (Value::Object(g), Value::Object(e)) => {
            let (mut gk, mut ek): (Vec<_>, Vec<_>) = (g.keys().collect(), e.keys().collect());
            gk.sort();
            ek.sort();
            if gk != ek {
                out.push(format!("{path}: keys {gk:?}, expected {ek:?}"));
                return;
            }
            for (k, ev) in e {
                let p = format!("{path}.{k}");
                match (k.as_str(), &g[k], ev) {
                    ("error", Value::String(sentence), Value::String(code)) if sentence != code => {
                        match sentence.parse::<NoResult>() {
                            Ok(reason) if reason.code() == code => {}
                            _ => out.push(format!("{p}: {sentence:?}, expected reason {code}")),
                        }
                    }
                    (_, gv, ev) => compare(&p, gv, ev, out),
                }
            }
        }
        (Value::Array(g), Value::Array(e)) if g.len() == e.len() => {
            for (i, (gv, ev)) in g.iter().zip(e).enumerate() {
                compare(&format!("{path}[{i}]"), gv, ev, out);
            }
        }
        (Value::Number(g), Value::Number(e)) => {
            let ok = match (g.as_u64(), e.as_u64()) {
                (Some(g), Some(e)) => g == e,
                _ => close(
                    g.as_f64().unwrap_or(f64::NAN),
                    e.as_f64().unwrap_or(f64::NAN),
                ),
            };
            if !ok {
                out.push(format!("{path}: {g}, expected {e}"));
            }
        }
        (g, e) if g == e => {}
        (g, e) => out.push(format!("{path}: {g}, expected {e}")),
    }
}

pub(super) fn assert_no_failures(family: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} {family} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
