//! Login rate limits, per account and per client address, with `governor` (GCRA, keyed, no
//! background task; a well-kept crate rather than our own counters). Checked before the
//! password is hashed, so a flood also cannot burn the CPU on argon2.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginLimiter {
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<String>,
}

/// `burst` attempts at once, then one more every `every`.
fn quota(burst: u32, every: Duration) -> Quota {
    Quota::with_period(every)
        .expect("a non-zero period")
        .allow_burst(NonZeroU32::new(burst).expect("a non-zero burst"))
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self {
            // Five tries for one account, then one every 30 s: slow for a guesser, invisible to
            // a person who mistyped twice.
            per_account: RateLimiter::keyed(quota(5, Duration::from_secs(30))),
            // An office behind one address gets more room, but not a dictionary attack.
            per_address: RateLimiter::keyed(quota(30, Duration::from_secs(2))),
        }
    }
}

impl LoginLimiter {
    /// Ok, or how long to wait before the next attempt.
    pub fn check(&self, email: &str, address: &str) -> Result<(), Duration> {
        let now = DefaultClock::default().now();
        let account = self
            .per_account
            .check_key(&email.trim().to_lowercase())
            .map_err(|not_until| not_until.wait_time_from(now));
        let address = self
            .per_address
            .check_key(&address.to_owned())
            .map_err(|not_until| not_until.wait_time_from(now));
        account.and(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_quick_attempt_on_one_account_waits() {
        let limiter = LoginLimiter::default();
        for _ in 0..5 {
            assert!(limiter.check("ana@example.com", "10.0.0.1").is_ok());
        }
        let wait = limiter.check("ANA@example.com", "10.0.0.2").unwrap_err();
        assert!(wait > Duration::from_secs(20) && wait <= Duration::from_secs(30));
        assert!(
            limiter.check("bob@example.com", "10.0.0.1").is_ok(),
            "other accounts are unaffected"
        );
    }

    #[test]
    fn one_address_trying_many_accounts_is_limited() {
        let limiter = LoginLimiter::default();
        for i in 0..30 {
            assert!(limiter
                .check(&format!("user{i}@example.com"), "10.0.0.9")
                .is_ok());
        }
        assert!(limiter.check("user99@example.com", "10.0.0.9").is_err());
    }
}
