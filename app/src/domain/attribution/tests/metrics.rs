//! The metric kinds teams decide on, attributed: counts per user, retention on day N, ratios,
//! winsorized values, pre-period covariates and segments. The expected numbers are worked out
//! by hand beside each assertion.

use super::*;
use crate::domain::attribution::{Cap, CapAt, Ratio, Retention, RetentionEvent, NEW_VS_RETURNING};

fn exposed(arm: &str, time: i64, user: &str, os: &str) -> String {
    let extra = format!(r#","Experiment name":"exp","Variant name":"{arm}"{os}"#);
    event(
        "$experiment_started",
        time,
        user,
        &format!("x{time}{user}"),
        &extra,
    )
}

fn page_view(time: i64, user: &str) -> String {
    event("page_view", time, user, &format!("pv{time}{user}"), "")
}

/// Four users; see each line's comment.
fn lines() -> Vec<String> {
    vec![
        // u1: arm a, first exposure on iOS (the later one on Android does not change it).
        exposed("a", T0, "u1", r#","$os":"iOS""#),
        exposed("a", T0 + 100, "u1", r#","$os":"Android""#),
        purchase(T0 + 3600, "u1", "p1", "10"),
        purchase(T0 + 2 * DAY, "u1", "p2", "30"),
        purchase(T0 - 3 * DAY, "u1", "p0", "5"), // pre-period
        page_view(T0 + DAY + 5, "u1"),           // retained on day 1
        // u2: arm a, Android; one big purchase (capped).
        exposed("a", T0 + 10, "u2", r#","$os":"Android""#),
        purchase(T0 + 3600, "u2", "p3", "100"),
        // u3: arm b, no $os; two purchases; a page view exactly at the start of day 7.
        exposed("b", T0, "u3", ""),
        purchase(T0 + 3 * 3600, "u3", "p4", "20"),
        purchase(T0 + 4 * 3600, "u3", "p5", "20"),
        page_view(T0 + 7 * DAY, "u3"),
        // u4: arm b, $os is a boolean; nothing else.
        exposed("b", T0, "u4", r#","$os":true"#),
    ]
}

fn full_config() -> Config {
    let mut config = config(
        &["purchase_completed"],
        &["purchase_completed:amount", "purchase_completed:#count"],
    );
    config.retention = ["page_view:1", "*:7", "*:0"]
        .iter()
        .map(|s| Retention::parse(s).expect("valid retention"))
        .collect();
    config.ratios =
        vec![Ratio::parse("purchase_completed:amount/purchase_completed:#count").expect("ratio")];
    config.caps = vec![Cap::parse("purchase_completed:amount:p50").expect("cap")];
    config.pre_days = Some(14);
    config.segments = vec!["$os".into()];
    config
}

fn text(q: Quantity) -> String {
    q.to_string()
}

#[test]
fn counts_caps_retention_ratios_and_covariates_per_arm() {
    let report = run(full_config(), &lines());
    let a = arm(&report, "exp", "a");
    assert_eq!((a.exposed, a.converted["purchase_completed"]), (2, 2));
    // Amounts per user: u1 40, u2 100, u3 40, u4 0. p50 of [0, 40, 40, 100] is rank 2: 40.
    let amount = &a.values["purchase_completed.amount"];
    assert_eq!(amount.cap.map(text).as_deref(), Some("40"));
    assert_eq!(
        (text(amount.sum), text(amount.sum_squares)),
        ("80".into(), "3200".into())
    );
    // Counts: u1 2, u2 1.
    let count = &a.values["purchase_completed.#count"];
    assert_eq!(
        (text(count.sum), text(count.sum_squares)),
        ("3".into(), "5".into())
    );
    assert_eq!(count.cap, None);
    // Retention: u1 on day 1; both bought on day 0; nobody on day 7.
    assert_eq!(a.retained["page_view:1"], 1);
    assert_eq!(a.retained["*:0"], 2);
    assert_eq!(a.retained["*:7"], 0);
    // Ratio of capped amount to count: a = (40, 40), b = (2, 1).
    let ratio = &a.ratios["purchase_completed:amount/purchase_completed:#count"];
    assert_eq!(
        [
            ratio.numerator_sum,
            ratio.numerator_sum_squares,
            ratio.denominator_sum,
            ratio.denominator_sum_squares,
            ratio.cross_sum
        ]
        .map(text),
        ["80", "3200", "3", "5", "120"]
    );
    // Pre-period (14 days before t0): u1 bought once for 5; u2 nothing.
    let pre = |key: &str| {
        let c = &a.covariates[key];
        [c.sum, c.sum_squares, c.cross_sum].map(text)
    };
    assert_eq!(pre("purchase_completed"), ["1", "1", "1"]);
    assert_eq!(pre("purchase_completed.amount"), ["5", "25", "200"]);
    assert_eq!(pre("purchase_completed.#count"), ["1", "1", "2"]);

    let b = arm(&report, "exp", "b");
    assert_eq!((b.exposed, b.converted["purchase_completed"]), (2, 1));
    let amount = &b.values["purchase_completed.amount"];
    assert_eq!(
        (text(amount.sum), text(amount.sum_squares)),
        ("40".into(), "1600".into())
    );
    assert_eq!(
        amount.cap.map(text).as_deref(),
        Some("40"),
        "one cap per experiment"
    );
    assert_eq!(
        (
            b.retained["*:7"],
            b.retained["*:0"],
            b.retained["page_view:1"]
        ),
        (1, 1, 0)
    );
    assert_eq!(
        b.covariates["purchase_completed.amount"].sum.to_string(),
        "0"
    );
}

#[test]
fn segments_come_from_the_first_exposure_with_none_for_missing_and_text_for_booleans() {
    let report = run(full_config(), &lines());
    let segments = &report.experiments["exp"].segments["$os"];
    let values: Vec<&String> = segments.keys().collect();
    assert_eq!(values, ["(none)", "Android", "iOS", "true"]);
    assert_eq!(
        segments["iOS"]["a"].exposed, 1,
        "u1's first exposure was on iOS"
    );
    assert_eq!(segments["Android"]["a"].exposed, 1);
    assert!(
        !segments["Android"].contains_key("b"),
        "only arms with a counted user"
    );
    let ios = &segments["iOS"]["a"].values["purchase_completed.amount"];
    assert_eq!(ios.sum.to_string(), "40");
    assert_eq!(segments["(none)"]["b"].retained["*:7"], 1);
    assert_eq!(segments["true"]["b"].exposed, 1);
}

#[test]
fn new_vs_returning_asks_whether_the_user_was_active_before_the_pre_period() {
    let mut config = full_config();
    config.segments = vec![NEW_VS_RETURNING.into(), "$os".into()];
    let mut lines = lines();
    // u2 was active 20 days before exposure (before the 14-day pre-period): returning.
    lines.push(page_view(T0 + 10 - 20 * DAY, "u2"));
    // u4's only earlier event is exactly at the pre-period's start: still new (half-open).
    lines.push(page_view(T0 - 14 * DAY, "u4"));
    // u3 saw another experiment long before; exposure events are not activity: still new.
    lines.push(event(
        "$experiment_started",
        T0 - 30 * DAY,
        "u3",
        "x-old",
        r#","Experiment name":"older","Variant name":"a""#,
    ));
    // u1's pre-period purchase (3 days before) is inside the pre-period: new.
    let report = run(config.clone(), &lines);
    let derived = &report.experiments["exp"].segments[NEW_VS_RETURNING];
    let values: Vec<&String> = derived.keys().collect();
    assert_eq!(values, ["new", "returning"]);
    assert_eq!(derived["returning"]["a"].exposed, 1, "u2");
    assert!(!derived["returning"].contains_key("b"));
    assert_eq!(derived["new"]["a"].exposed, 1, "u1");
    assert_eq!(derived["new"]["b"].exposed, 2, "u3 and u4");
    // Property segments are unchanged beside it.
    assert_eq!(
        report.experiments["exp"].segments["$os"]["iOS"]["a"].exposed,
        1
    );

    // Without a pre-period, any event before exposure makes a user returning: u1's purchase.
    config.pre_days = None;
    let report = run(config, &lines);
    let derived = &report.experiments["exp"].segments[NEW_VS_RETURNING];
    assert_eq!(derived["returning"]["a"].exposed, 2, "u1 and u2");
    assert_eq!(derived["returning"]["b"].exposed, 1, "u4");
    assert_eq!(derived["new"]["b"].exposed, 1, "u3");
}

#[test]
fn without_the_new_flags_the_report_is_unchanged() {
    let plain = run(
        config(&["purchase_completed"], &["purchase_completed:amount"]),
        &lines(),
    );
    let a = arm(&plain, "exp", "a");
    assert!(a.retained.is_empty() && a.ratios.is_empty() && a.covariates.is_empty());
    assert_eq!(a.values["purchase_completed.amount"].cap, None);
    // Uncapped: 40 + 100.
    assert_eq!(a.values["purchase_completed.amount"].sum.to_string(), "140");
    assert!(plain.experiments["exp"].segments.is_empty());
}

#[test]
fn the_pre_period_is_half_open_and_ends_where_the_window_starts() {
    let lines = [
        exposed("a", T0, "u", ""),
        purchase(T0 - 14 * DAY, "u", "edge", "1"), // first second of the pre-period: in
        purchase(T0 - 14 * DAY - 1, "u", "before", "2"), // one second earlier: out
        purchase(T0, "u", "at", "4"),              // at t0: the window's, not the pre-period's
    ];
    let mut config = config(&["purchase_completed"], &["purchase_completed:amount"]);
    config.pre_days = Some(14);
    let report = run(config, &lines);
    let a = arm(&report, "exp", "a");
    let pre = &a.covariates["purchase_completed.amount"];
    assert_eq!(
        (pre.sum.to_string(), pre.cross_sum.to_string()),
        ("1".into(), "4".into())
    );
    assert_eq!(a.values["purchase_completed.amount"].sum.to_string(), "4");
}

#[test]
fn retention_events_are_never_deduplicated_nor_counted_as_duplicates() {
    let lines = [
        exposed("a", T0, "u", ""),
        event("app_open", T0 + DAY, "u", "same", ""),
        event("app_open", T0 + DAY, "u", "same", ""),
    ];
    let mut config = config(&[], &[]);
    config.retention = vec![Retention::parse("app_open:1").expect("valid")];
    let report = run(config, &lines);
    assert_eq!(report.duplicates, 0);
    assert_eq!(arm(&report, "exp", "a").retained["app_open:1"], 1);
}

#[test]
fn specs_parse_as_the_contract_writes_them() {
    let any = Retention::parse("*:7").expect("valid");
    assert_eq!(
        (any.event, any.day, any.spec.as_str()),
        (RetentionEvent::Any, 7, "*:7")
    );
    let named = Retention::parse("Checkout: Done:0").expect("valid");
    assert_eq!(named.event, RetentionEvent::Named("Checkout: Done".into()));
    for bad in ["app_open", "app_open:-1", ":3", "app_open:x"] {
        assert!(Retention::parse(bad).is_err(), "{bad}");
    }
    // The one `/` that leaves a valid spec on both sides.
    let ratio = Ratio::parse("a/b:amount/orders:#count").expect("valid");
    assert_eq!(ratio.numerator.event(), "a/b");
    assert!(ratio.denominator.is_count());
    assert!(Ratio::parse("x:amount").is_err());
    let cap = Cap::parse("purchase:amount:p99.5").expect("valid");
    assert!(matches!(cap.at, CapAt::Percentile(nn) if nn.to_string() == "99.5"));
    let fixed = Cap::parse("purchase:amount:250.50").expect("valid");
    assert!(matches!(fixed.at, CapAt::Fixed(x) if x.to_string() == "250.5"));
    for bad in [
        "purchase:amount:p0",
        "purchase:amount:p101",
        "purchase:amount:lots",
        "amount:p50",
    ] {
        assert!(Cap::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_fixed_cap_keeps_its_own_decimals() {
    let mut config = config(&["purchase_completed"], &["purchase_completed:amount"]);
    config.caps = vec![Cap::parse("purchase_completed:amount:12.25").expect("cap")];
    let lines = [
        exposed("a", T0, "u1", ""),
        purchase(T0 + 1, "u1", "p1", "100"),
        exposed("a", T0, "u2", ""),
        purchase(T0 + 1, "u2", "p2", "3"),
    ];
    let report = run(config, &lines);
    let amount = &arm(&report, "exp", "a").values["purchase_completed.amount"];
    // min(100, 12.25) + 3 = 15.25; 12.25² + 9 = 159.0625.
    assert_eq!(amount.sum.to_string(), "15.25");
    assert_eq!(amount.sum_squares.to_string(), "159.0625");
    assert_eq!(amount.cap.map(|c| c.to_string()).as_deref(), Some("12.25"));
}
