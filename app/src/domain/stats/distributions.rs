//! The distribution functions the engine needs, on statrs. Student's t needs care: statrs computes
//! it through the incomplete beta function at h = dof / (dof + t^2), which rounds towards 1 when
//! the degrees of freedom reach the millions (10 million users per arm gives dof ~ 2e7), so its
//! tail probabilities lose digits there and its quantile does not even terminate. Above
//! [`LARGE_DOF`] we use the Cornish-Fisher expansion of the t quantile around the normal one
//! (Abramowitz & Stegun 26.7.5), whose relative error is about 1e-10 at dof = 1000 and shrinks as
//! dof^-5 above, and invert it for tail probabilities.

use statrs::distribution::{Continuous, ContinuousCDF, Normal, StudentsT};

/// Where the expansion takes over from statrs: both are accurate to about 1e-10 here (statrs to
/// 1e-13, the fourth-order expansion to 5e-11, its next term being of order z^11 / dof^5).
const LARGE_DOF: f64 = 1000.0;

pub(crate) fn normal_cdf(x: f64) -> f64 {
    Normal::standard().cdf(x)
}

pub(crate) fn normal_pdf(x: f64) -> f64 {
    Normal::standard().pdf(x)
}

/// z_q, the exact standard normal quantile (z_0.975 = 1.959963984540054, not 1.96).
pub(crate) fn normal_quantile(q: f64) -> f64 {
    Normal::standard().inverse_cdf(q)
}

/// The z with P(Z > z) = p. Computed from the lower tail so that a tiny p keeps its digits
/// (1 - p would round to 1 for p below 1e-16).
pub(crate) fn normal_upper_quantile(p: f64) -> f64 {
    -normal_quantile(p)
}

/// statrs' t for moderate dof; `dof` is positive and finite by construction at every call site
/// (Welch's dof lies between min(n_a, n_b) - 1 >= 1 and n_a + n_b - 2).
fn moderate_t(dof: f64) -> StudentsT {
    StudentsT::new(0.0, 1.0, dof).expect("Welch dof is finite and at least 1")
}

/// P(T > x) for Student's t with `dof` degrees of freedom.
pub(crate) fn t_sf(x: f64, dof: f64) -> f64 {
    if dof < LARGE_DOF {
        moderate_t(dof).sf(x)
    } else {
        Normal::standard().sf(normal_from_t(x, dof))
    }
}

/// The t with P(T > t) = p.
pub(crate) fn t_upper_quantile(p: f64, dof: f64) -> f64 {
    if dof < LARGE_DOF {
        -moderate_t(dof).inverse_cdf(p)
    } else {
        cornish_fisher(normal_upper_quantile(p), dof)
    }
}

/// A&S 26.7.5: the t quantile as a series in 1/dof around the normal quantile `z`.
fn cornish_fisher(z: f64, dof: f64) -> f64 {
    let (value, _) = cornish_fisher_with_slope(z, dof);
    value
}

/// The series and its derivative in z (for Newton's method in [`normal_from_t`]).
fn cornish_fisher_with_slope(z: f64, dof: f64) -> (f64, f64) {
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g1d = (3.0 * z2 + 1.0) / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g2d = ((25.0 * z2 + 48.0) * z2 + 3.0) / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g3d = (((21.0 * z2 + 95.0) * z2 + 51.0) * z2 - 15.0) / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    let g4d = ((((711.0 * z2 + 5432.0) * z2 + 7410.0) * z2 - 5760.0) * z2 - 945.0) / 92160.0;
    let v = 1.0 / dof;
    let value = z + v * (g1 + v * (g2 + v * (g3 + v * g4)));
    let slope = 1.0 + v * (g1d + v * (g2d + v * (g3d + v * g4d)));
    (value, slope)
}

/// The z whose Cornish-Fisher image is `t`, so that P(T > t) = P(Z > z). The series is odd and
/// increasing in z for dof >= LARGE_DOF, so Newton's method from z = t converges in a few steps.
fn normal_from_t(t: f64, dof: f64) -> f64 {
    let mut z = t;
    for _ in 0..50 {
        let (value, slope) = cornish_fisher_with_slope(z, dof);
        let step = (value - t) / slope;
        z -= step;
        if step.abs() <= 1e-15 * (1.0 + z.abs()) {
            break;
        }
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_are_exact_not_rounded() {
        assert!((normal_upper_quantile(0.025) - 1.959963984540054).abs() < 1e-15);
        assert!((normal_quantile(0.8) - 0.8416212335729143).abs() < 1e-15);
    }

    #[test]
    fn the_expansion_and_statrs_agree_where_they_meet() {
        for x in [0.3, 1.96, 2.5, 4.0] {
            let below = moderate_t(LARGE_DOF).sf(x);
            let above = Normal::standard().sf(normal_from_t(x, LARGE_DOF));
            assert!(
                (below - above).abs() <= 1e-9 * below,
                "x = {x}: {below} vs {above}"
            );
        }
    }
}
