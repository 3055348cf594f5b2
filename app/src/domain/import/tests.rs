use super::*;
use crate::domain::attribution::Attributor;
use crate::domain::brief::MetricSpec;
use crate::domain::fixtures::complete_brief;

const CSV: &str = "arm,users,metric,conversions,sum,sum_squares
control,1000,purchase,100,,
one_page,1000,purchase,120,,
control,1000,revenue,,2500,146000
one_page,1000,revenue,,2600,150000
control,1000,refunds,10,,
one_page,1000,refunds,11,,
";

#[test]
fn a_csv_of_aggregates_becomes_counts_in_the_briefs_order() {
    let counts = counts_from_csv(&complete_brief(), CSV).unwrap();
    assert_eq!(counts.arms[1].users, 1000);
    assert_eq!(
        counts.metrics[0].values[1],
        Observed::Proportion { conversions: 120 }
    );
    assert_eq!(
        counts.metrics[1].values[0],
        Observed::Mean {
            n: 1000,
            sum: 2500.0,
            sum_squares: 146000.0
        }
    );
}

#[test]
fn csv_problems_name_their_line() {
    let bad = CSV
        .replace(
            "one_page,1000,purchase,120,,",
            "one_page,lots,purchase,120,,",
        )
        .replace("control,1000,refunds,10,,", "treatment,1000,refunds,10,,");
    let errors = counts_from_csv(&complete_brief(), &bad).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|e| e.starts_with("line 3: column 2")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|e| e.starts_with("line 6: unknown arm 'treatment'")),
        "{text:#?}"
    );
}

#[test]
fn an_export_is_attributed_into_the_briefs_metrics() {
    let mut brief = complete_brief();
    brief.primary.event = "purchase_completed".into();
    brief.secondary[0].event = "purchase_completed".into();
    brief.secondary[1].event = "refund".into();
    let t0 = 1_714_521_600;
    let lines = [
        format!(
            r#"{{"event":"$experiment_started","properties":{{"time":{t0},"distinct_id":"u1","Experiment name":"checkout_one_page","Variant name":"control"}}}}"#
        ),
        format!(
            r#"{{"event":"$experiment_started","properties":{{"time":{t0},"distinct_id":"u2","Experiment name":"checkout_one_page","Variant name":"one_page"}}}}"#
        ),
        format!(
            r#"{{"event":"purchase_completed","properties":{{"time":{},"distinct_id":"u2","$insert_id":"a","amount":12.5}}}}"#,
            t0 + 60
        ),
    ];
    let config = attribution_config(&brief, "checkout_one_page", None).unwrap();
    let mut a = Attributor::new(config).unwrap();
    for l in &lines {
        a.feed_line(l.as_bytes());
    }
    let report = a.finish().unwrap();
    let counts = counts_from_report(&brief, "checkout_one_page", &report).unwrap();
    assert_eq!(
        counts.arms.iter().map(|a| a.users).collect::<Vec<_>>(),
        [1, 1]
    );
    assert_eq!(
        counts.metrics[0].values,
        [
            Observed::Proportion { conversions: 0 },
            Observed::Proportion { conversions: 1 }
        ]
    );
    assert_eq!(
        counts.metrics[1].values[1],
        Observed::Mean {
            n: 1,
            sum: 12.5,
            sum_squares: 156.25
        }
    );
    let missing = counts_from_report(&brief, "other_key", &report).unwrap_err();
    assert!(matches!(&missing, ReportError::NoExposures { key, .. } if key == "other_key"));
    assert!(missing
        .to_string()
        .contains("no exposure events for experiment 'other_key'"));
}

