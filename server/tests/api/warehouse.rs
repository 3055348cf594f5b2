//! The warehouse source through the app's own server functions, against a real PostgreSQL
//! holding the committed 20k-event export: settings (admins only, the URL never sent back or
//! logged), "test connection", and a pull stored as one warehouse snapshot with the true counts.

use std::time::Duration;

use app::domain::account::Role;
use app::domain::results::{Observed, Source};
use axum::http::StatusCode;
use axum::Router;
use serde_json::{json, Value};
use sqlx::{Connection, SqlitePool};

use crate::helpers::{call, call_as, token};

const KEY: &str = "checkout_one_page";
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../app/src/domain/attribution/testdata/events_20k.jsonl"
);

#[path = "../../../app/src/warehouse/test_cluster.rs"]
mod test_cluster;
use test_cluster::url as pg_url;

/// The committed export in `table`, in Mixpanel's pipeline layout.
async fn load(table: &str) {
    let layout = app::warehouse::layout::Layout {
        table: app::warehouse::layout::TableName::parse(table).unwrap(),
        columns: Default::default(),
    };
    let mut conn = sqlx::postgres::PgConnection::connect(pg_url())
        .await
        .unwrap();
    sqlx::query(&format!("DROP TABLE IF EXISTS {table} CASCADE"))
        .execute(&mut conn)
        .await
        .unwrap();
    app::db::warehouse_load::create_table(&mut conn, &layout)
        .await
        .unwrap();
    let gz = std::fs::File::open(format!("{FIXTURE}.gz")).unwrap();
    let input = std::io::BufReader::new(flate2::read::GzDecoder::new(gz));
    let loaded = app::db::warehouse_load::load(&mut conn, &layout, input)
        .await
        .unwrap();
    assert_eq!(loaded.rows, 20_000);
}

fn form(table: &str) -> Value {
    json!({"form": {"url": pg_url(), "table": table, "event": "event", "time": "time",
        "distinct_id": "distinct_id", "insert_id": "insert_id", "properties": "properties",
        "timeout_secs": "120", "use_for_pulls": true}})
}

async fn arrange(app: &Router, pool: &SqlitePool) {
    crate::helpers::running_checkout(app, pool, KEY).await;
}

