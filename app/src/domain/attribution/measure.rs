//! One exposed user's measures (conversions, values, retention, pre-period covariates) and an
//! arm's running totals of them. The summary walks users; this file says what one user adds.

use std::collections::BTreeMap;

use super::amount::{Amount, ArmTotals, Precision, Sum, UserTotal};
use super::config::RetentionEvent;
use super::plan::Plan;
use super::report::{ArmCounts, CovariateSums, RatioSums, ValueSums};
use super::tally::{Conversion, Tally, NO_AMOUNTS};

/// What one exposed user did, relative to their first exposure `t0`.
#[derive(Debug, Clone)]
pub(crate) struct UserMeasures {
    pub converted: Vec<bool>,
    /// Per value metric, the total in the window (capped once caps are known).
    pub values: Vec<UserTotal>,
    pub retained: Vec<bool>,
    /// Per metric and per value metric, the same quantity over the pre-exposure period.
    pub pre_converted: Vec<bool>,
    pub pre_values: Vec<UserTotal>,
    pub incomplete: bool,
    /// Whether the user had an event before the pre-exposure period (new vs returning).
    pub returning: bool,
}

/// Measures one user exposed at `t0`: `events` are the user's metric events sorted by (event,
/// time) and deduplicated, `activity` times of their events, thinned (only for `*` retention).
pub(crate) fn measure(
    t0: i64,
    events: &[Conversion],
    activity: &[i64],
    tally: &Tally,
    plan: &Plan,
) -> UserMeasures {
    let config = &plan.config;
    let window_end = t0.saturating_add(config.window.as_seconds());
    let pre_start = config
        .pre_days
        .map(|days| t0.saturating_sub(i64::from(days) * 86_400));
    let zero = |p: &Precision| UserTotal::new(*p);
    let mut m = UserMeasures {
        converted: vec![false; plan.metrics.len()],
        values: tally.precision.iter().map(zero).collect(),
        retained: vec![false; config.retention.len()],
        pre_converted: vec![false; plan.metrics.len()],
        pre_values: tally.precision.iter().map(zero).collect(),
        incomplete: config.data_end.is_some_and(|end| window_end > end),
        returning: activity.iter().any(|&t| t < pre_start.unwrap_or(t0)),
    };
    for same_event in events.chunk_by(|a, b| a.event == b.event) {
        let tracked = &plan.tracked[same_event[0].event as usize];
        for &spec in &tracked.retention {
            let retention = &config.retention[spec];
            m.retained[spec] = same_event.iter().any(|e| retention.contains(t0, e.time));
        }
        let within = |from: i64, to: i64| {
            let start = same_event.partition_point(|c| c.time < from);
            let end = same_event.partition_point(|c| c.time < to);
            &same_event[start..end.max(start)]
        };
        let post = within(t0, window_end);
        let pre = pre_start.map_or(&[][..], |start| within(start, t0));
        if let Some(metric) = tracked.metric {
            m.converted[metric] = !post.is_empty();
            m.pre_converted[metric] = !pre.is_empty();
        }
        for (position, &(value_metric, _slot)) in tracked.values.iter().enumerate() {
            let precision = tally.precision[value_metric];
            let amount = |event: &Conversion| {
                if event.amounts_at == NO_AMOUNTS {
                    Amount::ZERO
                } else {
                    tally.amounts[event.amounts_at as usize + position]
                }
            };
            for event in post {
                m.values[value_metric].add(amount(event), precision);
            }
            for event in pre {
                m.pre_values[value_metric].add(amount(event), precision);
            }
        }
    }
    for (spec, retention) in config.retention.iter().enumerate() {
        if retention.event == RetentionEvent::Any {
            m.retained[spec] = activity.iter().any(|&t| retention.contains(t0, t));
        }
    }
    m
}

/// An arm's running totals of its users' measures.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArmAcc {
    pub exposed: u64,
    pub incomplete: u64,
    converted: Vec<u64>,
    values: Vec<ArmTotals>,
    retained: Vec<u64>,
    /// Per ratio: a, a², b, b², a·b.
    ratios: Vec<[Sum; 5]>,
    /// Per metric then per value metric: pre, pre², post·pre.
    covariates: Vec<[Sum; 3]>,
}

