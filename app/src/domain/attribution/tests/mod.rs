//! Behaviour tests of the whole attributor: one file per theme, shared line builders here.

mod fidelity;
mod inputs;
mod metrics;
mod rules;
pub(crate) mod truth;

use super::{ArmCounts, Attributor, Config, ExposureConvention, Quantity, Report, ValueMetric};

pub(super) const T0: i64 = 1_714_521_600;
pub(super) const DAY: i64 = 86_400;

/// A Mixpanel export line; `extra` is appended to the properties (start it with a comma).
pub(super) fn event(name: &str, time: i64, user: &str, insert_id: &str, extra: &str) -> String {
    format!(
        r#"{{"event":"{name}","properties":{{"time":{time},"distinct_id":"{user}","$insert_id":"{insert_id}","$browser":"Chrome"{extra}}}}}"#
    )
}

pub(super) fn exposure(experiment: &str, arm: &str, time: i64, user: &str) -> String {
    let extra = format!(r#","Experiment name":"{experiment}","Variant name":"{arm}""#);
    event(
        "$experiment_started",
        time,
        user,
        &format!("x{time}{user}"),
        &extra,
    )
}

pub(super) fn purchase(time: i64, user: &str, insert_id: &str, amount: &str) -> String {
    event(
        "purchase_completed",
        time,
        user,
        insert_id,
        &format!(r#","amount":{amount}"#),
    )
}

pub(super) fn config(metrics: &[&str], values: &[&str]) -> Config {
    let mut config = Config::new(ExposureConvention::Mixpanel);
    config.metrics = metrics.iter().map(|m| m.to_string()).collect();
    config.values = values
        .iter()
        .map(|v| ValueMetric::parse(v).expect("valid value metric"))
        .collect();
    config
}

pub(super) fn run(config: Config, lines: &[String]) -> Report {
    let mut attributor = Attributor::new(config).expect("valid config");
    attributor.feed_chunk(lines.join("\n").as_bytes());
    attributor.finish().expect("attribution finishes")
}

pub(super) fn arm<'a>(report: &'a Report, experiment: &str, arm: &str) -> &'a ArmCounts {
    report
        .experiments
        .get(experiment)
        .and_then(|e| e.arms.get(arm))
        .unwrap_or_else(|| panic!("no arm {experiment}/{arm} in {report:#?}"))
}

/// An exact sum expressed in units of `10^-scale` (e.g. cents for 2).
pub(super) fn units_at(quantity: Quantity, scale: u32) -> i128 {
    match quantity {
        Quantity::Exact(d) if d.scale() <= scale => d.units() * 10i128.pow(scale - d.scale()),
        other => panic!("expected an exact sum at scale <= {scale}, got {other:?}"),
    }
}
