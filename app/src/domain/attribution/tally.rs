//! The state kept while lines stream by: one entry per (experiment, exposed user) and one
//! compact record per metric event. Nothing here grows with noise events or file size.
//!
//! A user's exposures hang off the user as a short linked list in one vector (users are in one
//! to a few experiments) rather than in a hash map keyed by (experiment, user): no table to
//! rehash, 24 bytes per entry, and the end of the run walks users in order without sorting.

use std::collections::HashMap;

use super::activity::Activity;
use super::amount::{Amount, Precision};
use super::interner::{Full, Interner};
use super::parser::{Named, Sink, TrackedEvent};
use super::plan::Plan;

/// A user's exposures to one experiment, folded: earliest time, and whether arms disagreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exposure {
    pub t0: i64,
    pub experiment: u32,
    pub arm: u32,
    /// The user's next exposure entry, or [`END`].
    next: u32,
    /// Where this entry's segment values (ids in [`Tally::segment_names`]) start in
    /// [`Tally::segment_values`]: those of the earliest exposure.
    pub segments: u32,
    pub multi: bool,
}

/// Exposure events left out of a run, per flag and per experiment on it: a handful of keys
/// however many events (a rollout can be most of an export), counted without allocating once
/// a key is known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Excluded(HashMap<Vec<u8>, HashMap<Vec<u8>, u64>>);

impl Excluded {
    pub fn add(&mut self, flag: &[u8], experiment: &[u8], events: u64) {
        let on_flag = match self.0.get_mut(flag) {
            Some(on_flag) => on_flag,
            None => self.0.entry(flag.to_vec()).or_default(),
        };
        match on_flag.get_mut(experiment) {
            Some(count) => *count += events,
            None => {
                on_flag.insert(experiment.to_vec(), events);
            }
        }
    }

    /// Every (flag, experiment, events).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8], u64)> {
        self.0.iter().flat_map(|(flag, on_flag)| {
            on_flag
                .iter()
                .map(move |(experiment, &events)| (&flag[..], &experiment[..], events))
        })
    }

    pub fn merge(&mut self, other: &Excluded) {
        for (flag, experiment, events) in other.iter() {
            self.add(flag, experiment, events);
        }
    }
}

/// End of a user's exposure list.
const END: u32 = u32::MAX;

/// One metric event, 40 bytes. `insert_id` is a 64-bit hash of `$insert_id` (0 = absent, never
/// a duplicate): two events of the same user, event and second are told apart by it, and a
/// false match needs a 2^-64 hash collision between them. `processed` is
/// `mp_processing_time_ms`, which picks the copy of a duplicate that counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Conversion {
    pub user: u32,
    pub event: u32,
    pub time: i64,
    pub insert_id: u64,
    pub processed: i64,
    /// Index of this event's first amount in [`Tally::amounts`], or [`NO_AMOUNTS`].
    pub amounts_at: u64,
}

pub(crate) const NO_AMOUNTS: u64 = u64::MAX;

/// Names (experiments, arms) to dense ids. Kept as the bytes read (valid UTF-8), so the hot
/// path never re-validates them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    pub list: Vec<Vec<u8>>,
    index: HashMap<Vec<u8>, u32>,
}

/// Up to this many names, a scan beats hashing every lookup (exports have a few experiments).
const NAMES_SCANNED: usize = 16;

impl Names {
    pub fn id(&mut self, name: &[u8]) -> u32 {
        let found = if self.list.len() <= NAMES_SCANNED {
            self.list
                .iter()
                .position(|known| known[..] == *name)
                .map(|i| i as u32)
        } else {
            self.index.get(name).copied()
        };
        if let Some(id) = found {
            return id;
        }
        // Experiment and arm names are bounded by exposures, far below u32::MAX.
        let id = self.list.len() as u32;
        self.list.push(name.to_vec());
        self.index.insert(name.to_vec(), id);
        id
    }

