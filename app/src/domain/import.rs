//! Turning what arrives from outside (an attributed event export, or a CSV of aggregates) into
//! the `Counts` a brief is analysed on. Pure: the server streams, this decides.

use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;

use super::attribution::{Config, ConfigError, Report, TimeRange, ValueMetric, Window};
use super::brief::{Brief, MetricSpec};
use super::experiment::FieldError;
use super::metric::MetricKind;
use super::results::{ArmCount, Counts, MetricCounts, Observed};

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
        match m.kind {
            MetricKind::Proportion => config.metrics.push(m.event.clone()),
            MetricKind::Mean => config
                .values
                .push(ValueMetric::new(&m.event, &m.value_property)?),
            MetricKind::Ratio => return Err(ConfigError::RatioInBrief(m.name.clone())),
        }
    }
    config.metrics.sort();
    config.metrics.dedup();
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

fn metrics(brief: &Brief) -> impl Iterator<Item = &MetricSpec> {
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
    let arms: Vec<ArmCount> = brief
        .arms
        .iter()
        .map(|a| ArmCount {
            name: a.name.clone(),
            users: exp.arms.get(&a.name).map_or(0, |c| c.exposed),
        })
        .collect();
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
    let metrics = metrics(brief)
        .map(|m| MetricCounts {
            metric: m.name.clone(),
            values: brief
                .arms
                .iter()
                .map(|a| {
                    let arm = exp.arms.get(&a.name);
                    match m.kind {
                        MetricKind::Proportion => Observed::Proportion {
                            conversions: arm
                                .and_then(|c| c.converted.get(&m.event))
                                .copied()
                                .unwrap_or(0),
                        },
                        MetricKind::Mean | MetricKind::Ratio => {
                            let key = format!("{}.{}", m.event, m.value_property);
                            match arm.and_then(|c| c.values.get(&key)) {
                                Some(v) => Observed::Mean {
                                    n: v.n,
                                    sum: v.sum.to_f64(),
                                    sum_squares: v.sum_squares.to_f64(),
                                },
                                None => Observed::Mean {
                                    n: arm.map_or(0, |c| c.exposed),
                                    sum: 0.0,
                                    sum_squares: 0.0,
                                },
                            }
                        }
                    }
                })
                .collect(),
        })
        .collect();
    Ok(Counts {
        arms,
        metrics,
        multi_arm_users: exp.multi_arm_users,
        incomplete_windows: exp.incomplete_windows,
    })
}

#[derive(Debug, Deserialize)]
struct CsvRow {
    arm: String,
    users: u64,
    metric: String,
    conversions: Option<u64>,
    sum: Option<f64>,
    sum_squares: Option<f64>,
}

/// Reads a CSV of aggregates with the header `arm,users,metric,conversions,sum,sum_squares`
/// (one row per arm and metric; conversions for proportion metrics, sum and sum_squares for
/// means). Every problem names its line.
pub fn counts_from_csv(brief: &Brief, text: &str) -> Result<Counts, Vec<FieldError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    for (i, record) in reader.deserialize::<CsvRow>().enumerate() {
        let line = i + 2; // the header is line 1
        match record {
            Ok(r) => rows.push((line, r)),
            Err(e) => errors.push(FieldError::new(format!("line {line}"), csv_message(&e))),
        }
    }
    let mut arms: Vec<ArmCount> = brief
        .arms
        .iter()
        .map(|a| ArmCount {
            name: a.name.clone(),
            users: 0,
        })
        .collect();
    let mut seen = vec![false; arms.len()];
    let mut values: Vec<Vec<Option<Observed>>> =
        metrics(brief).map(|_| vec![None; arms.len()]).collect();
    for (line, r) in &rows {
        let at = format!("line {line}");
        let Some(ai) = arms.iter().position(|a| a.name == r.arm) else {
            errors.push(FieldError::new(
                at,
                format!(
                    "unknown arm '{}' (the brief's arms: {})",
                    r.arm,
                    brief.arm_names().join(", ")
                ),
            ));
            continue;
        };
        if seen[ai] && arms[ai].users != r.users {
            errors.push(FieldError::new(
                at.clone(),
                format!(
                    "arm '{}' has {} users here but {} on an earlier line",
                    r.arm, r.users, arms[ai].users
                ),
            ));
        }
        arms[ai].users = r.users;
        seen[ai] = true;
        let Some((mi, spec)) = metrics(brief)
            .enumerate()
            .find(|(_, m)| m.name == r.metric || m.event == r.metric)
        else {
            errors.push(FieldError::new(
                at,
                format!("unknown metric '{}'", r.metric),
            ));
            continue;
        };
        let value = match (spec.kind, r.conversions, r.sum, r.sum_squares) {
            (MetricKind::Proportion, Some(c), _, _) => Observed::Proportion { conversions: c },
            (MetricKind::Mean | MetricKind::Ratio, _, Some(sum), Some(sq)) => Observed::Mean {
                n: r.users,
                sum,
                sum_squares: sq,
            },
            (MetricKind::Proportion, ..) => {
                errors.push(FieldError::new(
                    at,
                    format!(
                        "'{}' is a conversion metric: fill the conversions column",
                        spec.name
                    ),
                ));
                continue;
            }
            (MetricKind::Mean | MetricKind::Ratio, ..) => {
                errors.push(FieldError::new(
                    at,
                    format!("'{}' is a mean metric: fill sum and sum_squares", spec.name),
                ));
                continue;
            }
        };
        if values[mi][ai].replace(value).is_some() {
            errors.push(FieldError::new(
                format!("line {line}"),
                format!("'{}' for arm '{}' appears twice", spec.name, r.arm),
            ));
        }
    }
    for (spec, per_arm) in metrics(brief).zip(&values) {
        for (arm, v) in arms.iter().zip(per_arm) {
            if v.is_none() {
                errors.push(FieldError::new(
                    "csv",
                    format!("no row for metric '{}' in arm '{}'", spec.name, arm.name),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let counts = Counts {
        metrics: metrics(brief)
            .zip(values)
            .map(|(m, v)| MetricCounts {
                metric: m.name.clone(),
                values: v.into_iter().flatten().collect(),
            })
            .collect(),
        arms,
        multi_arm_users: 0,
        incomplete_windows: 0,
    };
    let problems = counts.validate(brief);
    if problems.is_empty() {
        Ok(counts)
    } else {
        Err(problems)
    }
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(f) => format!("column {}: {}", f + 1, err.kind()),
            None => err.kind().to_string(),
        },
        _ => e.to_string(),
    }
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
