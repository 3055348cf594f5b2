//! The warehouse source against the file engine and the generator's truth, on a real
//! PostgreSQL: the same exports (three seeds and sizes, with every kind of dirt the generator
//! writes), every metric kind, both flag conventions, and the query's safety (names refused,
//! values bound, read-only, timeout, cancel).

use std::io::Read;
use std::time::Duration;

use tokio::sync::watch;

use super::test_pg::{connect, layout, load_export, url};
use super::{attribute, probe, Target, WarehouseError};
use crate::domain::attribution::{
    Attributor, Cap, Config, ExposureConvention, Ratio, Report, Retention, TimeRange, ValueMetric,
    Window, NEW_VS_RETURNING,
};
use crate::warehouse::layout::{Columns, Ident, Layout, LayoutError, TableName};

const EXPORT_20K: &[u8] = include_bytes!("../domain/attribution/testdata/events_20k.jsonl.gz");
const TRUTH_20K: &str = include_str!("../domain/attribution/testdata/events_20k.jsonl.truth.json");
const EXPORT_3K: &[u8] = include_bytes!("warehouse_testdata/events_3k_seed7.jsonl.gz");
const TRUTH_3K: &str = include_str!("warehouse_testdata/events_3k_seed7.jsonl.truth.json");
const EXPORT_8K: &[u8] = include_bytes!("warehouse_testdata/events_8k_seed2024.jsonl.gz");
const TRUTH_8K: &str = include_str!("warehouse_testdata/events_8k_seed2024.jsonl.truth.json");

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut text)
        .expect("testdata is valid gzip");
    text
}

fn file_report(config: &Config, export: &[u8]) -> Report {
    let mut attributor = Attributor::new(config.clone()).expect("valid config");
    attributor.feed_chunk(export);
    attributor.finish().expect("attribution finishes")
}

fn target(layout: &Layout) -> Target<'_> {
    Target {
        url: url(),
        layout,
        timeout: Duration::from_secs(120),
    }
}

async fn warehouse_report(config: &Config, layout: &Layout) -> Report {
    let (_keep, mut cancel) = watch::channel(false);
    attribute(&target(layout), config, None, &mut cancel)
        .await
        .expect("the warehouse query runs")
}

/// Every field both sources have; lines, bytes and skipped lines exist only for files.
fn assert_same(file: &Report, warehouse: &Report) {
    assert_eq!(warehouse.events, file.events, "events");
    assert_eq!(warehouse.duplicates, file.duplicates, "duplicates");
    assert_eq!(
        warehouse.anonymous_events, file.anonymous_events,
        "anonymous"
    );
    assert_eq!(warehouse.latest_event, file.latest_event, "latest event");
    assert_eq!(
        warehouse.experiments.keys().collect::<Vec<_>>(),
        file.experiments.keys().collect::<Vec<_>>()
    );
    for (name, want) in &file.experiments {
        let got = &warehouse.experiments[name];
        assert_eq!(got.multi_arm_users, want.multi_arm_users, "{name} multi");
        assert_eq!(got.flag_key, want.flag_key, "{name} flag");
        assert_eq!(
            got.other_rules_on_flag, want.other_rules_on_flag,
            "{name} rules"
        );
        assert_eq!(
            got.incomplete_windows, want.incomplete_windows,
            "{name} incomplete"
        );
        for (arm, want_arm) in &want.arms {
            assert_eq!(got.arms.get(arm), Some(want_arm), "{name}/{arm}");
        }
        assert_eq!(got.arms, want.arms, "{name} arms");
        assert_eq!(got.segments, want.segments, "{name} segments");
    }
    assert_eq!(warehouse.lines, 0);
    assert_eq!(warehouse.skipped.count, 0);
}

fn generator_config() -> Config {
    let mut config = Config::new(ExposureConvention::Mixpanel);
    config.metrics = vec!["signup_completed".into(), "purchase_completed".into()];
    config.values = vec![ValueMetric::parse("purchase_completed:amount").expect("valid")];
    config
}

#[tokio::test]
async fn generated_exports_give_the_file_engines_counts_and_the_truth() {
    for (name, export, truth) in [
        ("gen20k", EXPORT_20K, TRUTH_20K),
        ("gen3k", EXPORT_3K, TRUTH_3K),
        ("gen8k", EXPORT_8K, TRUTH_8K),
    ] {
        let export = gunzip(export);
        let layout = layout(name);
        let loaded = load_export(&layout, &export).await;
        assert!(loaded.rows > 1000, "{name}: {loaded:?}");
        let config = generator_config();
        let file = file_report(&config, &export);
        let warehouse = warehouse_report(&config, &layout).await;
        if name == "gen20k" {
            assert!(file.duplicates > 0, "{name} has duplicates to drop");
        }
        assert_same(&file, &warehouse);
        crate::domain::attribution::tests::truth::assert_matches_truth(&warehouse, truth);
    }
}

