//! Invariants that must hold for any data, checked on random inputs: the reference table pins
//! the numbers at chosen points, these pin the shape of the maths everywhere between them.

use proptest::prelude::*;

use super::*;
use crate::domain::metric::{Correction, Direction};

/// A proportion arm with enough users and a rate away from 0 and 1, so a result exists.
fn proportion_arm() -> impl Strategy<Value = ArmSummary> {
    (20u64..2_000_000, 0.01f64..0.99).prop_map(|(n, rate)| {
        let conversions = ((n as f64 * rate).round()).clamp(1.0, n as f64 - 1.0);
        ArmSummary::proportion(conversions, n as f64)
    })
}

/// A mean arm built from a mean and a positive standard deviation.
fn mean_arm() -> impl Strategy<Value = ArmSummary> {
    (2u64..1_000_000, 0.1f64..500.0, 0.01f64..1000.0).prop_map(|(n, mean, sd)| {
        let n_f = n as f64;
        ArmSummary::mean(n_f, mean * n_f, sd * sd * (n_f - 1.0) + n_f * mean * mean)
    })
}

fn arm_pair() -> impl Strategy<Value = (ArmSummary, ArmSummary)> {
    prop_oneof![
        (proportion_arm(), proportion_arm()),
        (mean_arm(), mean_arm())
    ]
}

fn alpha() -> impl Strategy<Value = Alpha> {
    (0.001f64..0.3).prop_map(|a| Alpha::new(a).expect("in (0, 1)"))
}

fn p_values() -> impl Strategy<Value = Vec<Option<f64>>> {
    prop::collection::vec(prop::option::weighted(0.8, 0.0f64..=1.0), 0..12)
}

