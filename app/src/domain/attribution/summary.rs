//! The end of a run: deduplicate metric events, then walk each exposed user's events and add
//! their measures (`measure.rs`) to their arm, and to their arm within each segment.
//!
//! Percentile caps need every counted user's value before any arm is summed, so when a cap is
//! asked for the walk runs twice: once to collect the capped metrics' values per experiment
//! (one number per user and capped metric), once to sum with the caps applied.

use std::collections::{BTreeMap, HashMap};

use super::amount::{Pool, Precision, UserTotal};
use super::config::{CapAt, NEW_VS_RETURNING};
use super::measure::{measure, ArmAcc, UserMeasures};
use super::plan::Plan;
use super::report::ExperimentCounts;
use super::tally::{Conversion, Exposure, Tally};

/// What [`summarize`] found: the duplicate count and the per-experiment counts.
pub(crate) struct Summary {
    pub duplicates: u64,
    pub experiments: BTreeMap<String, ExperimentCounts>,
}

/// An arm of an experiment, whole or within one segment value: (experiment, segment property
/// or `WHOLE`, segment value id, arm).
type ArmKey = (u32, usize, u32, u32);
const WHOLE: usize = usize::MAX;

pub(crate) fn summarize(mut tally: Tally, plan: &Plan) -> Summary {
    let duplicates = dedup(&mut tally.conversions);
    tally.activity.finish();
    let mut precision = tally.precision.clone();
    for cap in &plan.config.caps {
        if let (CapAt::Fixed(x), Some(i)) =
            (cap.at, plan.values.iter().position(|v| *v == cap.metric))
        {
            precision[i].include_decimal(x);
        }
    }
    tally.precision = precision.clone();
    let caps = caps(&tally, plan);
    // The derived segment's two values, named once.
    let derived = plan
        .config
        .segments
        .iter()
        .position(|s| s == NEW_VS_RETURNING)
        .map(|at| {
            let new = tally.segment_names.id(b"new");
            (at, new, tally.segment_names.id(b"returning"))
        });
    let mut multi = vec![0u64; tally.experiments.list.len()];
    let mut arms: HashMap<ArmKey, ArmAcc> = HashMap::new();
    walk(&tally, plan, |exposure, measures| {
        if exposure.multi {
            multi[exposure.experiment as usize] += 1;
            return;
        }
        let mut measures = measures();
        if let Some(experiment_caps) = caps.get(&exposure.experiment) {
            // The pre-period covariate is winsorized at the same cap as the value.
            for values in [&mut measures.values, &mut measures.pre_values] {
                for (value, cap) in values.iter_mut().zip(experiment_caps) {
                    if let Some(cap) = cap {
                        *value = value.min(*cap);
                    }
                }
            }
        }
        let mut add = |key: ArmKey| {
            arms.entry(key)
                .or_insert_with(|| ArmAcc::new(plan))
                .add(&measures, plan);
        };
        add((exposure.experiment, WHOLE, 0, exposure.arm));
        for property in 0..plan.segment_slots.len() {
            let value = match derived {
                Some((at, new, returning)) if at == property => {
                    if measures.returning {
                        returning
                    } else {
                        new
                    }
                }
                _ => tally.segment_values[exposure.segments as usize + property],
            };
            add((exposure.experiment, property, value, exposure.arm));
        }
    });

    let mut experiments: BTreeMap<String, ExperimentCounts> = plan
        .requested_experiments()
        .map(|name| (name.clone(), ExperimentCounts::default()))
        .collect();
    for (id, &count) in multi.iter().enumerate() {
        let name = tally.experiments.name(id as u32);
        let flag = tally.experiment_flags.get(id).copied().flatten();
        let entry = experiments.entry(name).or_default();
        entry.multi_arm_users = count;
        entry.flag_key = flag.map(|flag| tally.flags.name(flag));
    }
    for (name, counts) in experiments.iter_mut() {
        let configured = plan.config.flag_keys.iter().find(|(e, _)| e == name);
        let configured = configured.map(|(_, flag)| flag.as_str());
        let flags = [counts.flag_key.as_deref(), configured, Some(name.as_str())];
        counts.other_rules_on_flag = other_rules(&tally, name, &flags);
        if counts.flag_key.is_none() {
            counts.flag_key = configured.map(str::to_owned);
        }
    }
    let no_caps = vec![None; plan.values.len()];
    for ((experiment, property, value, arm), acc) in arms {
        let name = tally.experiments.name(experiment);
        let entry = experiments.entry(name).or_default();
        let experiment_caps = caps.get(&experiment).unwrap_or(&no_caps);
        let arm = tally.arms.name(arm);
        if property == WHOLE {
            entry.incomplete_windows += acc.incomplete;
            entry
                .arms
                .insert(arm, acc.finish(plan, &precision, experiment_caps));
        } else {
            entry
                .segments
                .entry(plan.config.segments[property].clone())
                .or_default()
                .entry(tally.segment_names.name(value))
                .or_default()
                .insert(arm, acc.finish(plan, &precision, experiment_caps));
        }
    }
    Summary {
        duplicates,
        experiments,
    }
}