#[tokio::test]
async fn every_metric_kind_matches_the_file_engine() {
    let export = gunzip(EXPORT_20K);
    let layout = layout("kinds");
    load_export(&layout, &export).await;
    let mut config = generator_config();
    config
        .values
        .push(ValueMetric::count("page_view").expect("valid"));
    config.retention = vec![
        Retention::parse("signup_completed:1").expect("valid"),
        Retention::parse("*:3").expect("valid"),
    ];
    config.ratios =
        vec![Ratio::parse("purchase_completed:amount/purchase_completed:#count").expect("valid")];
    config.caps = vec![
        Cap::parse("purchase_completed:amount:p90").expect("valid"),
        Cap::parse("page_view:#count:2.5").expect("valid"),
    ];
    config.pre_days = Some(7);
    config.segments = vec!["$city".into(), NEW_VS_RETURNING.into()];
    config.window = Window::days(7).expect("valid");
    let file = file_report(&config, &export);
    let warehouse = warehouse_report(&config, &layout).await;
    // Every kind is really there to compare, not empty on both sides.
    let experiment = file.experiments.values().next().expect("experiments");
    let arm = experiment.arms.values().next().expect("arms");
    assert!(arm.values["purchase_completed.amount"].cap.is_some());
    assert!(arm.values["page_view.#count"].cap.is_some());
    assert_eq!(arm.retained.len(), 2);
    assert!(arm.retained["*:3"] > 0);
    assert_eq!(arm.ratios.len(), 1);
    assert_eq!(arm.covariates.len(), 4);
    assert_eq!(experiment.segments["#new_vs_returning"].len(), 2);
    assert!(experiment.segments["$city"].len() > 2);
    assert_same(&file, &warehouse);
    // The run's dates, a filter and the data's end change what counts, alike in both.
    let first = file.latest_event.expect("events") - 30 * 86_400;
    config.run = Some(TimeRange::new(first, first + 10 * 86_400).expect("range"));
    config.data_end = Some(first + 12 * 86_400);
    let some = file.experiments.keys().next().expect("experiments").clone();
    config.experiments = vec![some.clone(), "never-ran".into()];
    let file = file_report(&config, &export);
    let warehouse = warehouse_report(&config, &layout).await;
    assert!(file.experiments[&some].incomplete_windows > 0);
    assert!(file.experiments["never-ran"].arms.is_empty());
    assert_same(&file, &warehouse);
}

fn line(event: &str, time: i64, user: &str, insert_id: &str, extra: &str) -> String {
    format!(
        r#"{{"event":"{event}","properties":{{"time":{time},"distinct_id":"{user}","$insert_id":"{insert_id}"{extra}}}}}"#
    )
}

const T0: i64 = 1_714_521_600;

