//! The export API's hourly query budget, kept per workspace (one Mixpanel project): every
//! request Verdict sends is written down, and the schedule waits while the last hour is full or
//! Mixpanel said to wait, instead of spending queries on requests bound to get a 429. A pull
//! already under way keeps its own short retry policy (a few attempts seconds apart, giving up
//! with Mixpanel's words); it is the next scheduled pull that waits for the hour to have room.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Mixpanel's Raw Event Export API allows 60 queries per hour per project.
pub const QUERIES_PER_HOUR: usize = 60;
const HOUR: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub struct QueryBudget {
    inner: Arc<Mutex<Ledger>>,
}

#[derive(Debug)]
struct Ledger {
    limit: usize,
    sent: VecDeque<Instant>,
    /// Set by a 429: no scheduled request before this.
    hold_until: Option<Instant>,
}

impl Default for QueryBudget {
    fn default() -> Self {
        Self::new(QUERIES_PER_HOUR)
    }
}

impl QueryBudget {
    pub fn new(limit: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Ledger {
                limit: limit.max(1),
                sent: VecDeque::new(),
                hold_until: None,
            })),
        }
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        // A panic while holding the lock leaves the ledger consistent (pushes and pops only).
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes down one request sent at `at`.
    pub fn record(&self, at: Instant) {
        let mut ledger = self.ledger();
        ledger.sent.push_back(at);
        forget_before(&mut ledger.sent, at);
    }

    /// Mixpanel answered 429 at `at`: wait for its `Retry-After`, or else until the oldest
    /// request of the last hour leaves the window (Mixpanel counts the hour, not us).
    pub fn limited(&self, at: Instant, retry_after: Option<Duration>) {
        let mut ledger = self.ledger();
        forget_before(&mut ledger.sent, at);
        let until = match retry_after {
            Some(wait) => at + wait,
            None => ledger.sent.front().map_or(at + HOUR, |first| *first + HOUR),
        };
        ledger.hold_until = Some(ledger.hold_until.map_or(until, |held| held.max(until)));
    }

    /// None when a request may go at `now`; else the instant from which one may.
    pub fn next_room(&self, now: Instant) -> Option<Instant> {
        let mut ledger = self.ledger();
        forget_before(&mut ledger.sent, now);
        let full = (ledger.sent.len() >= ledger.limit).then(|| {
            let oldest = ledger.sent[ledger.sent.len() - ledger.limit];
            oldest + HOUR
        });
        let held = ledger.hold_until.filter(|until| *until > now);
        match (full, held) {
            (None, None) => None,
            (a, b) => a.max(b),
        }
    }

    /// Requests sent in the hour before `now`.
    pub fn used(&self, now: Instant) -> usize {
        let mut ledger = self.ledger();
        forget_before(&mut ledger.sent, now);
        ledger.sent.len()
    }
}

fn forget_before(sent: &mut VecDeque<Instant>, now: Instant) {
    while sent
        .front()
        .is_some_and(|first| now.saturating_duration_since(*first) >= HOUR)
    {
        sent.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_hour_waits_until_its_oldest_request_leaves_the_window() {
        let budget = QueryBudget::new(3);
        let t0 = Instant::now();
        for minute in [0, 10, 20] {
            budget.record(t0 + Duration::from_secs(minute * 60));
        }
        let now = t0 + Duration::from_secs(30 * 60);
        assert_eq!(budget.used(now), 3);
        assert_eq!(budget.next_room(now), Some(t0 + HOUR));
        assert_eq!(
            budget.next_room(t0 + HOUR),
            None,
            "the first left the window"
        );
    }

    #[test]
    fn a_429_holds_the_schedule_for_its_retry_after_or_the_hour() {
        let budget = QueryBudget::new(60);
        let t0 = Instant::now();
        budget.record(t0);
        budget.limited(t0, Some(Duration::from_secs(90)));
        assert_eq!(budget.next_room(t0), Some(t0 + Duration::from_secs(90)));
        assert_eq!(budget.next_room(t0 + Duration::from_secs(90)), None);
        // Without Retry-After: until the hour of the oldest request has passed.
        let later = t0 + Duration::from_secs(120);
        budget.limited(later, None);
        assert_eq!(budget.next_room(later), Some(t0 + HOUR));
    }
}