/// A brief with every metric kind: revenue capped at 20 (primary), searches per user, day-1
/// retention on any event, and revenue per order; CUPED over 14 days; segments by `$os`.
fn brief_with_every_kind() -> Brief {
    use crate::domain::brief::ValueCap;
    use crate::domain::metric::Measure;
    let mut brief = complete_brief();
    brief.primary = MetricSpec {
        name: "revenue".into(),
        event: "purchase".into(),
        kind: Measure::Mean,
        value_property: "amount".into(),
        cap: Some(ValueCap::Fixed(20.0)),
        ..MetricSpec::default()
    };
    brief.secondary = vec![
        MetricSpec {
            name: "searches".into(),
            event: "search".into(),
            kind: Measure::Count,
            ..MetricSpec::default()
        },
        MetricSpec {
            name: "day-1 retention".into(),
            event: "*".into(),
            kind: Measure::Retention,
            retention_day: 1,
            ..MetricSpec::default()
        },
        MetricSpec {
            name: "revenue per order".into(),
            event: "purchase".into(),
            kind: Measure::Ratio,
            value_property: "amount".into(),
            denominator_event: "purchase".into(),
            ..MetricSpec::default()
        },
    ];
    brief.baseline_mean = Some(2.5);
    brief.baseline_sd = Some(12.0);
    brief.cuped.enabled = true;
    brief.cuped.lookback_days = 14;
    brief.segments = vec!["$os".into()];
    brief
}

fn line(event: &str, user: &str, t: i64, extra: &str) -> String {
    format!(
        r#"{{"event":"{event}","properties":{{"time":{t},"distinct_id":"{user}","$insert_id":"{event}-{user}-{t}"{extra}}}}}"#
    )
}