    pub fn name(&self, id: u32) -> String {
        String::from_utf8_lossy(&self.list[id as usize]).into_owned()
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    pub users: Interner,
    pub experiments: Names,
    pub arms: Names,
    pub flags: Names,
    /// Per experiment id, the flag its first exposure named (Optimizely, Amplitude).
    pub experiment_flags: Vec<Option<u32>>,
    /// Exposure events left out of the run, per (flag, experiment): rollouts and other tests
    /// of a reported experiment's flag.
    pub excluded: Excluded,
    /// Segment values by id, and per exposure entry its values, `segment_count` at a time.
    pub segment_names: Names,
    pub segment_values: Vec<u32>,
    segment_count: usize,
    /// The times of every non-exposure event per user, kept only for `*` retention.
    pub activity: Activity,
    /// Per user, the first of their exposure entries in `exposures`, or [`END`].
    heads: Vec<u32>,
    exposures: Vec<Exposure>,
    pub conversions: Vec<Conversion>,
    pub amounts: Vec<Amount>,
    /// Per value metric: the scale its sums need.
    pub precision: Vec<Precision>,
    /// Per tracked event, the value metric of each of its amounts.
    amount_metrics: Vec<Vec<usize>>,
    /// Set when ids ran out (over 4 billion users or exposures), or the input named more users
    /// than `max_users`; the run then fails at the end, and no new user is held meanwhile.
    pub full: bool,
    /// Distinct users a run may hold (memory follows users: about 100 bytes each).
    pub max_users: usize,
}

impl Tally {
    pub fn new(plan: &Plan) -> Self {
        Self {
            precision: vec![Precision::default(); plan.values.len()],
            amount_metrics: plan
                .tracked
                .iter()
                .map(|tracked| tracked.values.iter().map(|&(metric, _)| metric).collect())
                .collect(),
            max_users: usize::MAX,
            segment_count: plan.segment_slots.len(),
            ..Self::default()
        }
    }

    pub fn user(&mut self, distinct_id: &[u8]) -> Result<u32, Full> {
        if self.full {
            // Over a limit: the run will fail, so stop growing now (bounded memory).
            return Err(Full);
        }
        let user = self.users.intern(distinct_id);
        match user {
            Ok(index) if index as usize == self.heads.len() => {
                self.heads.push(END);
                if self.heads.len() > self.max_users {
                    self.full = true;
                }
            }
            Ok(_) => {}
            Err(Full) => self.full = true,
        }
        user
    }

    /// Folds one exposure into the user's entry for that experiment; the segment values of the
    /// earliest exposure are kept.
    pub fn expose(
        &mut self,
        user: u32,
        experiment: u32,
        arm: u32,
        t0: i64,
        multi: bool,
        segments: &[u32],
    ) {
        let mut at = self.heads[user as usize];
        while at != END {
            let known = &mut self.exposures[at as usize];
            if known.experiment == experiment {
                known.multi |= multi || known.arm != arm;
                if t0 < known.t0 {
                    known.t0 = t0;
                    let from = known.segments as usize;
                    self.segment_values[from..from + segments.len()].copy_from_slice(segments);
                }
                return;
            }
            at = known.next;
        }
        let Ok(segments_at) = u32::try_from(self.segment_values.len()) else {
            self.full = true;
            return;
        };
        self.segment_values.extend_from_slice(segments);
        let Ok(index) = u32::try_from(self.exposures.len()) else {
            self.full = true;
            return;
        };
        if index == END {
            self.full = true;
            return;
        }
        self.exposures.push(Exposure {
            t0,
            experiment,
            arm,
            next: self.heads[user as usize],
            segments: segments_at,
            multi,
        });
        self.heads[user as usize] = index;
    }

    /// The user's folded exposures, one per experiment.
    pub fn exposures_of(&self, user: u32) -> impl Iterator<Item = &Exposure> {
        let mut at = self.heads.get(user as usize).copied().unwrap_or(END);
        std::iter::from_fn(move || {
            let exposure = self.exposures.get(at as usize)?;
            at = exposure.next;
            Some(exposure)
        })
    }

    /// Merges `later` into `self`, translating its user, experiment and arm ids.
    pub fn merge(&mut self, later: Tally) {
        let experiments: Vec<u32> = later
            .experiments
            .list
            .iter()
            .map(|n| self.experiments.id(n))
            .collect();
        let arms: Vec<u32> = later.arms.list.iter().map(|n| self.arms.id(n)).collect();
        let segment_ids: Vec<u32> = later
            .segment_names
            .list
            .iter()
            .map(|n| self.segment_names.id(n))
            .collect();
        for (id, flag) in later.experiment_flags.iter().enumerate() {
            if let Some(flag) = flag {
                let flag = &later.flags.list[*flag as usize];
                self.flag_experiment(experiments[id], flag);
            }
        }
        self.excluded.merge(&later.excluded);
        let mut users = Vec::with_capacity(later.users.len());
        for (index, key) in later.users.iter() {
            let Ok(user) = self.user(key) else {
                return;
            };
            users.push(user);
            for exposure in later.exposures_of(index) {
                let (experiment, arm) = (
                    experiments[exposure.experiment as usize],
                    arms[exposure.arm as usize],
                );
                let from = exposure.segments as usize;
                let segments: Vec<u32> = later.segment_values[from..from + later.segment_count]
                    .iter()
                    .map(|&id| segment_ids[id as usize])
                    .collect();
                self.expose(
                    user,
                    experiment,
                    arm,
                    exposure.t0,
                    exposure.multi,
                    &segments,
                );
            }
        }
        let base = self.amounts.len() as u64;
        self.amounts.extend(later.amounts);
        self.conversions
            .extend(later.conversions.into_iter().map(|c| Conversion {
                user: users[c.user as usize],
                amounts_at: if c.amounts_at == NO_AMOUNTS {
                    NO_AMOUNTS
                } else {
                    c.amounts_at + base
                },
                ..c
            }));
        later
            .activity
            .each(|user, time| self.activity.push(users[user as usize], time));
        for (mine, theirs) in self.precision.iter_mut().zip(later.precision) {
            mine.merge(theirs);
        }
        self.full |= later.full;
    }
}

impl Tally {
    /// Records the flag an experiment belongs to, the first one seen.
    fn flag_experiment(&mut self, experiment: u32, flag: &[u8]) {
        let at = experiment as usize;
        if self.experiment_flags.len() <= at {
            self.experiment_flags.resize(at + 1, None);
        }
        if self.experiment_flags[at].is_none() {
            self.experiment_flags[at] = Some(self.flags.id(flag));
        }
    }
}

impl Sink for Tally {
    fn exposure(&mut self, user: &[u8], time: i64, exposure: Named<'_>) {
        if let Ok(user) = self.user(user) {
            let experiment = self.experiments.id(exposure.experiment);
            let arm = self.arms.id(exposure.arm);
            if let Some(flag) = exposure.flag {
                self.flag_experiment(experiment, flag);
            }
            let segments: Vec<u32> = exposure
                .segments
                .iter()
                .map(|value| self.segment_names.id(value))
                .collect();
            self.expose(user, experiment, arm, time, false, &segments);
        }
    }