fn near(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

proptest! {
    #[test]
    fn swapping_the_arms_negates_the_difference_and_keeps_its_p_value((a, b) in arm_pair(), alpha in alpha()) {
        let ab = welch(&a, &b, alpha).expect("result");
        let ba = welch(&b, &a, alpha).expect("result");
        prop_assert_eq!(ab.absolute.estimate, -ba.absolute.estimate);
        prop_assert!(near(ab.absolute.ci_low, -ba.absolute.ci_high, 1e-12));
        prop_assert!(near(ab.absolute.p_value, ba.absolute.p_value, 1e-9));
        let tuning = Tuning::DEFAULT;
        let sab = sequential(&a, &b, alpha, tuning).expect("result");
        let sba = sequential(&b, &a, alpha, tuning).expect("result");
        prop_assert!(near(sab.absolute.ci_high, -sba.absolute.ci_low, 1e-12));
        prop_assert!(near(sab.absolute.p_value, sba.absolute.p_value, 1e-9));
    }

    #[test]
    fn every_interval_contains_its_estimate((a, b) in arm_pair(), alpha in alpha(), prior_sd in 0.01f64..1.0) {
        let f = welch(&a, &b, alpha).expect("result");
        prop_assert!(f.relative.contains(f.relative.estimate) && f.absolute.contains(f.absolute.estimate));
        let s = sequential(&a, &b, alpha, Tuning::DEFAULT).expect("result");
        prop_assert!(s.relative.contains(s.relative.estimate) && s.absolute.contains(s.absolute.estimate));
        // The sequential interval pays for its validity at every look with width.
        prop_assert!(s.relative.ci_high - s.relative.ci_low >= f.relative.ci_high - f.relative.ci_low);
        let prior = Prior::new(0.0, prior_sd);
        for p in [None, prior] {
            let post = bayesian(&a, &b, alpha, p, Direction::Increase).expect("result");
            prop_assert!(post.ci_low <= post.lift && post.lift <= post.ci_high);
            prop_assert!((0.0..=1.0).contains(&post.chance_to_win));
            prop_assert!(post.risk_control >= 0.0 && post.risk_treatment >= 0.0);
        }
    }

    #[test]
    fn a_decrease_metric_flips_the_chance_to_win_and_swaps_the_risks((a, b) in arm_pair()) {
        let up = bayesian(&a, &b, Alpha::FIVE_PERCENT, None, Direction::Increase).expect("result");
        let down = bayesian(&a, &b, Alpha::FIVE_PERCENT, None, Direction::Decrease).expect("result");
        prop_assert!(near(up.chance_to_win + down.chance_to_win, 1.0, 1e-12));
        prop_assert_eq!((up.risk_control, up.risk_treatment), (down.risk_treatment, down.risk_control));
        prop_assert_eq!((up.lift, up.ci_low, up.ci_high), (down.lift, down.ci_low, down.ci_high));
    }

    #[test]
    fn adjusted_p_values_are_never_below_the_raw_ones(ps in p_values()) {
        for correction in Correction::ALL {
            let adjusted = adjust(&ps, correction);
            prop_assert_eq!(adjusted.len(), ps.len());
            for (raw, adj) in ps.iter().zip(&adjusted) {
                match (raw, adj) {
                    (Some(raw), Some(adj)) => prop_assert!(*adj >= *raw && *adj <= 1.0),
                    (None, None) => {}
                    _ => prop_assert!(false, "{:?}: a p-value appeared or vanished", correction),
                }
            }
        }
        // FDR control is never stricter than Holm, and Holm never stricter than Bonferroni (up to
        // rounding: p / (1/m) and m * p can differ in the last bit).
        let (bh, holm, bonf) = (
            adjust(&ps, Correction::BenjaminiHochberg),
            adjust(&ps, Correction::Holm),
            adjust(&ps, Correction::Bonferroni),
        );
        for ((bh, holm), bonf) in bh.iter().zip(&holm).zip(&bonf) {
            if let (Some(bh), Some(holm), Some(bonf)) = (bh, holm, bonf) {
                prop_assert!(*bh <= holm * (1.0 + 1e-12) && *holm <= bonf * (1.0 + 1e-12));
            }
        }
    }

    #[test]
    fn a_larger_effect_never_needs_more_users(rate in 0.01f64..0.5, small in 0.01f64..0.5, extra in 0.0f64..0.5, down in any::<bool>()) {
        let sign = if down { -1.0 } else { 1.0 };
        let req = |m: f64| SampleSizeRequest::new(SampleSizeBaseline::Proportion { baseline_rate: rate }, sign * m);
        let n_small = sample_size(&req(small)).expect("valid").n_per_arm;
        let n_large = sample_size(&req(small + extra)).expect("valid").n_per_arm;
        prop_assert!(n_large <= n_small, "{} vs {}", n_large, n_small);
        let mean_req = |m: f64| SampleSizeRequest::new(SampleSizeBaseline::Mean { baseline_mean: 10.0 * rate, sd: 3.0 }, sign * m);
        let m_small = sample_size(&mean_req(small)).expect("valid").n_per_arm;
        let m_large = sample_size(&mean_req(small + extra)).expect("valid").n_per_arm;
        prop_assert!(m_large <= m_small, "{} vs {}", m_large, m_small);
    }

    #[test]
    fn the_planned_sample_size_reaches_the_target_power_and_one_user_less_does_not(
        mean_metric in any::<bool>(),
        baseline in 0.02f64..0.6,
        mde in 0.02f64..0.6,
        alpha in 0.005f64..0.2,
        power in 0.5f64..0.99,
        arms in 2u32..5,
        bonferroni in any::<bool>(),
    ) {
        let baseline = if mean_metric {
            SampleSizeBaseline::Mean { baseline_mean: baseline * 100.0, sd: 40.0 }
        } else {
            SampleSizeBaseline::Proportion { baseline_rate: baseline }
        };
        let req = SampleSizeRequest { alpha, power, arms, bonferroni, ..SampleSizeRequest::new(baseline, mde) };
        let n = sample_size(&req).expect("valid").n_per_arm;
        prop_assert!(achieved_power(&req, n) >= power - 1e-12);
        if n > 1 {
            prop_assert!(achieved_power(&req, n - 1) < power + 1e-12);
        }
    }
}