/// Calls `visit` for each exposure entry of each user, with a way to measure that user (only
/// computed when asked for: multi-arm users are just counted).
fn walk(tally: &Tally, plan: &Plan, mut visit: impl FnMut(&Exposure, &dyn Fn() -> UserMeasures)) {
    let conversions = &tally.conversions;
    let (mut next, mut activity) = (0, (0, 0));
    let mut times = Vec::new();
    // Users in id order, events sorted by user: one merge-like walk over all three.
    for user in 0..tally.users.len() as u32 {
        let mut exposures = tally.exposures_of(user).peekable();
        if exposures.peek().is_none() {
            continue;
        }
        next += conversions[next..].partition_point(|c| c.user < user);
        let end = next + conversions[next..].partition_point(|c| c.user == user);
        let events = &conversions[next..end];
        tally.activity.times(user, &mut activity, &mut times);
        for exposure in exposures {
            visit(exposure, &|| {
                measure(exposure.t0, events, &times, tally, plan)
            });
        }
    }
}

/// Per experiment, per value metric, the cap its values are winsorized at (None when not
/// capped). A percentile cap is the value at nearest rank `ceil(NN * N / 100)` of the
/// experiment's N counted users, arms pooled, zeros included.
fn caps(tally: &Tally, plan: &Plan) -> HashMap<u32, Vec<Option<UserTotal>>> {
    let config = &plan.config;
    if config.caps.is_empty() {
        return HashMap::new();
    }
    let capped: Vec<(usize, CapAt)> = config
        .caps
        .iter()
        .filter_map(|cap| {
            let index = plan.values.iter().position(|v| *v == cap.metric)?;
            Some((index, cap.at))
        })
        .collect();
    let mut pools: HashMap<u32, Vec<Pool>> = HashMap::new();
    if capped
        .iter()
        .any(|(_, at)| matches!(at, CapAt::Percentile(_)))
    {
        walk(tally, plan, |exposure, measures| {
            if exposure.multi {
                return;
            }
            let measures = measures();
            let pool = pools
                .entry(exposure.experiment)
                .or_insert_with(|| vec![Pool::default(); capped.len()]);
            for (values, &(index, _)) in pool.iter_mut().zip(&capped) {
                values.push(measures.values[index], tally.precision[index]);
            }
        });
    }
    let mut caps = HashMap::new();
    for experiment in 0..tally.experiments.list.len() as u32 {
        let mut per_value = vec![None; plan.values.len()];
        for (position, &(index, at)) in capped.iter().enumerate() {
            per_value[index] = match at {
                CapAt::Fixed(x) => Some(UserTotal::of_decimal(x, tally.precision[index])),
                CapAt::Percentile(nn) => pools
                    .get_mut(&experiment)
                    .map(|pool| &mut pool[position])
                    .and_then(|values| nearest_rank(values, nn, tally.precision[index])),
            };
        }
        caps.insert(experiment, per_value);
    }
    caps
}

/// The value at 1-based rank `ceil(NN * N / 100)` (clamped to [1, N]) of the sorted values,
/// with NN exact (`units / 10^scale`), so p28 of 25 users is rank 7.
fn nearest_rank(
    values: &mut Pool,
    nn: super::amount::Decimal,
    precision: Precision,
) -> Option<UserTotal> {
    let n = values.len() as i128;
    if n == 0 {
        return None;
    }
    let denominator = 100 * 10i128.pow(nn.scale());
    let numerator = nn.units() * n;
    let rank = ((numerator + denominator - 1) / denominator).clamp(1, n);
    values.nth_smallest(rank as usize - 1, precision)
}

