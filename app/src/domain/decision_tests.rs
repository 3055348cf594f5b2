use super::*;
use crate::domain::analysis::analyze;
use crate::domain::fixtures::{complete_brief, date};
use crate::domain::results::{ArmCount, Counts, MetricCounts, Observed};
use crate::domain::stats::CovariateInput;

/// Control and treatment counts for purchase (primary), revenue and refunds (guardrails).
fn counts(users: [u64; 2], purchases: [u64; 2], refunds: [u64; 2]) -> Counts {
    Counts {
        segments: Vec::new(),
        multi_arm_users: 0,
        incomplete_windows: 0,
        arms: vec![
            ArmCount {
                name: "control".into(),
                users: users[0],
            },
            ArmCount {
                name: "one_page".into(),
                users: users[1],
            },
        ],
        metrics: vec![
            MetricCounts {
                covariates: Vec::new(),
                metric: "purchase".into(),
                values: purchases
                    .iter()
                    .map(|&c| Observed::Proportion { conversions: c })
                    .collect(),
            },
            MetricCounts {
                covariates: Vec::new(),
                metric: "revenue".into(),
                values: users
                    .iter()
                    .map(|&n| Observed::from_mean_sd(n, 2.5, 12.0))
                    .collect(),
            },
            MetricCounts {
                covariates: Vec::new(),
                metric: "refunds".into(),
                values: refunds
                    .iter()
                    .map(|&c| Observed::Proportion { conversions: c })
                    .collect(),
            },
        ],
    }
}

const AFTER_END: (i32, u32, u32) = (2026, 11, 20);

fn decide_on(c: Counts, today: (i32, u32, u32)) -> Decision {
    let brief = complete_brief(); // 10% baseline, +5% MDE (57,763/arm), min lift +2%, max drop 1%
    let analysis = analyze(&brief, &c).unwrap();
    let context = Context {
        required_n: Some(57_763),
        incomplete_windows: c.incomplete_windows,
        pre_period: None,
    };
    decide(&brief, &analysis, context, date(today.0, today.1, today.2))
}

fn met(d: &Decision) -> Vec<bool> {
    d.conditions.iter().map(|c| c.met).collect()
}

#[test]
fn a_clear_winner_after_the_end_date_ships_its_arm() {
    let d = decide_on(
        counts([60_000, 60_000], [6_000, 6_600], [600, 600]),
        AFTER_END,
    );
    assert_eq!(
        d.verdict,
        Verdict::Ship {
            arm: "one_page".into()
        }
    );
    assert_eq!(met(&d), [true; 5]);
}

#[test]
fn the_same_winner_before_the_end_date_is_not_decided_yet() {
    let d = decide_on(
        counts([60_000, 60_000], [6_000, 6_600], [600, 600]),
        (2026, 11, 10),
    );
    assert_eq!(d.verdict, Verdict::Inconclusive);
    assert!(d.headline.starts_with("not decided yet"));
    assert!(!d.conditions[2].met);
}

#[test]
fn a_sample_ratio_mismatch_is_invalid_whatever_the_lift() {
    let d = decide_on(
        counts([60_000, 58_000], [6_000, 6_600], [600, 580]),
        AFTER_END,
    );
    assert_eq!(d.verdict, Verdict::Invalid);
    assert!(!d.conditions[0].met);
}

#[test]
fn a_broken_guardrail_means_dont_ship() {
    // Refunds up 20% in the treatment: a decrease-is-better metric moving the wrong way... the
    // fixture's refunds metric is "increase", so a drop is the harm: 600 -> 480.
    let d = decide_on(
        counts([60_000, 60_000], [6_000, 6_600], [600, 480]),
        AFTER_END,
    );
    assert_eq!(d.verdict, Verdict::DontShip);
    assert!(!d.conditions[4].met);
    assert!(
        d.conditions[4]
            .detail
            .contains("refunds moved -20.0% the wrong way"),
        "{}",
        d.conditions[4].detail
    );
}

#[test]
fn no_clear_effect_at_the_end_is_inconclusive_rerun_or_extend() {
    let d = decide_on(
        counts([60_000, 60_000], [6_000, 6_050], [600, 600]),
        AFTER_END,
    );
    assert_eq!(d.verdict, Verdict::Inconclusive);
    assert!(d.headline.contains("rerun or extend"));
}

