//! A/A simulation: what daily peeking does to the false-positive rate, and why the sequential
//! test exists. 2,000 simulated experiments where both arms are identical (1,000 users per arm
//! per day, 10% conversion, 28 days); someone looks every day and stops at the first p < 0.05.
//! Every "significant" result is therefore a false positive.
//!
//! Run with `cargo run -p app --release --example aa_simulation`. The seed is fixed, so the
//! numbers are the same on every run; the process exits with status 1 if the sequential test's
//! rate exceeds alpha, which would mean its always-valid guarantee is broken.

use std::process::ExitCode;

use app::domain::stats::{sequential, welch, Alpha, ArmSummary, Tuning};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TESTS: u32 = 2_000;
const DAYS: u32 = 28;
const USERS_PER_DAY_PER_ARM: u32 = 1_000;
const RATE: f64 = 0.10;
const SEED: u64 = 20_261_121;

/// How many of the simulated A/A tests each stopping rule declared a winner.
#[derive(Default)]
struct FalsePositives {
    fixed_peeking: u32,
    sequential_peeking: u32,
    fixed_once_at_the_end: u32,
}

fn main() -> ExitCode {
    let alpha = Alpha::FIVE_PERCENT;
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut found = FalsePositives::default();
    for _ in 0..TESTS {
        let (mut fixed_stopped, mut sequential_stopped) = (false, false);
        let mut conversions = [0u64; 2];
        let mut users = 0u64;
        for day in 1..=DAYS {
            for arm in &mut conversions {
                *arm += conversions_today(&mut rng);
            }
            users += u64::from(USERS_PER_DAY_PER_ARM);
            let control = ArmSummary::proportion(conversions[0] as f64, users as f64);
            let treatment = ArmSummary::proportion(conversions[1] as f64, users as f64);
            let fixed_p = welch(&control, &treatment, alpha).map(|r| r.relative.p_value);
            let sequential_p = sequential(&control, &treatment, alpha, Tuning::DEFAULT)
                .map(|r| r.relative.p_value);
            fixed_stopped |= fixed_p.is_ok_and(|p| p < alpha.get());
            sequential_stopped |= sequential_p.is_ok_and(|p| p < alpha.get());
            if day == DAYS && fixed_p.is_ok_and(|p| p < alpha.get()) {
                found.fixed_once_at_the_end += 1;
            }
        }
        found.fixed_peeking += u32::from(fixed_stopped);
        found.sequential_peeking += u32::from(sequential_stopped);
    }
    report(&found, alpha)
}

/// Binomial(users, RATE) draws, one Bernoulli per user: exact, and fast enough at this scale.
fn conversions_today(rng: &mut StdRng) -> u64 {
    (0..USERS_PER_DAY_PER_ARM)
        .filter(|_| rng.gen_bool(RATE))
        .count() as u64
}

fn report(found: &FalsePositives, alpha: Alpha) -> ExitCode {
    let rate = |count: u32| f64::from(count) / f64::from(TESTS);
    // Binomial standard error of a rate near alpha, to read the numbers against.
    let se = (alpha.get() * (1.0 - alpha.get()) / f64::from(TESTS)).sqrt();
    println!(
        "A/A simulation: {TESTS} tests, {DAYS} daily looks, {USERS_PER_DAY_PER_ARM} users/day/arm, \
         {:.0}% conversion, alpha {}, seed {SEED}",
        RATE * 100.0,
        alpha.get()
    );
    println!(
        "false-positive rate, stopping at the first p < {}:",
        alpha.get()
    );
    let lines = [
        ("fixed-horizon (Welch), peeking daily", found.fixed_peeking),
        (
            "sequential (N* = 5000), peeking daily",
            found.sequential_peeking,
        ),
        (
            "fixed-horizon, one look on day 28",
            found.fixed_once_at_the_end,
        ),
    ];
    for (rule, count) in lines {
        println!(
            "  {rule:<40} {:>5.1}%  ({count} of {TESTS})",
            rate(count) * 100.0
        );
    }
    println!(
        "  (binomial standard error at {:.0}%: {:.1} points)",
        alpha.get() * 100.0,
        se * 100.0
    );
    if rate(found.sequential_peeking) > alpha.get() {
        println!("FAIL: the sequential test's false-positive rate is above alpha");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
