//! One arm of one metric reduced to (n, mean, variance), and the two differences every engine
//! starts from: the relative lift L with its delta-method variance, and the absolute difference D
//! (STATISTICS.md section 2). The no-result checks live here too, so every engine refuses the
//! same data for the same reason.

use std::fmt;

use super::no_result::{Degenerate, NoResult};
use crate::domain::metric::MetricKind;

/// Which arm of a comparison a no-result reason is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Control,
    Treatment,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Control => "control",
            Side::Treatment => "treatment",
        })
    }
}

/// Counts are f64 so that 10 million users per arm, squared in Welch's formula, cannot overflow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArmSummary {
    pub kind: MetricKind,
    pub n: f64,
    /// 0 when n = 0 (check [`ArmSummary::is_empty`] before showing it).
    pub mean: f64,
    pub variance: f64,
    /// CUPED's m* = mean - theta * xbar, for one comparison; `variance` is then v*. The lift
    /// divides by the unadjusted `mean` (gbstats 0.8.0).
    pub adjusted_mean: Option<f64>,
    /// A ratio whose denominator sums to 0: R is taken as 0 and not shown.
    pub undefined: bool,
}

impl ArmSummary {
    /// A conversion rate: mean x/n and the population variance mean*(1-mean), as gbstats.
    pub fn proportion(conversions: f64, n: f64) -> Self {
        let mean = if n > 0.0 { conversions / n } else { 0.0 };
        Self {
            kind: MetricKind::Proportion,
            n,
            mean,
            variance: mean * (1.0 - mean),
            adjusted_mean: None,
            undefined: false,
        }
    }

    /// A per-user mean from the sufficient statistics: mean S/n and the sample variance
    /// (Q - S^2/n)/(n-1), taken as 0 for n <= 1 where it is undefined.
    pub fn mean(n: f64, sum: f64, sum_squares: f64) -> Self {
        let mean = if n > 0.0 { sum / n } else { 0.0 };
        let variance = if n > 1.0 {
            (sum_squares - sum * sum / n) / (n - 1.0)
        } else {
            0.0
        };
        Self {
            kind: MetricKind::Mean,
            n,
            mean,
            variance,
            adjusted_mean: None,
            undefined: false,
        }
    }

    /// Section 8's ratio R = S_m / S_d (0 when S_d = 0) with its delta-method variance
    /// V = v_m/md^2 - 2 c_md mm/md^3 + mm^2 v_d/md^4 (0 when md = 0 or n <= 1; not clipped).
    pub fn ratio(n: f64, m: (f64, f64), d: (f64, f64), cross: f64) -> Self {
        let ((sm, qm), (sd, qd)) = (m, d);
        let sample = |q: f64, s1: f64, s2: f64| {
            if n > 1.0 {
                (q - s1 * s2 / n) / (n - 1.0)
            } else {
                0.0
            }
        };
        let (vm, vd, cmd) = (
            sample(qm, sm, sm),
            sample(qd, sd, sd),
            sample(cross, sm, sd),
        );
        let (mm, md) = if n > 0.0 {
            (sm / n, sd / n)
        } else {
            (0.0, 0.0)
        };
        let ratio = if sd == 0.0 { 0.0 } else { sm / sd };
        let variance = if md == 0.0 || n <= 1.0 {
            0.0
        } else {
            vm / (md * md) - 2.0 * cmd * mm / md.powi(3) + mm * mm * vd / md.powi(4)
        };
        Self {
            kind: MetricKind::Ratio,
            n,
            mean: ratio,
            variance,
            adjusted_mean: None,
            undefined: sd == 0.0,
        }
    }

    /// Whether the arm's mean and variance mean anything to show.
    pub fn shows_mean(&self) -> bool {
        !self.is_empty() && !self.undefined
    }

    pub fn is_empty(&self) -> bool {
        self.n <= 0.0
    }

    fn degenerate(&self) -> Degenerate {
        match self.kind {
            MetricKind::Proportion if self.mean <= 0.0 => Degenerate::NoConversions,
            MetricKind::Proportion => Degenerate::AllConverted,
            MetricKind::Mean | MetricKind::Ratio if self.n <= 1.0 => Degenerate::SingleObservation,
            MetricKind::Mean | MetricKind::Ratio => Degenerate::ConstantValues,
        }
    }
}

/// What every engine needs from a control/treatment pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Deltas {
    pub lift: f64,
    pub var_lift: f64,
    pub diff: f64,
    pub var_diff: f64,
    /// Welch-Satterthwaite degrees of freedom.
    pub dof: f64,
    /// n_a + n_b, the sequential test's N.
    pub n_total: f64,
}

/// L, Var(L), D, Var(D) and Welch's dof, or why they do not exist. The first reason that applies
/// wins: an empty arm, then a zero control mean, then zero variance (control first).
pub(crate) fn deltas(a: &ArmSummary, b: &ArmSummary) -> Result<Deltas, NoResult> {
    if a.is_empty() {
        return Err(NoResult::EmptyArm(Side::Control));
    }
    if b.is_empty() {
        return Err(NoResult::EmptyArm(Side::Treatment));
    }
    if a.mean == 0.0 || a.adjusted_mean == Some(0.0) {
        return Err(NoResult::ZeroBaseline(a.kind));
    }
    if a.variance <= 0.0 {
        return Err(NoResult::ZeroVariance(Side::Control, a.degenerate()));
    }
    if b.variance <= 0.0 {
        return Err(NoResult::ZeroVariance(Side::Treatment, b.degenerate()));
    }
    let (ma, mb) = (a.mean, b.mean);
    // Under CUPED the difference is of the adjusted means, over the unadjusted control mean.
    let (adj_a, adj_b) = (a.adjusted_mean.unwrap_or(ma), b.adjusted_mean.unwrap_or(mb));
    let (se2_a, se2_b) = (a.variance / a.n, b.variance / b.n);
    let lift = (adj_b - adj_a) / ma;
    let var_lift = b.variance / (ma * ma * b.n) + a.variance * mb * mb / (ma.powi(4) * a.n);
    let var_diff = se2_b + se2_a;
    // Welch-Satterthwaite, with both squared standard errors scaled by the larger one: the
    // textbook form squares variances that may be tiny and underflows to 0/0.
    let scale = se2_a.max(se2_b);
    let (ra, rb) = (se2_a / scale, se2_b / scale);
    let dof = (ra + rb).powi(2) / (rb * rb / (b.n - 1.0) + ra * ra / (a.n - 1.0));
    let d = Deltas {
        lift,
        var_lift,
        diff: adj_b - adj_a,
        var_diff,
        dof,
        n_total: a.n + b.n,
    };
    let finite = [d.lift, d.var_lift, d.diff, d.var_diff, d.dof]
        .iter()
        .all(|x| x.is_finite());
    if !finite || d.var_lift <= 0.0 || d.var_diff <= 0.0 {
        return Err(NoResult::OutOfRange);
    }
    Ok(d)
}