impl ArmAcc {
    pub fn new(plan: &Plan) -> Self {
        let config = &plan.config;
        let covariates = if config.pre_days.is_some() {
            plan.metrics.len() + plan.values.len()
        } else {
            0
        };
        Self {
            exposed: 0,
            incomplete: 0,
            converted: vec![0; plan.metrics.len()],
            values: vec![ArmTotals::default(); plan.values.len()],
            retained: vec![0; config.retention.len()],
            ratios: vec![[Sum::default(); 5]; plan.ratios.len()],
            covariates: vec![[Sum::default(); 3]; covariates],
        }
    }

    pub fn add(&mut self, m: &UserMeasures, plan: &Plan) {
        self.exposed += 1;
        self.incomplete += u64::from(m.incomplete);
        for (count, &on) in self.converted.iter_mut().zip(&m.converted) {
            *count += u64::from(on);
        }
        for (totals, &value) in self.values.iter_mut().zip(&m.values) {
            totals.add_user(value);
        }
        for (count, &on) in self.retained.iter_mut().zip(&m.retained) {
            *count += u64::from(on);
        }
        for (sums, &(a, b)) in self.ratios.iter_mut().zip(&plan.ratios) {
            let (a, b) = (m.values[a], m.values[b]);
            sums[0].add(a);
            sums[1].add_product(a, a);
            sums[2].add(b);
            sums[3].add_product(b, b);
            sums[4].add_product(a, b);
        }
        if self.covariates.is_empty() {
            return;
        }
        let metrics = m
            .pre_converted
            .iter()
            .zip(&m.converted)
            .map(|(&pre, &post)| (UserTotal::flag(pre), UserTotal::flag(post)));
        let values = m.pre_values.iter().copied().zip(m.values.iter().copied());
        for (sums, (pre, post)) in self.covariates.iter_mut().zip(metrics.chain(values)) {
            sums[0].add(pre);
            sums[1].add_product(pre, pre);
            sums[2].add_product(post, pre);
        }
    }

    /// The report's block for this arm; `caps` per value metric, when capped.
    pub fn finish(
        self,
        plan: &Plan,
        precision: &[Precision],
        caps: &[Option<UserTotal>],
    ) -> ArmCounts {
        let config = &plan.config;
        let values = plan
            .values
            .iter()
            .zip(self.values)
            .enumerate()
            .filter(|(index, _)| plan.value_reported[*index])
            .map(|(index, (metric, totals))| {
                let (n, sum, sum_squares) = totals.finish(precision[index]);
                let cap = caps[index].map(|cap| cap.quantity(precision[index]));
                let sums = ValueSums {
                    n,
                    sum,
                    sum_squares,
                    cap,
                };
                (metric.to_string(), sums)
            })
            .collect();
        let ratios = config
            .ratios
            .iter()
            .zip(&plan.ratios)
            .zip(self.ratios)
            .map(|((ratio, &(a, b)), sums)| {
                let (pa, pb) = (precision[a], precision[b]);
                let float = pa.is_float() || pb.is_float();
                let (sa, sb) = (pa.scale(), pb.scale());
                let block = RatioSums {
                    numerator_sum: sums[0].finish(sa, pa.is_float()),
                    numerator_sum_squares: sums[1].finish(2 * sa, pa.is_float()),
                    denominator_sum: sums[2].finish(sb, pb.is_float()),
                    denominator_sum_squares: sums[3].finish(2 * sb, pb.is_float()),
                    cross_sum: sums[4].finish(sa + sb, float),
                };
                (ratio.spec.clone(), block)
            })
            .collect();
        let covariate_keys = plan
            .metrics
            .iter()
            .map(|m| (m.clone(), Precision::WHOLE, true))
            .chain(
                plan.values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.to_string(), precision[i], plan.value_reported[i])),
            );
        let covariates: BTreeMap<String, CovariateSums> = covariate_keys
            .zip(self.covariates)
            .filter(|((_, _, reported), _)| *reported)
            .map(|((key, p, _), sums)| {
                let (s, float) = (p.scale(), p.is_float());
                let block = CovariateSums {
                    sum: sums[0].finish(s, float),
                    sum_squares: sums[1].finish(2 * s, float),
                    cross_sum: sums[2].finish(2 * s, float),
                };
                (key, block)
            })
            .collect();
        ArmCounts {
            exposed: self.exposed,
            converted: plan.metrics.iter().cloned().zip(self.converted).collect(),
            values,
            retained: config
                .retention
                .iter()
                .map(|r| r.spec.clone())
                .zip(self.retained)
                .collect(),
            ratios,
            covariates,
        }
    }
}