fn exposure(user: &str, t: i64, arm: &str, os: &str) -> String {
    line(
        "$experiment_started",
        user,
        t,
        &format!(r#","Experiment name":"checkout_one_page","Variant name":"{arm}","$os":"{os}""#),
    )
}

#[test]
fn every_metric_kind_is_attributed_with_its_cap_covariate_and_segment() {
    let brief = brief_with_every_kind();
    assert_eq!(brief.validate(), vec![], "the brief is complete");
    let t0 = 1_714_521_600;
    let day = 86_400;
    let lines = [
        exposure("u1", t0, "control", "iOS"),
        exposure("u2", t0, "one_page", "Android"),
        exposure("u3", t0 + 10, "one_page", "iOS"),
        exposure("u4", t0, "control", "Android"),
        // u1: 5 before exposure; 30 after (capped at 20); two searches, one on day 1.
        line("purchase", "u1", t0 - 2 * day, r#","amount":5"#),
        line("purchase", "u1", t0 + 60, r#","amount":30"#),
        line("search", "u1", t0 + 30, ""),
        line("search", "u1", t0 + day + 10, ""),
        // u2: two orders, 10 and 4.
        line("purchase", "u2", t0 + 100, r#","amount":10"#),
        line("purchase", "u2", t0 + 200, r#","amount":4"#),
        // u4: one search on day 3 (not day 1).
        line("search", "u4", t0 + 3 * day, ""),
    ];
    let config = attribution_config(&brief, "checkout_one_page", None).unwrap();
    assert_eq!(config.pre_days, Some(14));
    let mut a = Attributor::new(config).unwrap();
    for l in &lines {
        a.feed_line(l.as_bytes());
    }
    let report = a.finish().unwrap();
    let counts = counts_from_report(&brief, "checkout_one_page", &report).unwrap();
    let mean = |n, sum, sum_squares| Observed::Mean {
        n,
        sum,
        sum_squares,
    };
    // Revenue, capped at 20: control 20 + 0, treatment 14 + 0.
    assert_eq!(
        counts.metrics[0].values,
        [mean(2, 20.0, 400.0), mean(2, 14.0, 196.0)]
    );
    // Its pre-period: u1 spent 5 before; cross = 20 * 5.
    let cov = &counts.metrics[0].covariates;
    assert_eq!(
        (cov[0].sum, cov[0].sum_squares, cov[0].cross_sum),
        (5.0, 25.0, 100.0)
    );
    assert_eq!((cov[1].sum, cov[1].cross_sum), (0.0, 0.0));
    // Searches per user: control 2 + 1.
    assert_eq!(
        counts.metrics[1].values,
        [mean(2, 3.0, 5.0), mean(2, 0.0, 0.0)]
    );
    // Day-1 retention on any event: u1 only.
    assert_eq!(
        counts.metrics[2].values,
        [
            Observed::Proportion { conversions: 1 },
            Observed::Proportion { conversions: 0 }
        ]
    );
    assert!(
        counts.metrics[2].covariates.is_empty(),
        "retention has no covariate"
    );
    // Revenue per order, the numerator capped like the revenue metric.
    assert_eq!(
        counts.metrics[3].values,
        [
            Observed::Ratio {
                numerator_sum: 20.0,
                numerator_sum_squares: 400.0,
                denominator_sum: 1.0,
                denominator_sum_squares: 1.0,
                cross_sum: 20.0
            },
            Observed::Ratio {
                numerator_sum: 14.0,
                numerator_sum_squares: 196.0,
                denominator_sum: 2.0,
                denominator_sum_squares: 4.0,
                cross_sum: 28.0
            }
        ]
    );
    // Segments from the first exposure's $os.
    let ios = counts
        .segments
        .iter()
        .find(|s| s.property == "$os" && s.value == "iOS")
        .unwrap();
    assert_eq!(ios.arms.iter().map(|a| a.users).collect::<Vec<_>>(), [1, 1]);
    assert_eq!(ios.metrics[0].values[0], mean(1, 20.0, 400.0));
    assert_eq!(counts.validate(&brief), vec![]);
    // And the analysis takes every kind: CUPED on the revenue and count, none on the ratio.
    let analysis = crate::domain::analysis::analyze(&brief, &counts).unwrap();
    assert!(analysis.metrics[0].comparisons[0].cuped.is_some());
    assert!(analysis.metrics[3].comparisons[0].cuped.is_none());
    assert_eq!(
        analysis.metrics[3].kind,
        crate::domain::metric::MetricKind::Ratio
    );
}

#[test]
fn a_csv_carries_ratio_sums_and_pre_period_columns() {
    let brief = brief_with_every_kind();
    let csv = "arm,users,metric,conversions,sum,sum_squares,numerator_sum,numerator_sum_squares,denominator_sum,denominator_sum_squares,cross_sum,pre_sum,pre_sum_squares,pre_cross_sum
control,1000,revenue,,2500,146000,,,,,,2400,140000,130000
one_page,1000,revenue,,2600,150000,,,,,,2410,141000,131000
control,1000,searches,,3000,12000,,,,,,,,
one_page,1000,searches,,3100,12500,,,,,,,,
control,1000,day-1 retention,300,,,,,,,,,,
one_page,1000,day-1 retention,310,,,,,,,,,,
control,1000,revenue per order,,,,2500,146000,300,400,4000,,,
one_page,1000,revenue per order,,,,2600,150000,310,420,4200,,,
";
    let counts = counts_from_csv(&brief, csv).unwrap();
    assert_eq!(counts.metrics[0].covariates[1].cross_sum, 131_000.0);
    assert!(counts.metrics[1].covariates.is_empty());
    assert!(matches!(
        counts.metrics[3].values[1],
        Observed::Ratio { denominator_sum, .. } if denominator_sum == 310.0
    ));
    // A ratio row without its sums, and pre-period columns on one arm only, are refused.
    let bad = csv
        .replace(
            ",,,,2500,146000,300,400,4000,,,",
            ",,,,2500,,300,400,4000,,,",
        )
        .replace(
            "one_page,1000,revenue,,2600,150000,,,,,,2410,141000,131000",
            "one_page,1000,revenue,,2600,150000,,,,,,,,",
        );
    let errors: Vec<String> = counts_from_csv(&brief, &bad)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("line 8: 'revenue per order' is a ratio metric")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("pre-period columns for 1 of 2 arms")),
        "{errors:#?}"
    );
}
