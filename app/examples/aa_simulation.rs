//! A/A simulation: what daily peeking does to the false-positive rate, and why the sequential
//! test exists. 2,000 simulated experiments where both arms are identical (1,000 users per arm
//! per day, 10% conversion, 28 days); someone looks every day and stops at the first p < 0.05.
//! Every "significant" result is therefore a false positive.
//!
//! The second part does the same for CUPED (STATISTICS.md section 9): a revenue-like metric
//! whose pre-exposure value correlates with the post-exposure one at rho = 0.5. With one look at
//! the end, the regression-adjusted test must keep the false-positive rate at alpha; on a real
//! effect, it must reach 80% power in fewer days than the unadjusted test (about 1 - rho^2 =
//! 75% of them).
//!
//! Run with `cargo run -p app --release --example aa_simulation`. The seed is fixed, so the
//! numbers are the same on every run; the process exits with status 1 if the sequential test's
//! or CUPED's rate exceeds alpha by more than sampling noise, which would mean a guarantee is
//! broken, or if CUPED needs more days than the plain test.

use std::process::ExitCode;

use std::collections::BTreeMap;

use app::domain::metric::{Direction, MetricKind, MetricRole};
use app::domain::stats::{
    self, sequential, welch, Alpha, AnalyzeRequest, ArmInput, ArmSummary, ArmValues,
    CovariateInput, MetricInput, Tuning,
};
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
    let peeking = report(&found, alpha);
    let cuped = cuped_simulation(&mut rng, alpha);
    if peeking && cuped {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// CUPED's part: per-user pre values x ~ N(10, 3^2) and post y = 10 + rho (x - 10) +
/// sqrt(1 - rho^2) e, e ~ N(0, 3^2), so corr(x, y) = rho.
const CUPED_TESTS: u32 = 1_000;
const CUPED_USERS_PER_DAY_PER_ARM: u32 = 500;
const RHO: f64 = 0.5;
/// Per-user absolute effect in the A/B part: the plain test needs about three weeks for 80%.
const EFFECT: f64 = 0.12;

/// Running sums of one arm: n, sum y, sum y^2, sum x, sum x^2, sum x y.
#[derive(Default, Clone, Copy)]
struct Sums {
    n: u64,
    y: f64,
    yy: f64,
    x: f64,
    xx: f64,
    xy: f64,
}

impl Sums {
    fn add(&mut self, x: f64, y: f64) {
        self.n += 1;
        self.y += y;
        self.yy += y * y;
        self.x += x;
        self.xx += x * x;
        self.xy += x * y;
    }

    fn values(&self, cuped: bool) -> ArmValues {
        ArmValues::mean(self.n, self.y, self.yy).with_covariate(cuped.then_some(CovariateInput {
            sum: self.x,
            sum_squares: self.xx,
            cross_sum: self.xy,
        }))
    }
}

/// The fixed-horizon p-value of a two-arm mean metric, with or without the covariate.
fn p_value(arms: &[Sums; 2], cuped: bool, alpha: Alpha) -> Option<f64> {
    let names = ["control", "treatment"];
    let values: BTreeMap<String, ArmValues> = names
        .iter()
        .zip(arms)
        .map(|(name, s)| (name.to_string(), s.values(cuped)))
        .collect();
    let mut request = AnalyzeRequest::new(
        names
            .iter()
            .zip(arms)
            .map(|(name, s)| ArmInput::new(*name, s.n, 1.0))
            .collect(),
        vec![MetricInput {
            name: "revenue".into(),
            role: MetricRole::Primary,
            kind: MetricKind::Mean,
            direction: Direction::Increase,
            values,
        }],
    );
    request.alpha = alpha.get();
    let response = stats::analyze(&request).ok()?;
    response.metrics[0].comparisons[0].estimate()?.p_value()
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Returns whether CUPED kept its promises.
fn cuped_simulation(rng: &mut StdRng, alpha: Alpha) -> bool {
    let mut aa = [0u32; 2]; // false positives at the end: plain, CUPED
    let mut significant_by_day = [[0u32; DAYS as usize]; 2]; // A/B: plain, CUPED
    for _ in 0..CUPED_TESTS {
        for (effect, is_aa) in [(0.0, true), (EFFECT, false)] {
            let mut arms = [Sums::default(); 2];
            for day in 1..=DAYS {
                for (i, arm) in arms.iter_mut().enumerate() {
                    for _ in 0..CUPED_USERS_PER_DAY_PER_ARM {
                        let x = 10.0 + 3.0 * normal(rng);
                        let e = 3.0 * normal(rng);
                        let lift = if i == 1 { effect } else { 0.0 };
                        let y = 10.0 + RHO * (x - 10.0) + (1.0 - RHO * RHO).sqrt() * e + lift;
                        arm.add(x, y);
                    }
                }
                if is_aa && day < DAYS {
                    continue;
                }
                for (k, cuped) in [false, true].into_iter().enumerate() {
                    let hit = p_value(&arms, cuped, alpha).is_some_and(|p| p < alpha.get());
                    if is_aa {
                        aa[k] += u32::from(hit);
                    } else {
                        significant_by_day[k][(day - 1) as usize] += u32::from(hit);
                    }
                }
            }
        }
    }
    let rate = |c: u32| f64::from(c) / f64::from(CUPED_TESTS);
    let se = (alpha.get() * (1.0 - alpha.get()) / f64::from(CUPED_TESTS)).sqrt();
    println!();
    println!(
        "CUPED: {CUPED_TESTS} tests, {CUPED_USERS_PER_DAY_PER_ARM} users/day/arm, pre/post correlation {RHO}, one look on day {DAYS}"
    );
    println!(
        "  A/A false-positive rate, plain                 {:>5.1}%  ({} of {CUPED_TESTS})",
        rate(aa[0]) * 100.0,
        aa[0]
    );
    println!(
        "  A/A false-positive rate, CUPED                 {:>5.1}%  ({} of {CUPED_TESTS})",
        rate(aa[1]) * 100.0,
        aa[1]
    );
    let first_day = |k: usize| {
        significant_by_day[k]
            .iter()
            .position(|&c| rate(c) >= 0.8)
            .map(|d| d + 1)
    };
    let (plain_days, cuped_days) = (first_day(0), first_day(1));
    let show = |d: Option<usize>| d.map_or_else(|| format!("more than {DAYS}"), |d| d.to_string());
    println!(
        "  days to 80% power on a +{EFFECT} effect: plain {}, CUPED {} (1 - rho^2 = {:.0}% of the users)",
        show(plain_days),
        show(cuped_days),
        (1.0 - RHO * RHO) * 100.0
    );
    let mut ok = true;
    // Three standard errors above alpha is beyond sampling noise.
    if rate(aa[1]) > alpha.get() + 3.0 * se {
        println!("FAIL: CUPED's false-positive rate is above alpha");
        ok = false;
    }
    if cuped_days.unwrap_or(usize::MAX) >= plain_days.unwrap_or(usize::MAX) {
        println!("FAIL: CUPED did not reach the power in fewer days");
        ok = false;
    }
    ok
}

/// Binomial(users, RATE) draws, one Bernoulli per user: exact, and fast enough at this scale.
fn conversions_today(rng: &mut StdRng) -> u64 {
    (0..USERS_PER_DAY_PER_ARM)
        .filter(|_| rng.gen_bool(RATE))
        .count() as u64
}

/// Prints the peeking rates; false when the sequential test broke its guarantee.
fn report(found: &FalsePositives, alpha: Alpha) -> bool {
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
        return false;
    }
    true
}