async fn wait_for_end(app: &Router) -> Value {
    for _ in 0..3000 {
        let (s, body) = call(app, "pull_status", json!({"key": KEY})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let status = serde_json::from_str::<Value>(&body).unwrap()["status"].clone();
        if status["phase"] != "running" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the pull did not end within 60 s");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_warehouse_pull_stores_one_warehouse_snapshot_with_the_true_counts(pool: SqlitePool) {
    load("wh_api_pull").await;
    let app = crate::helpers::app(pool.clone());
    arrange(&app, &pool).await;

    let (s, body) = call(&app, "test_warehouse", form("wh_api_pull")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let probe: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(probe["time_kind"], "unix seconds");
    assert!(
        probe["latest"].as_str().unwrap().starts_with("2024-06"),
        "{probe}"
    );
    let (s, body) = call(&app, "save_warehouse_settings", form("wh_api_pull")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let password = "verdict-test";
    assert!(!body.contains(password), "the URL came back: {body}");
    let (s, body) = call(&app, "get_warehouse_settings", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!body.contains(password), "{body}");
    assert!(body.contains("\"url_set\":true"), "{body}");

    let (s, body) = call(&app, "start_pull", json!({"key": KEY})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("\"source\":\"warehouse\""), "{body}");
    let status = wait_for_end(&app).await;
    assert_eq!(status["phase"], "succeeded", "{status}");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("computed in the warehouse"),
        "{status}"
    );

    let exp = app::db::experiments::by_key(&pool, KEY).await.unwrap();
    let stored = app::db::results::list(&pool, exp.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].source, Source::Warehouse);
    let text = std::fs::read_to_string(format!("{FIXTURE}.truth.json")).unwrap();
    let truth =
        serde_json::from_str::<Value>(&text).unwrap()["experiments"][KEY]["variants"].clone();
    for (i, arm) in ["control", "one_page"].iter().enumerate() {
        let t = &truth[arm];
        assert_eq!(
            stored[0].counts.arms[i].users,
            t["exposed"].as_u64().unwrap()
        );
        let Observed::Proportion { conversions } = stored[0].counts.metrics[0].values[i] else {
            panic!("purchase is a proportion");
        };
        assert_eq!(
            conversions,
            t["converted"]["purchase_completed"].as_u64().unwrap()
        );
        let Observed::Mean { sum, .. } = stored[0].counts.metrics[1].values[i] else {
            panic!("revenue is a mean");
        };
        assert!((sum - t["revenue_sum"].as_f64().unwrap()).abs() < 1e-6);
    }
    let logged: Vec<String> = sqlx::query_scalar("SELECT coalesce(after, '') FROM audit_log")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(logged.iter().all(|entry| !entry.contains(password)));
    assert!(logged
        .iter()
        .any(|entry| entry.contains("\"source\":\"warehouse\"")));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn only_admins_reach_the_warehouse_and_bad_input_says_which_field(pool: SqlitePool) {
    let app = crate::helpers::app(pool.clone());
    for role in [Role::Viewer, Role::Editor] {
        let t = token(&pool, role).await;
        for name in [
            "get_warehouse_settings",
            "save_warehouse_settings",
            "test_warehouse",
        ] {
            let (s, _) = call_as(&app, Some(&t), name, form("events")).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{role} {name}");
        }
    }
    let mut bad = form("events; DROP TABLE experiment");
    bad["form"]["time"] = json!("time\" --");
    let (s, body) = call(&app, "save_warehouse_settings", bad).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("table") && body.contains("time"), "{body}");
    let (s, body) = call(&app, "test_warehouse", form("no_such_table")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("`no_such_table` does not exist"), "{body}");
    let (s, _) = call(&app, "get_warehouse_settings", json!({})).await;
    assert_eq!(s, StatusCode::OK);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_running_warehouse_pull_shows_its_time_and_cancel_stops_it_storing_nothing(
    pool: SqlitePool,
) {
    load("wh_api_base").await;
    // A view that reads 5 ms a row: the query runs long enough to watch and cancel.
    let mut conn = sqlx::postgres::PgConnection::connect(pg_url())
        .await
        .unwrap();
    sqlx::query("CREATE OR REPLACE VIEW wh_api_slow AS SELECT * FROM wh_api_base WHERE pg_sleep(0.005) IS NOT NULL")
        .execute(&mut conn)
        .await
        .unwrap();
    let app = crate::helpers::app(pool.clone());
    arrange(&app, &pool).await;
    let (s, body) = call(&app, "save_warehouse_settings", form("wh_api_slow")).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let (s, body) = call(&app, "start_pull", json!({"key": KEY})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, body) = call(&app, "pull_status", json!({"key": KEY})).await;
    let status = serde_json::from_str::<Value>(&body).unwrap()["status"].clone();
    assert_eq!(status["phase"], "running", "{status}");
    assert_eq!(status["source"], "warehouse");
    assert!(status["elapsed_ms"].as_u64().unwrap() >= 1000, "{status}");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("Query running in the warehouse"),
        "{status}"
    );

    let (s, body) = call(&app, "cancel_pull", json!({"key": KEY})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let status = wait_for_end(&app).await;
    assert_eq!(status["phase"], "cancelled", "{status}");
    assert!(status["message"]
        .as_str()
        .unwrap()
        .contains("nothing was stored"));
    let exp = app::db::experiments::by_key(&pool, KEY).await.unwrap();
    assert!(app::db::results::list(&pool, exp.id)
        .await
        .unwrap()
        .is_empty());
    // The warehouse stopped the statement too.
    let mut still = 1;
    for _ in 0..50 {
        still = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'verdict' AND state = 'active' AND query LIKE '%wh_api_slow%'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if still == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(still, 0);
}
