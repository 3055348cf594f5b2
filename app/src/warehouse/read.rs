//! From the query's rows back to the attribution [`Report`] the file engine makes, so a
//! warehouse pull is stored, decided and printed by the same code as any other.
//!
//! Sums arrive as exact decimal text and are set at the scale the file engine reports them at
//! (the metric's largest scale over every value read, a fixed cap's digits included; twice
//! that for squares), so both sources produce equal [`Decimal`]s. A sum too large for 128 bits
//! falls back to a float, as it does for files.

use std::collections::BTreeMap;

use super::query::Shape;
use crate::domain::attribution::{
    ArmCounts, CovariateSums, Decimal, ExperimentCounts, Quantity, RatioSums, Report, ValueSums,
};

/// One result row, as every kind shares the same columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: String,
    pub experiment: Option<String>,
    pub arm: Option<String>,
    pub seg: Option<i32>,
    pub seg_value: Option<String>,
    pub n: i64,
    pub nums: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the warehouse returned a row the query cannot produce ({0})")]
    Shape(String),
    #[error("the warehouse returned `{0}` where a number was expected")]
    Number(String),
}

/// `text` (an exact decimal such as `-12.50`) as a [`Quantity`] at `scale` digits.
pub fn quantity_at(text: &str, scale: u32) -> Result<Quantity, ReadError> {
    let bad = || ReadError::Number(text.chars().take(60).collect());
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !plain(whole) || !plain(fraction) {
        return Err(bad());
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() as u32 > scale {
        // More digits than any value had: cannot happen for sums of the values read.
        return Err(bad());
    }
    let exact = (|| {
        let mut units: i128 = 0;
        for b in whole.bytes().chain(fraction.bytes()) {
            units = units.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
        }
        let pad = 10i128.checked_pow(scale - fraction.len() as u32)?;
        units.checked_mul(pad)
    })();
    Ok(match exact {
        Some(units) => Quantity::Exact(Decimal::new(if negative { -units } else { units }, scale)),
        None => Quantity::Approx(text.parse::<f64>().map_err(|_| bad())?),
    })
}

fn count(text: &str) -> Result<u64, ReadError> {
    text.parse()
        .map_err(|_| ReadError::Number(text.chars().take(60).collect()))
}

/// The report the file engine would have made from the same events. Counters only a file has
/// (lines, bytes, skipped lines) are 0.
pub fn report(shape: &Shape, rows: &[Row]) -> Result<Report, ReadError> {
    let mut scales: Vec<u32> = shape
        .fixed_cap_scale
        .iter()
        .map(|s| s.unwrap_or(0))
        .collect();
    let mut report = Report {
        lines: 0,
        bytes: 0,
        events: 0,
        duplicates: 0,
        anonymous_events: 0,
        latest_event: None,
        skipped: Default::default(),
        experiments: shape
            .requested
            .iter()
            .map(|name| (name.clone(), ExperimentCounts::default()))
            .collect(),
    };
    let mut caps: BTreeMap<(String, usize), String> = BTreeMap::new();
    let mut excluded: Vec<(String, String, u64)> = Vec::new();
    let n_of =
        |row: &Row| u64::try_from(row.n).map_err(|_| ReadError::Shape("negative count".into()));
    // Bookkeeping first: the scales must be known before any sum is read.
    for row in rows {
        match row.kind.as_str() {
            "stats" => {
                report.events = n_of(row)?;
                let [anonymous, latest, duplicates] = row.nums.as_slice() else {
                    return Err(ReadError::Shape("stats".into()));
                };
                report.anonymous_events = count(anonymous)?;
                report.latest_event = if latest.is_empty() {
                    None
                } else {
                    Some(
                        latest
                            .parse()
                            .map_err(|_| ReadError::Number(latest.clone()))?,
                    )
                };
                report.duplicates = count(duplicates)?;
            }
            "scale" => {
                let j = seg_index(row, scales.len())?;
                let scale = row
                    .nums
                    .first()
                    .ok_or_else(|| ReadError::Shape("scale".into()))?;
                let scale: u32 = scale
                    .parse()
                    .map_err(|_| ReadError::Number(scale.clone()))?;
                scales[j] = scales[j].max(scale);
            }
            "cap" => {
                let j = seg_index(row, scales.len())?;
                let cap = row
                    .nums
                    .first()
                    .ok_or_else(|| ReadError::Shape("cap".into()))?;
                caps.insert((experiment(row)?, j), cap.clone());
            }
            "multi" => {
                let entry = report.experiments.entry(experiment(row)?).or_default();
                entry.multi_arm_users = n_of(row)?;
            }
            "flag" => {
                let entry = report.experiments.entry(experiment(row)?).or_default();
                entry.flag_key = row.arm.clone();
            }
            "excluded" => {
                let flag = row
                    .arm
                    .clone()
                    .ok_or_else(|| ReadError::Shape("excluded".into()))?;
                excluded.push((flag, experiment(row)?, n_of(row)?));
            }
            "arm" => {}
            other => return Err(ReadError::Shape(other.chars().take(20).collect())),
        }
    }
    for row in rows.iter().filter(|r| r.kind == "arm") {
        let name = experiment(row)?;
        let arm = row
            .arm
            .clone()
            .ok_or_else(|| ReadError::Shape("arm".into()))?;
        let (incomplete, counts) = arm_counts(shape, &scales, &caps, &name, row)?;
        let entry = report.experiments.entry(name).or_default();
        match (row.seg, &row.seg_value) {
            (None, _) => {
                entry.incomplete_windows += incomplete;
                entry.arms.insert(arm, counts);
            }
            (Some(i), Some(value)) => {
                let property = usize::try_from(i)
                    .ok()
                    .and_then(|i| shape.segments.get(i))
                    .ok_or_else(|| ReadError::Shape("segment".into()))?;
                entry
                    .segments
                    .entry(property.clone())
                    .or_default()
                    .entry(value.clone())
                    .or_default()
                    .insert(arm, counts);
            }
            (Some(_), None) => return Err(ReadError::Shape("segment value".into())),
        }
    }
    // Left-out rules on each experiment's flag, as the file engine words them.
    for (name, counts) in report.experiments.iter_mut() {
        let configured = shape
            .flag_keys
            .iter()
            .find(|(e, _)| e == name)
            .map(|(_, flag)| flag.clone());
        let flags = [
            counts.flag_key.clone(),
            configured.clone(),
            Some(name.clone()),
        ];
        for (flag, other, events) in &excluded {
            if flags.contains(&Some(flag.clone())) && other != name {
                *counts.other_rules_on_flag.entry(other.clone()).or_default() += events;
            }
        }
        if counts.flag_key.is_none() {
            counts.flag_key = configured;
        }
    }
    Ok(report)
}

fn experiment(row: &Row) -> Result<String, ReadError> {
    row.experiment
        .clone()
        .ok_or_else(|| ReadError::Shape(format!("{} without experiment", row.kind)))
}

fn seg_index(row: &Row, len: usize) -> Result<usize, ReadError> {
    row.seg
        .and_then(|i| usize::try_from(i).ok())
        .filter(|&i| i < len)
        .ok_or_else(|| ReadError::Shape(row.kind.clone()))
}

fn arm_counts(
    shape: &Shape,
    scales: &[u32],
    caps: &BTreeMap<(String, usize), String>,
    experiment: &str,
    row: &Row,
) -> Result<(u64, ArmCounts), ReadError> {
    let mut nums = row.nums.iter();
    let mut next = || {
        nums.next()
            .map(String::as_str)
            .ok_or_else(|| ReadError::Shape("short arm row".into()))
    };
    let exposed = u64::try_from(row.n).map_err(|_| ReadError::Shape("negative count".into()))?;
    let incomplete = count(next()?)?;
    let mut counts = ArmCounts {
        exposed,
        ..ArmCounts::default()
    };
    for metric in &shape.metrics {
        counts.converted.insert(metric.clone(), count(next()?)?);
    }
    for (j, value) in shape.values.iter().enumerate() {
        let s = scales[j];
        let sum = quantity_at(next()?, s)?;
        let sum_squares = quantity_at(next()?, 2 * s)?;
        if !shape.value_reported[j] {
            continue;
        }
        let cap = match (&shape.fixed_caps[j], caps.get(&(experiment.to_owned(), j))) {
            (Some(x), _) => Some(quantity_at(&x.to_string(), s)?),
            (None, Some(cap)) => Some(quantity_at(cap, s)?),
            (None, None) => None,
        };
        let sums = ValueSums {
            n: exposed,
            sum,
            sum_squares,
            cap,
        };
        counts.values.insert(value.to_string(), sums);
    }
    for spec in &shape.retention {
        counts.retained.insert(spec.clone(), count(next()?)?);
    }
    for (spec, a, b) in &shape.ratios {
        let (sa, sb) = (scales[*a], scales[*b]);
        let block = RatioSums {
            numerator_sum: quantity_at(next()?, sa)?,
            numerator_sum_squares: quantity_at(next()?, 2 * sa)?,
            denominator_sum: quantity_at(next()?, sb)?,
            denominator_sum_squares: quantity_at(next()?, 2 * sb)?,
            cross_sum: quantity_at(next()?, sa + sb)?,
        };
        counts.ratios.insert(spec.clone(), block);
    }
    if shape.covariates {
        for metric in &shape.metrics {
            let block = CovariateSums {
                sum: quantity_at(next()?, 0)?,
                sum_squares: quantity_at(next()?, 0)?,
                cross_sum: quantity_at(next()?, 0)?,
            };
            counts.covariates.insert(metric.clone(), block);
        }
        for (j, value) in shape.values.iter().enumerate() {
            let s = scales[j];
            let block = CovariateSums {
                sum: quantity_at(next()?, s)?,
                sum_squares: quantity_at(next()?, 2 * s)?,
                cross_sum: quantity_at(next()?, 2 * s)?,
            };
            if shape.value_reported[j] {
                counts.covariates.insert(value.to_string(), block);
            }
        }
    }
    Ok((incomplete, counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_set_at_the_metric_scale() {
        assert_eq!(
            quantity_at("1234.5", 2).expect("number"),
            Quantity::Exact(Decimal::new(123_450, 2))
        );
        assert_eq!(
            quantity_at("-3", 1).expect("number"),
            Quantity::Exact(Decimal::new(-30, 1))
        );
        assert_eq!(
            quantity_at("7.500", 1).expect("number"),
            Quantity::Exact(Decimal::new(75, 1))
        );
        assert!(quantity_at("1.25", 1).is_err());
        assert!(quantity_at("1e5", 0).is_err());
        assert!(quantity_at("", 0).is_err());
        let huge = "9".repeat(45);
        assert!(matches!(quantity_at(&huge, 0), Ok(Quantity::Approx(_))));
    }
}
