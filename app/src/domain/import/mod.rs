//! Turning what arrives from outside (an attributed event export, or a CSV of aggregates) into
//! the `Counts` a brief is analysed on. Pure: the server streams, this decides.

use chrono::{NaiveDate, NaiveTime};

use std::collections::BTreeMap;

mod aggregates;

pub use aggregates::counts_from_csv;

use super::attribution::{
    ArmCounts, Cap, CapAt, Config, ConfigError, Decimal, Ratio, Report, Retention, TimeRange,
    ValueMetric, Window,
};
use super::brief::{Brief, MetricSpec, ValueCap};
use super::metric::Measure;
use super::results::{ArmCount, Counts, MetricCounts, Observed, SegmentCounts};
use super::stats::CovariateInput;

/// The attribution settings for one experiment: its key, its exposure convention, the brief's
/// metric events and value properties, its window, and the run's dates when known.
pub fn attribution_config(
    brief: &Brief,
    key: &str,
    run: Option<(NaiveDate, NaiveDate)>,
) -> Result<Config, ConfigError> {
    let mut config = Config::new(brief.exposure.convention());
    config.experiments = vec![key.to_owned()];
    if let Some(flag) = brief.exposure.flag_key() {
        config.flag_keys = vec![(key.to_owned(), flag.to_owned())];
    }
    for m in metrics(brief) {
        let source = MetricSource::of(m)?;
        // A capped spec must be one of the values; a capped ratio numerator is then capped
        // inside the ratio too.
        let capped = match (&source, m.cap.filter(|_| m.kind.can_cap())) {
            (MetricSource::Value(v), Some(cap)) => Some((v.clone(), cap)),
            (MetricSource::Ratio(r), Some(cap)) => Some((r.numerator.clone(), cap)),
            _ => None,
        };
        if let Some((metric, cap)) = capped {
            config.values.push(metric.clone());
            config.caps.push(Cap {
                metric,
                at: cap_at(cap)?,
            });
        }
        match source {
            MetricSource::Converted(event) => config.metrics.push(event),
            MetricSource::Value(v) => config.values.push(v),
            MetricSource::Retained(r) => config.retention.push(r),
            MetricSource::Ratio(r) => config.ratios.push(r),
        }
    }
    config.metrics.sort();
    config.metrics.dedup();
    dedup(&mut config.values);
    dedup(&mut config.retention);
    dedup(&mut config.ratios);
    config.caps.dedup_by(|a, b| a.metric == b.metric);
    if brief.cuped.enabled {
        config.pre_days = Some(brief.cuped.lookback_days);
    }
    config.segments = brief.segments.clone();
    config.window = Window::days(brief.window_days)?;
    if let Some((from, to)) = run {
        let start = from.and_time(NaiveTime::MIN).and_utc().timestamp();
        let end = to
            .succ_opt()
            .unwrap_or(to)
            .and_time(NaiveTime::MIN)
            .and_utc()
            .timestamp();
        config.run = Some(TimeRange::new(start, end)?);
    }
    Ok(config)
}

fn dedup<T: PartialEq + Clone>(items: &mut Vec<T>) {
    let mut kept: Vec<T> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        if !kept.contains(&item) {
            kept.push(item);
        }
    }
    *items = kept;
}

fn cap_at(cap: ValueCap) -> Result<CapAt, ConfigError> {
    let bad = || ConfigError::BadCap(cap.to_string());
    match cap {
        ValueCap::Percentile(p) => {
            let nn = Decimal::parse(&p.to_string()).ok_or_else(bad)?;
            if !(p > 0.0 && p <= 100.0) {
                return Err(bad());
            }
            Ok(CapAt::Percentile(nn))
        }
        ValueCap::Fixed(x) => Ok(CapAt::Fixed(
            Decimal::parse(&x.to_string()).ok_or_else(bad)?,
        )),
    }
}

/// Where a brief metric's numbers come from in an attribution report.
enum MetricSource {
    /// `converted[EVENT]`.
    Converted(String),
    /// `values["EVENT.PROPERTY"]` or `values["EVENT.#count"]`.
    Value(ValueMetric),
    /// `retained["EVENT:N"]`.
    Retained(Retention),
    /// `ratios["A/B"]`.
    Ratio(Ratio),
}

impl MetricSource {
    fn of(m: &MetricSpec) -> Result<Self, ConfigError> {
        let value = |event: &str, property: &str| {
            if property.trim().is_empty() {
                ValueMetric::count(event)
            } else {
                ValueMetric::new(event, property)
            }
        };
        Ok(match m.kind {
            Measure::Proportion => Self::Converted(m.event.clone()),
            Measure::Mean => Self::Value(ValueMetric::new(&m.event, &m.value_property)?),
            Measure::Count => Self::Value(ValueMetric::count(&m.event)?),
            Measure::Retention => Self::Retained(Retention::parse(&format!(
                "{}:{}",
                m.event, m.retention_day
            ))?),
            Measure::Ratio => {
                let numerator = value(&m.event, &m.value_property)?;
                let denominator = value(&m.denominator_event, &m.denominator_property)?;
                let spec = format!(
                    "{}:{}/{}:{}",
                    numerator.event(),
                    numerator.property(),
                    denominator.event(),
                    denominator.property()
                );
                Self::Ratio(Ratio {
                    numerator,
                    denominator,
                    spec,
                })
            }
        })
    }

    /// The report key of the metric's pre-period covariate (none for retention and ratios).
    fn covariate_key(&self) -> Option<String> {
        match self {
            Self::Converted(event) => Some(event.clone()),
            Self::Value(v) => Some(v.to_string()),
            Self::Retained(_) | Self::Ratio(_) => None,
        }
    }
}

