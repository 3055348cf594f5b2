//! Pulls against a fake Mixpanel on 127.0.0.1, through the app's own server functions: the
//! committed 20k-event export and its truth file, gzip and chunked; 429, 5xx, 401, 400, broken
//! lines, a second pull, and cancel.

mod failures;
mod fake;
mod fidelity;
mod project;

use std::sync::Arc;
use std::time::Duration;

use app::domain::results::{Observed, Snapshot};
use app::pull::{PullRegistry, RetryPolicy};
use app::state::AppState;
use axum::http::StatusCode;
use axum::Router;
use leptos::config::LeptosOptions;
use serde_json::{json, Value};
use sqlx::SqlitePool;

use crate::helpers::call;
use fake::{FakeMixpanel, Reply};

const KEY: &str = "checkout_one_page";
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../app/src/domain/attribution/testdata/events_20k.jsonl"
);

/// The router with retries fast enough for tests, sending exports to `base` (the deployment's
/// override, with local addresses allowed: the fake listens on 127.0.0.1).
fn app(pool: SqlitePool, base: &str) -> Router {
    app_with(pool, base, app::pull::Patience::default())
}

/// [`app`] waiting `patience` for a silent export.
fn app_with(pool: SqlitePool, base: &str, patience: app::pull::Patience) -> Router {
    let router = server::router_with(AppState {
        leptos_options: LeptosOptions::builder().output_name("verdict").build(),
        pool: pool.clone(),
        pulls: PullRegistry::new(RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(2),
        })
        .with_patience(patience)
        .with_egress(app::pull::egress::Egress::new(Some(base), true).unwrap()),
    });
    crate::helpers::signed_in_as_admin(router, pool)
}

/// The committed export, decompressed: what Mixpanel would send before gzip.
fn export() -> Arc<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(format!("{FIXTURE}.gz")).unwrap();
    let mut body = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut body)
        .unwrap();
    Arc::new(body)
}

fn truth() -> Value {
    let text = std::fs::read_to_string(format!("{FIXTURE}.truth.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["experiments"][KEY]["variants"].clone()
}

/// A running experiment whose brief matches the fixture (arms, events, the revenue property),
/// started on the export's first day, and the Mixpanel settings saved.
async fn arrange(app: &Router, pool: &SqlitePool) {
    crate::helpers::running_checkout(app, pool, KEY).await;
    let settings = json!({"form": {"project_id": "4242", "username": "sa-user", "secret": "sa-secret", "residency": "us", "interval_hours": ""}});
    let (s, body) = call(app, "save_mixpanel_settings", settings).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

/// Polls `pull_status` until the pull ends, returning its final status as JSON.
async fn wait_for_end(app: &Router) -> Value {
    for _ in 0..1500 {
        let status = pull_status(app).await;
        if status["phase"] != "running" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the pull did not end within 30 s");
}

async fn pull_status(app: &Router) -> Value {
    let (s, body) = call(app, "pull_status", json!({"key": KEY})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["status"].clone()
}

async fn snapshots(pool: &SqlitePool) -> Vec<Snapshot> {
    let exp = app::db::experiments::by_key(pool, KEY).await.unwrap();
    app::db::results::list(pool, exp.id).await.unwrap()
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_gzip_chunked_export_is_attributed_and_stored_as_one_mixpanel_snapshot(pool: SqlitePool) {
    // Arrange
    let mixpanel = FakeMixpanel::start(vec![Reply::export(export())]).await;
    let app = app(pool.clone(), &mixpanel.base);
    arrange(&app, &pool).await;

    // Act
    let (s, body) = call(&app, "start_pull", json!({"key": KEY})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let status = wait_for_end(&app).await;

    // Assert: the request Mixpanel saw
    assert_eq!(status["phase"], "succeeded", "{status}");
    let seen = mixpanel.requests();
    assert_eq!(seen.len(), 1);
    let today = chrono::Utc::now().date_naive().format("%Y-%m-%d");
    assert!(
        seen[0]
            .target
            .starts_with("/api/2.0/export?project_id=4242&from_date=2024-05-01"),
        "{}",
        seen[0].target
    );
    assert!(
        seen[0].target.contains(&format!("to_date={today}")),
        "{}",
        seen[0].target
    );
    let event = "event=%5B%22%24experiment_started%22%2C%22purchase_completed%22%2C%22signup_completed%22%5D";
    assert!(seen[0].target.ends_with(event), "{}", seen[0].target);
    assert_eq!(
        seen[0].header("authorization"),
        Some("Basic c2EtdXNlcjpzYS1zZWNyZXQ=")
    );
    assert!(seen[0]
        .header("accept-encoding")
        .unwrap_or_default()
        .contains("gzip"));

    // Assert: the snapshot matches the generator's truth
    let stored = snapshots(&pool).await;
    assert_eq!(stored.len(), 1);
    let snap = &stored[0];
    assert_eq!(snap.source, app::domain::results::Source::Mixpanel);
    assert_eq!(
        (snap.lines, status["lines"].as_u64()),
        (20_000, Some(20_000))
    );
    let truth = truth();
    for (i, arm) in ["control", "one_page"].iter().enumerate() {
        let t = &truth[arm];
        assert_eq!(
            snap.counts.arms[i].users,
            t["exposed"].as_u64().unwrap(),
            "{arm}"
        );
        let conversions = |m: usize| match snap.counts.metrics[m].values[i] {
            Observed::Proportion { conversions } => conversions,
            ref other => panic!("{other:?}"),
        };
        assert_eq!(
            conversions(0),
            t["converted"]["purchase_completed"].as_u64().unwrap()
        );
        assert_eq!(
            conversions(2),
            t["converted"]["signup_completed"].as_u64().unwrap()
        );
        let Observed::Mean {
            n,
            sum,
            sum_squares,
        } = snap.counts.metrics[1].values[i]
        else {
            panic!("revenue is a mean metric");
        };
        assert_eq!(n, t["exposed"].as_u64().unwrap());
        assert!(
            (sum - t["revenue_sum"].as_f64().unwrap()).abs() < 1e-6,
            "{sum}"
        );
        assert!((sum_squares - t["revenue_sumsq"].as_f64().unwrap()).abs() < 1e-3);
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_settings_never_send_the_secret_back_and_an_empty_one_keeps_it(pool: SqlitePool) {
    let app = app(pool.clone(), "http://127.0.0.1:9");
    arrange(&app, &pool).await;
    let (_, body) = call(&app, "get_mixpanel_settings", json!({})).await;
    assert!(!body.contains("sa-secret"), "{body}");
    assert!(body.contains("\"secret_set\":true"), "{body}");
    let resave = json!({"form": {"project_id": "4242", "username": "other", "secret": "", "residency": "us", "interval_hours": "12"}});
    let (s, body) = call(&app, "save_mixpanel_settings", resave).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let stored = app::db::mixpanel_source::load(&pool)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.secret.expose(), "sa-secret");
    assert_eq!(stored.username, "other");
    // Another residency is another destination: the secret must be typed again.
    let elsewhere = json!({"form": {"project_id": "4242", "username": "other", "secret": "", "residency": "eu", "interval_hours": "12"}});
    let (s, body) = call(&app, "save_mixpanel_settings", elsewhere).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("type the secret again"), "{body}");
    let stored = app::db::mixpanel_source::load(&pool)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.residency.host(),
        "https://data.mixpanel.com",
        "nothing changed"
    );
}
