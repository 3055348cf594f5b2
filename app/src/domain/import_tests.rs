use super::*;
use crate::domain::attribution::Attributor;
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