/// Exposure events left out that are on one of `flags`: the experiment's flag as seen and as
/// configured, and a flag named like the experiment itself (asked for by flag key while its
/// events carry rule keys).
fn other_rules(tally: &Tally, experiment: &str, flags: &[Option<&str>]) -> BTreeMap<String, u64> {
    let mut others = BTreeMap::new();
    for (on_flag, name, events) in tally.excluded.iter() {
        let on_flag = String::from_utf8_lossy(on_flag);
        if flags.contains(&Some(&*on_flag)) && name != experiment.as_bytes() {
            *others
                .entry(String::from_utf8_lossy(name).into_owned())
                .or_default() += events;
        }
    }
    others
}

/// Sorts events by (user, event, time, `$insert_id`) and drops repeats; returns how many. Of
/// the copies of one event, the one Mixpanel keeps counts: the largest
/// `mp_processing_time_ms`, a copy without it losing to one with it, and on a tie the earliest
/// read (`amounts_at` grows in input order; copies without amounts are interchangeable).
fn dedup(conversions: &mut Vec<Conversion>) -> u64 {
    conversions.sort_unstable_by_key(|c| {
        let newest_first = std::cmp::Reverse(c.processed);
        (
            c.user,
            c.event,
            c.time,
            c.insert_id,
            newest_first,
            c.amounts_at,
        )
    });
    let before = conversions.len();
    conversions.dedup_by(|later, earlier| {
        later.insert_id != 0
            && (later.user, later.event, later.time, later.insert_id)
                == (earlier.user, earlier.event, earlier.time, earlier.insert_id)
    });
    (before - conversions.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::attribution::amount::Decimal;

    #[test]
    fn the_nearest_rank_is_exact_and_counts_zeros() {
        let p = Precision::WHOLE;
        // 25 users with totals 24, 23, ..., 0 (unsorted on purpose).
        let totals: Vec<UserTotal> = (0..25)
            .rev()
            .map(|i| {
                let mut total = UserTotal::new(p);
                for _ in 0..i {
                    total.add(super::super::amount::Amount::ONE, p);
                }
                total
            })
            .collect();
        let mut compact = Pool::default();
        for &total in &totals {
            compact.push(total, p);
        }
        assert!(matches!(compact, Pool::Exact(_)), "8 bytes a user");
        for mut values in [compact, Pool::Whole(totals)] {
            // p28 of 25 users: 28 * 25 / 100 = 7 exactly, so rank 7 (the value 6), not 8.
            let cap = nearest_rank(&mut values, Decimal::new(28, 0), p).expect("users");
            assert_eq!(cap.quantity(p).to_string(), "6");
            let p100 = nearest_rank(&mut values, Decimal::new(100, 0), p).expect("users");
            assert_eq!(p100.quantity(p).to_string(), "24");
            let tiny = nearest_rank(&mut values, Decimal::new(1, 1), p).expect("users");
            assert_eq!(tiny.quantity(p).to_string(), "0", "rank clamped to 1");
        }
        assert!(nearest_rank(&mut Pool::default(), Decimal::new(50, 0), p).is_none());
    }

    #[test]
    fn a_pool_keeps_every_value_when_one_does_not_fit_eight_bytes() {
        let p = Precision::WHOLE;
        let mut pool = Pool::default();
        let mut big = UserTotal::new(p);
        for _ in 0..3 {
            big.add(
                super::super::amount::Amount::Exact {
                    units: i64::MAX,
                    scale: 0,
                },
                p,
            );
        }
        let mut one = UserTotal::new(p);
        one.add(super::super::amount::Amount::ONE, p);
        pool.push(one, p);
        pool.push(big, p);
        assert!(matches!(pool, Pool::Whole(_)));
        let top = nearest_rank(&mut pool, Decimal::new(100, 0), p).expect("users");
        assert_eq!(
            top.quantity(p).to_string(),
            (3 * i128::from(i64::MAX)).to_string()
        );
        let low = nearest_rank(&mut pool, Decimal::new(50, 0), p).expect("users");
        assert_eq!(low.quantity(p).to_string(), "1");
    }
}
