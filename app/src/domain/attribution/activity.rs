//! The times of users' events, kept only for `*` retention ("did anything on day N").
//!
//! Every line of an export is such an event, so this is the one store that grows with events
//! rather than users. Two things keep it small without changing any answer:
//!
//! - each entry is one `u64`, `user << 32 | seconds since a base`, so sorting by the number
//!   sorts by (user, time) (times more than 68 years from the first one go to a side list);
//! - when the list fills up it is sorted and *thinned*: a retention question asks whether a
//!   user has an event in some day-long interval `[a, a + 86400)`, and a time `p` between two
//!   kept times `l <= p <= q` with `q - l < 86400` never changes the answer (an interval that
//!   holds `p` but not `l` starts after `l`, so it reaches past `q`, and holds `q`). Dropping
//!   such middle times leaves at most about two times per user per day of activity.

use super::config::SECONDS_PER_DAY as DAY_SECONDS;

/// Below this many entries the list is never thinned (sorting it costs more than it saves).
const THIN_FROM: usize = 1 << 20;

#[derive(Debug, Clone, Default)]
pub(crate) struct Activity {
    /// `user << 32 | (time - base)`.
    packed: Vec<u64>,
    base: Option<i64>,
    /// (user, time) of times too far from `base` to pack.
    wide: Vec<(u32, i64)>,
}

impl Activity {
    pub fn push(&mut self, user: u32, time: i64) {
        let base = *self.base.get_or_insert(time.saturating_sub(1 << 31));
        match u32::try_from(time.wrapping_sub(base)) {
            Ok(offset) if time >= base => {
                if self.packed.len() == self.packed.capacity() && self.packed.len() >= THIN_FROM {
                    self.thin();
                }
                self.packed.push(u64::from(user) << 32 | u64::from(offset));
            }
            _ => self.wide.push((user, time)),
        }
    }

    /// Sorts and thins the list; when that frees less than a quarter of it, makes room to
    /// double instead, so a run of users with sparse activity is not re-sorted over and over.
    fn thin(&mut self) {
        // The stable sort finds the already sorted prefix and merges the new tail into it.
        self.packed.sort();
        let kept = thin_sorted(&mut self.packed, |entry| {
            (entry >> 32, i64::from(*entry as u32))
        });
        self.packed.truncate(kept);
        if kept > self.packed.capacity() / 4 * 3 {
            self.packed.reserve(self.packed.capacity());
        }
    }

    /// Every (user, time) held, for merging one tally into another.
    pub fn each(&self, mut visit: impl FnMut(u32, i64)) {
        let base = self.base.unwrap_or(0);
        for entry in &self.packed {
            visit((entry >> 32) as u32, base + i64::from(*entry as u32));
        }
        for &(user, time) in &self.wide {
            visit(user, time);
        }
    }

    /// Sorts everything; after this, [`Activity::times`] answers.
    pub fn finish(&mut self) {
        self.thin();
        self.packed.shrink_to_fit();
        self.wide.sort_unstable();
        let kept = thin_sorted(&mut self.wide, |&(user, time)| (u64::from(user), time));
        self.wide.truncate(kept);
    }

    /// The (thinned) times of `user`, in no particular order; `cursor` carries the position
    /// between calls, which must come in increasing user order after [`Activity::finish`].
    pub fn times(&self, user: u32, cursor: &mut (usize, usize), out: &mut Vec<i64>) {
        out.clear();
        let base = self.base.unwrap_or(0);
        let key = u64::from(user);
        let packed = &self.packed[cursor.0..];
        let start = packed.partition_point(|entry| entry >> 32 < key);
        let end = packed.partition_point(|entry| entry >> 32 <= key);
        out.extend(
            packed[start..end]
                .iter()
                .map(|entry| base + i64::from(*entry as u32)),
        );
        cursor.0 += end;
        let wide = &self.wide[cursor.1..];
        let start = wide.partition_point(|entry| entry.0 < user);
        let end = wide.partition_point(|entry| entry.0 <= user);
        out.extend(wide[start..end].iter().map(|entry| entry.1));
        cursor.1 += end;
    }

    /// Entries held (after thinning so far).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.packed.len() + self.wide.len()
    }
}

/// Thins a list sorted by (user, time) in place, keeping each user's first and last time and
/// any time whose neighbours are a day or more apart; returns how many entries were kept.
fn thin_sorted<T: Copy>(list: &mut [T], key: impl Fn(&T) -> (u64, i64)) -> usize {
    let mut kept = 0;
    for at in 0..list.len() {
        let (user, _) = key(&list[at]);
        let redundant = kept > 0 && at + 1 < list.len() && {
            let (last_user, last_time) = key(&list[kept - 1]);
            let (next_user, next_time) = key(&list[at + 1]);
            last_user == user && next_user == user && next_time - last_time < DAY_SECONDS
        };
        if !redundant {
            list[kept] = list[at];
            kept += 1;
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether some time lies in `[from, from + DAY)`.
    fn any_in_day(times: &[i64], from: i64) -> bool {
        times.iter().any(|&t| from <= t && t < from + DAY_SECONDS)
    }

    #[test]
    fn thinning_never_changes_whether_a_day_has_activity() {
        // A deterministic scatter: bursts, exact day gaps, duplicates, two users interleaved.
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as i64
        };
        let mut raw: Vec<(u32, i64)> = Vec::new();
        for _ in 0..4000 {
            let user = (next() % 3) as u32;
            let time = 1_700_000_000 + next() % (20 * DAY_SECONDS);
            raw.push((user, time));
        }
        for edge in [0, DAY_SECONDS - 1, DAY_SECONDS, 2 * DAY_SECONDS] {
            raw.push((3, 1_700_000_000 + edge));
        }
        let mut activity = Activity::default();
        for &(user, time) in &raw {
            activity.push(user, time);
        }
        activity.finish();
        assert!(activity.len() < raw.len(), "thinning dropped nothing");
        let mut cursor = (0, 0);
        let mut kept = Vec::new();
        for user in 0..4u32 {
            activity.times(user, &mut cursor, &mut kept);
            let all: Vec<i64> = raw.iter().filter(|r| r.0 == user).map(|r| r.1).collect();
            let first = all.iter().min().copied().unwrap_or(0);
            for from in (first - DAY_SECONDS..first + 22 * DAY_SECONDS).step_by(997) {
                assert_eq!(
                    any_in_day(&kept, from),
                    any_in_day(&all, from),
                    "{user} {from}"
                );
            }
            for &t in &all {
                for from in [t - DAY_SECONDS, t - DAY_SECONDS + 1, t, t + 1] {
                    assert_eq!(
                        any_in_day(&kept, from),
                        any_in_day(&all, from),
                        "{user} {from}"
                    );
                }
            }
        }
    }

    #[test]
    fn times_far_from_the_first_are_kept_exactly() {
        let mut activity = Activity::default();
        activity.push(0, 1_700_000_000);
        activity.push(0, 1_700_000_000 + (1 << 33));
        activity.push(1, -5_000_000_000);
        activity.push(1, 1_700_000_100);
        activity.finish();
        let (mut cursor, mut out) = ((0, 0), Vec::new());
        activity.times(0, &mut cursor, &mut out);
        out.sort_unstable();
        assert_eq!(out, [1_700_000_000, 1_700_000_000 + (1 << 33)]);
        activity.times(1, &mut cursor, &mut out);
        out.sort_unstable();
        assert_eq!(out, [-5_000_000_000, 1_700_000_100]);
    }
}