pub(super) fn metrics(brief: &Brief) -> impl Iterator<Item = &MetricSpec> {
    std::iter::once(&brief.primary).chain(brief.secondary.iter())
}

/// Why an attribution report cannot become the brief's counts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the export has no exposure events for experiment '{key}' ({exposure})")]
    NoExposures { key: String, exposure: &'static str },
    #[error(
        "the export names arms the brief does not have: {} (the brief's arms: {})",
        unknown.join(", "),
        brief_arms.join(", ")
    )]
    UnknownArms {
        unknown: Vec<String>,
        brief_arms: Vec<String>,
    },
    #[error("metric '{metric}' cannot be attributed: {problem}")]
    Metric { metric: String, problem: String },
}

/// The brief's counts for experiment `key` out of an attribution report. Arms the export never
/// mentions count 0 users (an arm that got no traffic is itself a finding: SRM will say so).
pub fn counts_from_report(
    brief: &Brief,
    key: &str,
    report: &Report,
) -> Result<Counts, ReportError> {
    let exp = report
        .experiments
        .get(key)
        .ok_or_else(|| ReportError::NoExposures {
            key: key.to_owned(),
            exposure: brief.exposure.label(),
        })?;
    let arms = arm_counts(brief, &exp.arms);
    let unknown: Vec<String> = exp
        .arms
        .keys()
        .filter(|k| !brief.arms.iter().any(|a| &a.name == *k))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(ReportError::UnknownArms {
            unknown,
            brief_arms: brief.arm_names(),
        });
    }
    let metrics = metrics_of(brief, &exp.arms)?;
    let segments = exp
        .segments
        .iter()
        .flat_map(|(property, values)| {
            values
                .iter()
                .map(move |(value, seg_arms)| (property, value, seg_arms))
        })
        .map(|(property, value, seg_arms)| {
            Ok(SegmentCounts {
                property: property.clone(),
                value: value.clone(),
                arms: arm_counts(brief, seg_arms),
                metrics: metrics_of(brief, seg_arms)?,
            })
        })
        .collect::<Result<Vec<_>, ReportError>>()?;
    Ok(Counts {
        arms,
        metrics,
        multi_arm_users: exp.multi_arm_users,
        incomplete_windows: exp.incomplete_windows,
        segments,
    })
}

fn arm_counts(brief: &Brief, arms: &BTreeMap<String, ArmCounts>) -> Vec<ArmCount> {
    brief
        .arms
        .iter()
        .map(|a| ArmCount {
            name: a.name.clone(),
            users: arms.get(&a.name).map_or(0, |c| c.exposed),
        })
        .collect()
}

/// Every brief metric's per-arm values (and pre-period covariates, when counted) out of the
/// report's arms, in the brief's order.
fn metrics_of(
    brief: &Brief,
    arms: &BTreeMap<String, ArmCounts>,
) -> Result<Vec<MetricCounts>, ReportError> {
    metrics(brief)
        .map(|m| {
            let source = MetricSource::of(m).map_err(|e| ReportError::Metric {
                metric: m.name.clone(),
                problem: e.to_string(),
            })?;
            let per_arm: Vec<Option<&ArmCounts>> =
                brief.arms.iter().map(|a| arms.get(&a.name)).collect();
            let values = per_arm.iter().map(|arm| observed(&source, *arm)).collect();
            let covariates = match source.covariate_key() {
                Some(key) if per_arm.iter().flatten().any(|a| !a.covariates.is_empty()) => per_arm
                    .iter()
                    .map(|arm| {
                        arm.and_then(|a| a.covariates.get(&key)).map_or(
                            CovariateInput {
                                sum: 0.0,
                                sum_squares: 0.0,
                                cross_sum: 0.0,
                            },
                            |c| CovariateInput {
                                sum: c.sum.to_f64(),
                                sum_squares: c.sum_squares.to_f64(),
                                cross_sum: c.cross_sum.to_f64(),
                            },
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Ok(MetricCounts {
                metric: m.name.clone(),
                values,
                covariates,
            })
        })
        .collect()
}

/// One arm's value of one metric; an arm the export never mentions counted nothing.
fn observed(source: &MetricSource, arm: Option<&ArmCounts>) -> Observed {
    let exposed = arm.map_or(0, |c| c.exposed);
    match source {
        MetricSource::Converted(event) => Observed::Proportion {
            conversions: arm
                .and_then(|c| c.converted.get(event))
                .copied()
                .unwrap_or(0),
        },
        MetricSource::Retained(r) => Observed::Proportion {
            conversions: arm
                .and_then(|c| c.retained.get(&r.spec))
                .copied()
                .unwrap_or(0),
        },
        MetricSource::Value(v) => match arm.and_then(|c| c.values.get(&v.to_string())) {
            Some(v) => Observed::Mean {
                n: v.n,
                sum: v.sum.to_f64(),
                sum_squares: v.sum_squares.to_f64(),
            },
            None => Observed::Mean {
                n: exposed,
                sum: 0.0,
                sum_squares: 0.0,
            },
        },
        MetricSource::Ratio(r) => match arm.and_then(|c| c.ratios.get(&r.spec)) {
            Some(s) => Observed::Ratio {
                numerator_sum: s.numerator_sum.to_f64(),
                numerator_sum_squares: s.numerator_sum_squares.to_f64(),
                denominator_sum: s.denominator_sum.to_f64(),
                denominator_sum_squares: s.denominator_sum_squares.to_f64(),
                cross_sum: s.cross_sum.to_f64(),
            },
            None => Observed::Ratio {
                numerator_sum: 0.0,
                numerator_sum_squares: 0.0,
                denominator_sum: 0.0,
                denominator_sum_squares: 0.0,
                cross_sum: 0.0,
            },
        },
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
