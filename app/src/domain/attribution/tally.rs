//! The state kept while lines stream by: one entry per (experiment, exposed user) and one
//! compact record per metric event. Nothing here grows with noise events or file size.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::amount::{Amount, Precision};
use super::interner::{Full, Interner};

/// A user's exposures to one experiment, folded: earliest time, and whether arms disagreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exposure {
    pub t0: i64,
    pub arm: u32,
    pub multi: bool,
}

impl Exposure {
    fn absorb(&mut self, other: Exposure) {
        self.multi |= other.multi || other.arm != self.arm;
        self.t0 = self.t0.min(other.t0);
    }
}

/// One metric event, 32 bytes. `insert_id` is a 64-bit hash of `$insert_id` (0 = absent, never
/// a duplicate): two events of the same user, event and second are told apart by it, and a
/// false match needs a 2^-64 hash collision between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Conversion {
    pub user: u32,
    pub event: u32,
    pub time: i64,
    pub insert_id: u64,
    /// Index of this event's first amount in [`Tally::amounts`], or [`NO_AMOUNTS`].
    pub amounts_at: u64,
}

pub(crate) const NO_AMOUNTS: u64 = u64::MAX;

/// Names (experiments, arms) to dense ids.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    pub list: Vec<String>,
    index: HashMap<String, u32>,
}

impl Names {
    pub fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        // Experiment and arm names are bounded by exposures, far below u32::MAX.
        let id = self.list.len() as u32;
        self.list.push(name.to_owned());
        self.index.insert(name.to_owned(), id);
        id
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    pub users: Interner,
    pub experiments: Names,
    pub arms: Names,
    /// Keyed by `experiment << 32 | user`.
    pub exposures: HashMap<u64, Exposure, BuildHasherDefault<IdHasher>>,
    pub conversions: Vec<Conversion>,
    pub amounts: Vec<Amount>,
    /// Per value metric: the scale its sums need.
    pub precision: Vec<Precision>,
    /// Set when the user interner ran out of ids; the run then fails at the end.
    pub full: bool,
}

impl Tally {
    pub fn new(value_metrics: usize) -> Self {
        Self {
            precision: vec![Precision::default(); value_metrics],
            ..Self::default()
        }
    }

    pub fn user(&mut self, distinct_id: &[u8]) -> Result<u32, Full> {
        let user = self.users.intern(distinct_id);
        self.full |= user.is_err();
        user
    }

    pub fn expose(&mut self, experiment: &str, arm: &str, user: u32, time: i64) {
        let key = u64::from(self.experiments.id(experiment)) << 32 | u64::from(user);
        let seen = Exposure {
            t0: time,
            arm: self.arms.id(arm),
            multi: false,
        };
        self.exposures
            .entry(key)
            .and_modify(|known| known.absorb(seen))
            .or_insert(seen);
    }

    pub fn convert(&mut self, conversion: Conversion) {
        self.conversions.push(conversion);
    }

    /// Merges `later` into `self`, translating its user, experiment and arm ids.
    pub fn merge(&mut self, later: Tally) {
        let mut users = Vec::with_capacity(later.users.len());
        for index in 0..later.users.len() as u32 {
            match self.user(later.users.get(index)) {
                Ok(user) => users.push(user),
                Err(Full) => return,
            }
        }
        let experiments: Vec<u32> = later
            .experiments
            .list
            .iter()
            .map(|n| self.experiments.id(n))
            .collect();
        let arms: Vec<u32> = later.arms.list.iter().map(|n| self.arms.id(n)).collect();
        for (key, exposure) in later.exposures {
            let experiment = experiments[(key >> 32) as usize];
            let user = users[(key & u64::from(u32::MAX)) as usize];
            let exposure = Exposure {
                arm: arms[exposure.arm as usize],
                ..exposure
            };
            self.exposures
                .entry(u64::from(experiment) << 32 | u64::from(user))
                .and_modify(|known| known.absorb(exposure))
                .or_insert(exposure);
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
        for (mine, theirs) in self.precision.iter_mut().zip(later.precision) {
            mine.merge(theirs);
        }
        self.full |= later.full;
    }
}

/// Hasher for internal integer keys (never attacker-chosen: they are dense ids we assigned):
/// murmur3's 64-bit finaliser, much cheaper than SipHash.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)) ^ (self.0 >> 56);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only_exposure(tally: &Tally) -> Exposure {
        *tally.exposures.values().next().expect("one exposure")
    }

    #[test]
    fn the_earliest_exposure_wins_whatever_the_order() {
        let mut tally = Tally::new(0);
        let user = tally.user(b"u1").expect("room");
        tally.expose("exp", "treatment", user, 500);
        tally.expose("exp", "treatment", user, 100);
        tally.expose("exp", "treatment", user, 300);
        let exposure = only_exposure(&tally);
        assert_eq!((exposure.t0, exposure.multi), (100, false));
    }

    #[test]
    fn merging_translates_ids_and_detects_arms_split_across_parts() {
        let mut early = Tally::new(0);
        let a = early.user(b"a").expect("room");
        early.expose("exp", "control", a, 50);
        let mut late = Tally::new(0);
        let b = late.user(b"b").expect("room");
        let a_late = late.user(b"a").expect("room");
        late.expose("exp", "treatment", a_late, 10);
        late.convert(Conversion {
            user: b,
            event: 0,
            time: 7,
            insert_id: 1,
            amounts_at: NO_AMOUNTS,
        });
        early.merge(late);
        assert_eq!(early.users.len(), 2);
        let exposure = only_exposure(&early);
        assert_eq!((exposure.t0, exposure.multi), (10, true));
        assert_eq!(early.users.get(early.conversions[0].user), b"b");
    }
}
