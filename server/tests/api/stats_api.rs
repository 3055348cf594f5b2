//! The stats endpoints over HTTP: the exact field names of STATISTICS.md section 7, and 400s that
//! name the field.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sqlx::SqlitePool;
use tower::ServiceExt;

use crate::helpers::app;

async fn post(pool: SqlitePool, path: &str, body: &str) -> (StatusCode, Value) {
    let request = Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = app(pool).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn sample_size_answers_the_worked_example(pool: SqlitePool) {
    let body = json!({"kind":"proportion","baseline_rate":0.1,"mde_relative":0.05,"alpha":0.05,"power":0.8,"arms":2,"bonferroni":false,"daily_traffic":10000});
    let (status, v) = post(pool, "/api/v1/stats/sample-size", &body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v,
        json!({"n_per_arm":57763,"total_users":115526,"days_needed":12,"recommended_days":14})
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn sample_size_without_traffic_leaves_out_the_duration(pool: SqlitePool) {
    let body = json!({"kind":"mean","baseline_mean":2.5,"sd":12.0,"mde_relative":0.05,"alpha":0.05,"power":0.8,"arms":2,"bonferroni":false});
    let (status, v) = post(pool, "/api/v1/stats/sample-size", &body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(
        v.get("n_per_arm").is_some() && v.get("days_needed").is_none(),
        "{v}"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn bad_sample_size_input_is_a_400_naming_the_field(pool: SqlitePool) {
    let body = json!({"kind":"proportion","baseline_rate":1.2,"mde_relative":0.05,"alpha":0.05,"power":0.8,"arms":2,"bonferroni":false});
    let (status, v) = post(pool.clone(), "/api/v1/stats/sample-size", &body.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        v["error"].as_str().unwrap().contains("baseline_rate"),
        "{v}"
    );
    let (status, v) = post(pool, "/api/v1/stats/sample-size", "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("line 1"), "{v}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn analyze_returns_every_section_7_field(pool: SqlitePool) {
    let body = json!({
        "engine":"frequentist","alpha":0.05,"correction":"holm","srm_threshold":0.001,
        "arms":[{"name":"control","users":10000,"weight":0.5},{"name":"B","users":10000,"weight":0.5}],
        "metrics":[{"name":"signup","role":"primary","kind":"proportion","direction":"increase",
                    "values":{"control":{"conversions":1000},"B":{"conversions":1100}}}]
    });
    let (status, v) = post(pool, "/api/v1/stats/analyze", &body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["srm"]["status"], "healthy");
    let c = &v["metrics"][0]["comparisons"][0];
    for field in [
        "arm",
        "lift_relative",
        "ci_low",
        "ci_high",
        "p_value",
        "p_value_adjusted",
        "diff_absolute",
        "diff_ci_low",
        "diff_ci_high",
        "chance_to_win",
        "risk_control",
        "risk_treatment",
        "error",
    ] {
        assert!(c.get(field).is_some(), "missing {field} in {c}");
    }
    assert!((c["lift_relative"].as_f64().unwrap() - 0.1).abs() < 1e-12);
    assert!(c["chance_to_win"].is_null() && c["error"].is_null());
    assert_eq!(v["metrics"][0]["arms"][0]["mean"], 0.1);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn analyze_refuses_more_conversions_than_users_naming_the_place(pool: SqlitePool) {
    let body = json!({
        "engine":"frequentist",
        "arms":[{"name":"control","users":100,"weight":0.5},{"name":"B","users":100,"weight":0.5}],
        "metrics":[{"name":"signup","role":"primary","kind":"proportion","direction":"increase",
                    "values":{"control":{"conversions":10},"B":{"conversions":101}}}]
    });
    let (status, v) = post(pool, "/api/v1/stats/analyze", &body.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("metrics[0]") && e.contains("B"), "{e}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn analyze_takes_ratio_metrics_and_cuped_covariates_over_http(pool: SqlitePool) {
    let body = json!({
        "arms": [{"name": "control", "users": 40}, {"name": "B", "users": 40}],
        "metrics": [
            {"name": "revenue", "role": "primary", "kind": "mean", "values": {
                "control": {"n": 40, "sum": 372.4, "sum_squares": 4498.16,
                            "covariate": {"sum": 374.4, "sum_squares": 4474.04, "cross_sum": 4399.36}},
                "B": {"n": 40, "sum": 398.6, "sum_squares": 4636.76,
                      "covariate": {"sum": 362.6, "sum_squares": 3799.02, "cross_sum": 4134.17}}}},
            {"name": "clicks_per_session", "role": "secondary", "kind": "ratio", "values": {
                "control": {"n": 30, "numerator_sum": 79, "numerator_sum_squares": 309, "denominator_sum": 70,
                            "denominator_sum_squares": 236, "cross_sum": 251},
                "B": {"n": 30, "numerator_sum": 140, "numerator_sum_squares": 962, "denominator_sum": 103,
                      "denominator_sum_squares": 425, "cross_sum": 579}}}]
    });
    let (status, v) = post(pool.clone(), "/api/v1/stats/analyze", &body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let cuped = &v["metrics"][0]["comparisons"][0];
    assert!(
        (cuped["theta"].as_f64().unwrap() - 0.96443757).abs() < 1e-6,
        "{cuped}"
    );
    assert!(
        (cuped["lift_relative"].as_f64().unwrap() - 0.10091397).abs() < 1e-6,
        "{cuped}"
    );
    assert!((cuped["pre_period"]["p_value"].as_f64().unwrap() - 0.7581996).abs() < 1e-6);
    let ratio = &v["metrics"][1];
    assert_eq!(ratio["kind"], "ratio");
    assert!((ratio["comparisons"][0]["lift_relative"].as_f64().unwrap() - 0.20437508).abs() < 1e-6);
    assert!(ratio["comparisons"][0]["theta"].is_null());

    let mut partial = body.clone();
    partial["metrics"][0]["values"]["B"]
        .as_object_mut()
        .unwrap()
        .remove("covariate");
    let (status, v) = post(pool, "/api/v1/stats/analyze", &partial.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap_or_default()
            .contains("metrics[0].values.B.covariate"),
        "{v}"
    );
}