#[test]
fn a_significant_loss_on_the_primary_metric_means_dont_ship() {
    let d = decide_on(
        counts([60_000, 60_000], [6_600, 6_000], [600, 600]),
        AFTER_END,
    );
    assert_eq!(d.verdict, Verdict::DontShip);
}

#[test]
fn too_few_users_is_never_a_ship_even_after_the_end() {
    let d = decide_on(
        counts([20_000, 20_000], [2_000, 2_400], [200, 200]),
        AFTER_END,
    );
    assert_eq!(d.verdict, Verdict::Inconclusive);
    assert!(!d.conditions[1].met);
    assert!(d.conditions[1].detail.contains("20000 of 57763"));
}

#[test]
fn a_guardrail_without_a_result_blocks_ship_and_says_why() {
    // No refunds at all in either arm: 0% has no variance, so the guardrail has no result and
    // cannot be counted as passing, however well the primary metric does.
    let d = decide_on(counts([60_000, 60_000], [6_000, 6_600], [0, 0]), AFTER_END);
    assert_eq!(d.verdict, Verdict::Inconclusive);
    assert!(!d.conditions[4].met);
    assert!(
        d.conditions[4].detail.contains("refunds: no result"),
        "{}",
        d.conditions[4].detail
    );
    assert!(
        d.headline.contains("guardrail has no result"),
        "{}",
        d.headline
    );
}

/// Arms that already differed before exposure: 20% of control and 26% of the treatment had
/// purchased in the pre-period (p far below 0.001), and the treatment "wins" by 15% after.
fn imbalanced() -> Counts {
    let mut c = counts([60_000, 60_000], [6_000, 6_900], [600, 600]);
    c.metrics[0].covariates = vec![
        CovariateInput {
            sum: 12_000.0,
            sum_squares: 12_000.0,
            cross_sum: 2_400.0,
        },
        CovariateInput {
            sum: 15_600.0,
            sum_squares: 15_600.0,
            cross_sum: 3_120.0,
        },
    ];
    c
}

fn decide_with_pre_period(brief: &crate::domain::brief::Brief, c: &Counts) -> Decision {
    let analysis = analyze(brief, c).unwrap();
    let check = crate::domain::pre_period::check(brief, c).expect("the counts carry covariates");
    let context = Context {
        required_n: Some(57_763),
        incomplete_windows: 0,
        pre_period: Some(&check),
    };
    let (y, m, d) = AFTER_END;
    decide(brief, &analysis, context, date(y, m, d))
}

#[test]
fn a_pre_existing_imbalance_blocks_ship_unless_cuped_adjusts_for_it() {
    let c = imbalanced();
    let mut brief = complete_brief();
    assert!(!brief.cuped.enabled);
    let d = decide_with_pre_period(&brief, &c);
    let balance = d
        .conditions
        .iter()
        .find(|c| c.name == "No pre-existing imbalance on the primary metric")
        .expect("the rule lists the pre-period condition");
    assert!(!balance.met, "{balance:?}");
    assert!(
        balance
            .detail
            .starts_with("one_page: +30.0% before exposure, p = < 0.0001"),
        "{balance:?}"
    );
    assert_eq!(d.verdict, Verdict::Inconclusive, "{}", d.headline);
    assert!(
        d.headline.contains("already differed before exposure"),
        "{}",
        d.headline
    );

    brief.cuped.enabled = true;
    let d = decide_with_pre_period(&brief, &c);
    let balance = d
        .conditions
        .iter()
        .find(|c| c.name == "No pre-existing imbalance on the primary metric")
        .unwrap();
    assert!(balance.met, "{balance:?}");
    assert!(balance.detail.contains("CUPED adjusts"), "{balance:?}");
    assert!(!d.headline.contains("already differed"), "{}", d.headline);
}

#[test]
fn without_pre_period_data_the_rule_lists_no_pre_period_condition() {
    let d = decide_on(
        counts([60_000, 60_000], [6_000, 6_900], [600, 600]),
        AFTER_END,
    );
    assert!(!d.conditions.iter().any(|c| c.name.contains("pre-existing")));
    assert_eq!(
        d.verdict,
        Verdict::Ship {
            arm: "one_page".into()
        }
    );
}
