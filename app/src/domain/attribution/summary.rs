//! The end of a run: deduplicate metric events, then walk each exposed user's events once and
//! count them against the user's window.

use std::collections::{BTreeMap, HashMap};

use super::amount::{Amount, ArmTotals, UserTotal};
use super::plan::Plan;
use super::report::{ArmCounts, ExperimentCounts, ValueSums};
use super::tally::{Conversion, Tally, NO_AMOUNTS};

/// What [`summarize`] found: the duplicate count and the per-experiment counts.
pub(crate) struct Summary {
    pub duplicates: u64,
    pub experiments: BTreeMap<String, ExperimentCounts>,
}

#[derive(Debug, Clone)]
struct ArmAcc {
    exposed: u64,
    incomplete: u64,
    converted: Vec<u64>,
    values: Vec<ArmTotals>,
}

pub(crate) fn summarize(mut tally: Tally, plan: &Plan) -> Summary {
    let duplicates = dedup(&mut tally.conversions);
    let mut multi = vec![0u64; tally.experiments.list.len()];
    let mut arms: HashMap<(u32, u32), ArmAcc> = HashMap::new();
    let conversions = &tally.conversions;
    let mut next = 0;
    // Users in id order, conversions sorted by user: one merge-like walk over both.
    for user in 0..tally.users.len() as u32 {
        let mut exposures = tally.exposures_of(user).peekable();
        if exposures.peek().is_none() {
            continue;
        }
        next += conversions[next..].partition_point(|c| c.user < user);
        let end = next + conversions[next..].partition_point(|c| c.user == user);
        let events = &conversions[next..end];
        for exposure in exposures {
            if exposure.multi {
                multi[exposure.experiment as usize] += 1;
                continue;
            }
            let acc = arms
                .entry((exposure.experiment, exposure.arm))
                .or_insert_with(|| ArmAcc {
                    exposed: 0,
                    incomplete: 0,
                    converted: vec![0; plan.metrics.len()],
                    values: vec![ArmTotals::default(); plan.values.len()],
                });
            count_user(acc, exposure.t0, events, &tally, plan);
        }
    }

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
    for ((experiment, arm), acc) in arms {
        let name = tally.experiments.name(experiment);
        experiments
            .entry(name.clone())
            .or_default()
            .incomplete_windows += acc.incomplete;
        let counts = ArmCounts {
            exposed: acc.exposed,
            converted: plan.metrics.iter().cloned().zip(acc.converted).collect(),
            values: plan
                .values
                .iter()
                .zip(acc.values)
                .enumerate()
                .map(|(index, (metric, totals))| {
                    let (n, sum, sum_squares) = totals.finish(tally.precision[index]);
                    let sums = ValueSums {
                        n,
                        sum,
                        sum_squares,
                    };
                    (metric.to_string(), sums)
                })
                .collect(),
        };
        experiments
            .entry(name)
            .or_default()
            .arms
            .insert(tally.arms.name(arm), counts);
    }
    Summary {
        duplicates,
        experiments,
    }
}

/// Exposure events left out that are on one of `flags`: the experiment's flag as seen and as
/// configured, and a flag named like the experiment itself (asked for by flag key while its
/// events carry rule keys).
fn other_rules(tally: &Tally, experiment: &str, flags: &[Option<&str>]) -> BTreeMap<String, u64> {
    let mut others = BTreeMap::new();
    for ((on_flag, name), &events) in &tally.excluded {
        let on_flag = String::from_utf8_lossy(on_flag);
        if flags.contains(&Some(&*on_flag)) && **name != *experiment.as_bytes() {
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

/// Adds one exposed user to an arm: `events` are the user's, sorted by (event, time).
fn count_user(acc: &mut ArmAcc, t0: i64, events: &[Conversion], tally: &Tally, plan: &Plan) {
    acc.exposed += 1;
    let window_end = t0.saturating_add(plan.config.window.as_seconds());
    if plan.config.data_end.is_some_and(|end| window_end > end) {
        acc.incomplete += 1;
    }
    let mut totals: Vec<UserTotal> = tally
        .precision
        .iter()
        .map(|&precision| UserTotal::new(precision))
        .collect();
    for same_event in events.chunk_by(|a, b| a.event == b.event) {
        let from = same_event.partition_point(|c| c.time < t0);
        let to = same_event.partition_point(|c| c.time < window_end);
        let in_window = &same_event[from..to.max(from)];
        if in_window.is_empty() {
            continue;
        }
        let tracked = &plan.tracked[same_event[0].event as usize];
        if let Some(metric) = tracked.metric {
            acc.converted[metric] += 1;
        }
        for (position, &(value_metric, _slot)) in tracked.values.iter().enumerate() {
            for event in in_window {
                let amount = if event.amounts_at == NO_AMOUNTS {
                    Amount::ZERO
                } else {
                    tally.amounts[event.amounts_at as usize + position]
                };
                totals[value_metric].add(amount, tally.precision[value_metric]);
            }
        }
    }
    for (arm_total, user_total) in acc.values.iter_mut().zip(totals) {
        arm_total.add_user(user_total);
    }
}
