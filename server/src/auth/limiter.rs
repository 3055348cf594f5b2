//! Login rate limits with `governor` (GCRA, keyed; a well-kept crate rather than our own
//! counters). Checked before the password is hashed, so a flood also cannot burn the CPU on
//! argon2. Three limits:
//! - per account and address: five tries, then one every 30 s (a person who mistyped twice
//!   never notices; a guesser from one machine is slowed to 120 an hour);
//! - per address: an office behind one address gets room, a dictionary attack across
//!   accounts does not;
//! - per account from everywhere: caps a guesser spread over many addresses. It does not
//!   apply from an address the account last signed in from successfully, so an attacker
//!   hammering someone's email cannot lock the real owner out.
//!
//! The keyed maps are bounded: pruned of idle keys every minute (`spawn_pruning`), and capped
//! at `MAX_KEYS` each, beyond which new keys are refused until pruning frees room.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Keys per map at most (each costs well under 100 bytes: emails are at most 254 bytes and
/// are refused before they get here when longer).
pub const MAX_KEYS: usize = 100_000;

pub struct LoginLimiter {
    per_account_address: DefaultKeyedRateLimiter<(String, String)>,
    per_address: DefaultKeyedRateLimiter<String>,
    per_account: DefaultKeyedRateLimiter<String>,
    /// The address each account last signed in from successfully.
    known: Mutex<HashMap<String, String>>,
    max_keys: usize,
}

/// Why a sign-in attempt may not be checked now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// Try again after this long.
    Wait(Duration),
    /// Too many different accounts or addresses are trying at once; try again shortly.
    Full,
}

/// `burst` attempts at once, then one more every `every`.
fn quota(burst: u32, every: Duration) -> Quota {
    Quota::with_period(every)
        .expect("a non-zero period")
        .allow_burst(NonZeroU32::new(burst).expect("a non-zero burst"))
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::with_capacity(MAX_KEYS)
    }
}

impl LoginLimiter {
    /// A limiter holding at most `max_keys` keys per map.
    pub fn with_capacity(max_keys: usize) -> Self {
        Self {
            per_account_address: RateLimiter::keyed(quota(5, Duration::from_secs(30))),
            per_address: RateLimiter::keyed(quota(30, Duration::from_secs(2))),
            per_account: RateLimiter::keyed(quota(50, Duration::from_secs(10))),
            known: Mutex::new(HashMap::new()),
            max_keys,
        }
    }
}

fn account_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl LoginLimiter {
    /// Ok, or why not now.
    pub fn check(&self, email: &str, address: &str) -> Result<(), Limited> {
        if self.len() >= self.max_keys {
            self.prune();
            if self.len() >= self.max_keys {
                return Err(Limited::Full);
            }
        }
        let now = DefaultClock::default().now();
        let wait = |r: Result<(), governor::NotUntil<_>>| {
            r.map_err(|not_until| Limited::Wait(not_until.wait_time_from(now)))
        };
        let account = account_key(email);
        let known_address = self
            .known
            .lock()
            .map(|k| k.get(&account).is_some_and(|a| a == address))
            .unwrap_or(false);
        let pair = wait(
            self.per_account_address
                .check_key(&(account.clone(), address.to_owned())),
        );
        let from_address = wait(self.per_address.check_key(&address.to_owned()));
        let everywhere = if known_address {
            Ok(())
        } else {
            wait(self.per_account.check_key(&account))
        };
        pair.and(from_address).and(everywhere)
    }

    /// Remembers where an account signed in from, so others' failures cannot lock it out.
    pub fn signed_in(&self, email: &str, address: &str) {
        if let Ok(mut known) = self.known.lock() {
            if known.len() >= self.max_keys {
                known.clear();
            }
            known.insert(account_key(email), address.to_owned());
        }
    }

    /// Keys held across the limit maps (the largest of them).
    pub fn len(&self) -> usize {
        self.per_account_address
            .len()
            .max(self.per_address.len())
            .max(self.per_account.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets keys whose limits have fully recovered (they would behave as new ones anyway).
    pub fn prune(&self) {
        self.per_account_address.retain_recent();
        self.per_address.retain_recent();
        self.per_account.retain_recent();
        self.per_account_address.shrink_to_fit();
        self.per_address.shrink_to_fit();
        self.per_account.shrink_to_fit();
    }
}

/// Prunes the limiter's maps every minute for as long as the server runs.
pub fn spawn_pruning(limiter: Arc<LoginLimiter>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            limiter.prune();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waits(r: Result<(), Limited>) -> Duration {
        match r {
            Err(Limited::Wait(d)) => d,
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    #[test]
    fn the_sixth_quick_attempt_on_one_account_from_one_address_waits() {
        let limiter = LoginLimiter::default();
        for _ in 0..5 {
            assert!(limiter.check("ana@example.com", "10.0.0.1").is_ok());
        }
        let wait = waits(limiter.check("ANA@example.com", "10.0.0.1"));
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

    #[test]
    fn a_guesser_on_many_addresses_is_capped_but_the_owner_still_signs_in() {
        let limiter = LoginLimiter::default();
        limiter.signed_in("ana@example.com", "192.168.1.20");
        for i in 0..60 {
            let _ = limiter.check("ana@example.com", &format!("203.0.113.{i}"));
        }
        assert!(
            limiter.check("ana@example.com", "203.0.113.200").is_err(),
            "a new address is capped after the account-wide burst"
        );
        assert!(
            limiter.check("ana@example.com", "192.168.1.20").is_ok(),
            "the owner's own address is not locked out by others' failures"
        );
    }

    #[test]
    fn the_maps_stop_growing_at_their_cap() {
        let limiter = LoginLimiter::with_capacity(10);
        for i in 0..10 {
            assert!(limiter
                .check(&format!("u{i}@example.com"), &format!("10.1.0.{i}"))
                .is_ok());
        }
        assert_eq!(
            limiter.check("new@example.com", "10.2.0.1"),
            Err(Limited::Full),
            "keys still limiting someone are kept, so a new one is refused"
        );
        assert!(limiter.len() <= 10);
    }
}