    fn activity(&mut self, user: &[u8], time: i64) {
        if let Ok(user) = self.user(user) {
            self.activity.push(user, time);
        }
    }

    fn excluded(&mut self, flag: &[u8], experiment: &[u8], events: u64) {
        self.excluded.add(flag, experiment, events);
    }

    fn conversion(&mut self, user: &[u8], time: i64, event: TrackedEvent, amounts: &[Amount]) {
        let TrackedEvent {
            tracked,
            insert_id,
            processed,
        } = event;
        let Ok(user) = self.user(user) else {
            return;
        };
        let amounts_at = if amounts.is_empty() {
            NO_AMOUNTS
        } else {
            self.amounts.len() as u64
        };
        let metrics = &self.amount_metrics[tracked as usize];
        for (&metric, &amount) in metrics.iter().zip(amounts) {
            self.precision[metric].include(amount);
        }
        self.amounts.extend_from_slice(amounts);
        self.conversions.push(Conversion {
            user,
            event: tracked,
            time,
            insert_id,
            processed,
            amounts_at,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::{Config, ExposureConvention};
    use super::*;

    fn plan() -> Plan {
        let mut config = Config::new(ExposureConvention::Mixpanel);
        config.metrics = vec!["purchase".into()];
        Plan::new(config).expect("valid config")
    }

    fn named<'a>(experiment: &'a [u8], arm: &'a [u8]) -> Named<'a> {
        Named {
            experiment,
            arm,
            flag: None,
            segments: &[],
        }
    }

    fn index_of(tally: &Tally, user: &[u8]) -> u32 {
        let found = tally.users.iter().find(|&(_, key)| key == user);
        found.expect("known user").0
    }

    fn only_exposure(tally: &Tally, user: &[u8]) -> Exposure {
        let user = index_of(tally, user);
        let all: Vec<&Exposure> = tally.exposures_of(user).collect();
        assert_eq!(all.len(), 1);
        *all[0]
    }

    #[test]
    fn the_earliest_exposure_wins_whatever_the_order() {
        let mut tally = Tally::new(&plan());
        for time in [500, 100, 300] {
            tally.exposure(b"u1", time, named(b"exp", b"treatment"));
        }
        tally.exposure(b"u1", 50, named(b"other", b"control"));
        let user = tally.user(b"u1").expect("room");
        let mut folded: Vec<(i64, bool)> =
            tally.exposures_of(user).map(|e| (e.t0, e.multi)).collect();
        folded.sort();
        assert_eq!(folded, [(50, false), (100, false)]);
    }

    #[test]
    fn merging_translates_ids_and_detects_arms_split_across_parts() {
        let mut early = Tally::new(&plan());
        early.exposure(b"a", 50, named(b"exp", b"control"));
        let mut late = Tally::new(&plan());
        let event = TrackedEvent {
            tracked: 0,
            insert_id: 1,
            processed: 1,
        };
        late.conversion(b"b", 7, event, &[]);
        late.exposure(b"a", 10, named(b"exp", b"treatment"));
        early.merge(late);
        assert_eq!(early.users.len(), 2);
        let exposure = only_exposure(&early, b"a");
        assert_eq!((exposure.t0, exposure.multi), (10, true));
        assert_eq!(early.conversions[0].user, index_of(&early, b"b"));
    }
}