#[tokio::test]
async fn flag_conventions_and_duplicate_winners_match_the_file_engine() {
    let optimizely = |user: &str, t: i64, rule: &str, variation: &str| {
        line(
            "Experiment Viewed",
            t,
            user,
            &format!("x{user}{t}"),
            &format!(r#","flag_key":"checkout","rule_key":"{rule}","variation_key":"{variation}""#),
        )
    };
    let amplitude = |user: &str, t: i64, key: &str, variant: &str| {
        line(
            "$exposure",
            t,
            user,
            &format!("y{user}{t}"),
            &format!(r#","flag_key":"onboarding","experiment_key":"{key}","variant":"{variant}""#),
        )
    };
    let purchase = |user: &str, t: i64, id: &str, amount: &str, processed: i64| {
        line(
            "purchase",
            t,
            user,
            id,
            &format!(r#","amount":{amount},"mp_processing_time_ms":{processed}"#),
        )
    };
    let lines = [
        optimizely("a", T0, "checkout_ab", "on"),
        optimizely("b", T0 + 5, "checkout_ab", "off"),
        optimizely("c", T0 + 9, "rollout", "on"),
        optimizely("d", T0 + 9, "", "on"),
        amplitude("a", T0, "exp-1", "treatment"),
        amplitude("e", T0 + 1, "exp-2", "control"),
        amplitude("f", T0 + 2, "", "control"),
        // Three copies of one purchase: the most recently ingested one's amount counts.
        purchase("a", T0 + 60, "p1", "10.00", 1000),
        purchase("a", T0 + 60, "p1", "99.5", 3000),
        purchase("a", T0 + 60, "p1", "5", 2000),
        purchase("b", T0 + 70, "p2", "7.25", 1000),
        line("purchase", T0 + 80, "b", "p3", r#","amount":"12""#),
        line("purchase", T0 + 90, "", "p4", r#","amount":1"#),
    ]
    .join("\n");
    let layout = layout("conventions");
    load_export(&layout, lines.as_bytes()).await;
    for (convention, experiments) in [
        (
            ExposureConvention::Optimizely,
            vec!["checkout_ab".to_owned()],
        ),
        (ExposureConvention::Optimizely, vec![]),
        (ExposureConvention::Optimizely, vec!["checkout".to_owned()]),
        (ExposureConvention::Amplitude, vec!["exp-1".to_owned()]),
        (ExposureConvention::Amplitude, vec![]),
    ] {
        let mut config = Config::new(convention);
        config.metrics = vec!["purchase".into()];
        config.values = vec![ValueMetric::parse("purchase:amount").expect("valid")];
        config.experiments = experiments;
        config.flag_keys = vec![("checkout_ab".into(), "checkout".into())];
        let file = file_report(&config, lines.as_bytes());
        let warehouse = warehouse_report(&config, &layout).await;
        assert_same(&file, &warehouse);
    }
    let mut config = Config::new(ExposureConvention::Optimizely);
    config.metrics = vec!["purchase".into()];
    config.values = vec![ValueMetric::parse("purchase:amount").expect("valid")];
    config.experiments = vec!["checkout_ab".into()];
    let warehouse = warehouse_report(&config, &layout).await;
    let counts = &warehouse.experiments["checkout_ab"];
    assert_eq!(counts.other_rules_on_flag.get("rollout"), Some(&1));
    assert_eq!(
        counts.arms["on"].values["purchase:amount".replace(':', ".").as_str()]
            .sum
            .to_string(),
        "99.5"
    );
    assert_eq!(warehouse.duplicates, 2);
    assert_eq!(warehouse.anonymous_events, 1);
}

#[tokio::test]
async fn names_with_sql_are_refused_and_typed_values_are_bound() {
    for bad in ["events; DROP TABLE t_x", "events\"", "a.b.c", "ev ents"] {
        assert!(TableName::parse(bad).is_err(), "{bad}");
    }
    assert!(matches!(
        Columns::parse("event=kind\"--"),
        Err(LayoutError::BadName { .. })
    ));
    assert!(Ident::parse("column", "time").is_ok());
    // Values a person typed into a brief: quotes, comments and statements are data.
    let evil_event = r#"x'); DROP TABLE t_bound; --"#;
    let evil_experiment = r#"exp" OR 1=1 --"#;
    let lines = [
        line(
            "$experiment_started",
            T0,
            "u1",
            "e1",
            r#","Experiment name":"exp\" OR 1=1 --","Variant name":"a'b""#,
        ),
        line(
            "$experiment_started",
            T0,
            "u2",
            "e2",
            r#","Experiment name":"other","Variant name":"a""#,
        ),
        line(evil_event, T0 + 5, "u1", "c1", ""),
        line(evil_event, T0 + 5, "u2", "c2", ""),
    ]
    .join("\n");
    let layout = layout("bound");
    load_export(&layout, lines.as_bytes()).await;
    let mut config = Config::new(ExposureConvention::Mixpanel);
    config.metrics = vec![evil_event.into()];
    config.experiments = vec![evil_experiment.into()];
    let report = warehouse_report(&config, &layout).await;
    let arm = &report.experiments[evil_experiment].arms["a'b"];
    assert_eq!((arm.exposed, arm.converted[evil_event]), (1, 1));
    assert_eq!(report.experiments.len(), 1, "the filter held");
    let mut conn = connect().await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM t_bound")
        .fetch_one(&mut conn)
        .await
        .expect("the table is still there");
    assert_eq!(rows, 4);
}

#[tokio::test]
async fn the_catalog_check_says_what_is_missing_and_counts_the_last_day() {
    let export = gunzip(EXPORT_3K);
    let layout = layout("probe");
    load_export(&layout, &export).await;
    let file = file_report(&generator_config(), &export);
    let latest = file.latest_event.expect("events");
    let found = probe(&target(&layout), latest + 1).await.expect("probe");
    assert!(found.events_last_day > 0);
    assert!(found.latest.expect("latest") >= latest);
    let missing = Layout {
        table: TableName::parse("no_such_table").expect("plain"),
        columns: Columns::default(),
    };
    assert_eq!(
        probe(&target(&missing), latest).await,
        Err(WarehouseError::NoTable("no_such_table".into()))
    );
    let wrong = Layout {
        table: layout.table.clone(),
        columns: Columns::parse("insert_id=dedupe_key").expect("plain"),
    };
    assert!(matches!(
        probe(&target(&wrong), latest).await,
        Err(WarehouseError::NoColumn {
            role: "insert_id",
            ..
        })
    ));
    let bad_url = Target {
        url: "mysql://nope",
        layout: &layout,
        timeout: Duration::from_secs(5),
    };
    assert_eq!(probe(&bad_url, 0).await, Err(WarehouseError::BadUrl));
}

#[tokio::test]
async fn a_timestamptz_time_column_gives_the_same_counts() {
    let export = gunzip(EXPORT_3K);
    let layout = layout("seconds");
    load_export(&layout, &export).await;
    let mut conn = connect().await;
    sqlx::query("DROP TABLE IF EXISTS t_stamped")
        .execute(&mut conn)
        .await
        .expect("drop");
    sqlx::query(
        "CREATE TABLE t_stamped AS SELECT event, to_timestamp(time) AS ts, distinct_id, insert_id, properties FROM t_seconds",
    )
    .execute(&mut conn)
    .await
    .expect("copy with timestamps");
    let stamped = Layout {
        table: TableName::parse("t_stamped").expect("plain"),
        columns: Columns::parse("time=ts").expect("plain"),
    };
    let config = generator_config();
    let file = file_report(&config, &export);
    assert_same(&file, &warehouse_report(&config, &stamped).await);
    // A scan limited to the data's days (as a pull reads) on an indexed timestamp column, and
    // the same without a zone, read as UTC.
    sqlx::query("CREATE INDEX ON t_stamped (ts)")
        .execute(&mut conn)
        .await
        .expect("index");
    let (first, last) = (1_714_521_600, file.latest_event.expect("events") + 1);
    let (_keep, mut cancel) = watch::channel(false);
    let scanned = attribute(&target(&stamped), &config, Some((first, last)), &mut cancel)
        .await
        .expect("runs");
    assert_same(&file, &scanned);
    sqlx::query("ALTER TABLE t_stamped ALTER COLUMN ts TYPE timestamp USING ts AT TIME ZONE 'UTC'")
        .execute(&mut conn)
        .await
        .expect("without a zone");
    let scanned = attribute(&target(&stamped), &config, Some((first, last)), &mut cancel)
        .await
        .expect("runs");
    assert_same(&file, &scanned);
    let found = probe(&target(&stamped), last).await.expect("probe");
    assert_eq!(
        found.time_kind,
        crate::warehouse::layout::TimeKind::LocalTimestamp
    );
    assert!(found.latest >= file.latest_event);
    assert!(found.events_last_day > 0);
}

#[tokio::test]
async fn a_slow_query_is_stopped_by_its_limit_and_by_cancel() {
    let export = gunzip(EXPORT_3K);
    let layout = layout("slow_base");
    load_export(&layout, &export).await;
    let mut conn = connect().await;
    // A view that takes 5 ms a row: any query over it runs for many seconds.
    sqlx::query("CREATE OR REPLACE VIEW t_slow AS SELECT * FROM t_slow_base WHERE pg_sleep(0.005) IS NOT NULL")
        .execute(&mut conn)
        .await
        .expect("view");
    let slow = Layout {
        table: TableName::parse("t_slow").expect("plain"),
        columns: Columns::default(),
    };
    let config = generator_config();
    let limited = Target {
        url: url(),
        layout: &slow,
        timeout: Duration::from_millis(300),
    };
    let (_keep, mut never) = watch::channel(false);
    assert_eq!(
        attribute(&limited, &config, None, &mut never).await.err(),
        Some(WarehouseError::TimedOut(0))
    );
    let (cancel, mut cancelled) = watch::channel(false);
    let started = std::time::Instant::now();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        cancel.send(true).expect("the query listens");
        // Keep the sender until the query has seen it.
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let outcome = attribute(&target(&slow), &config, None, &mut cancelled).await;
    assert_eq!(outcome.err(), Some(WarehouseError::Cancelled));
    assert!(started.elapsed() < Duration::from_secs(5));
    // And the warehouse stopped it too: nothing of ours is still reading the view.
    let mut still = 1;
    for _ in 0..50 {
        still = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'verdict' AND state = 'active' AND query LIKE '%t_slow%'",
        )
        .fetch_one(&mut conn)
        .await
        .expect("activity");
        if still == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        still, 0,
        "the cancelled statement still runs in the warehouse"
    );
}

#[tokio::test]
async fn the_query_only_reads() {
    let layout = layout("readonly");
    load_export(&layout, line("a", T0, "u", "i", "").as_bytes()).await;
    // The transaction the query runs in refuses writes, whatever SQL it held.
    let mut conn = connect().await;
    let err = async {
        use sqlx::Connection as _;
        let mut tx = conn.begin().await?;
        sqlx::query("SET TRANSACTION READ ONLY")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM t_readonly")
            .execute(&mut *tx)
            .await?;
        Ok::<_, sqlx::Error>(())
    }
    .await
    .expect_err("writes are refused");
    assert!(err.to_string().contains("read-only"), "{err}");
}
