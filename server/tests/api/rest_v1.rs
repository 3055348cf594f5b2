//! The REST API v1 as a script sees it: status codes, bodies, the one error shape, roles, the
//! lifecycle gates, no peeking, and an OpenAPI document that lists every route.

use app::domain::account::Role;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use chrono::{Duration, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sqlx::SqlitePool;
use tower::ServiceExt;

use crate::helpers::{app, call, token};

/// Sends a JSON request (as the test admin unless `bearer` is given) and reads the JSON answer.
async fn send(
    app: &Router,
    method: Method,
    path: &str,
    body: Option<Value>,
    bearer: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(t) = bearer {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let body = match body {
        Some(v) => {
            request = request.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let (status, text) = crate::helpers::answer(app, request.body(body).unwrap()).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(crate) async fn get(app: &Router, path: &str) -> (StatusCode, Value) {
    send(app, Method::GET, path, None, None).await
}

pub(crate) async fn post(app: &Router, path: &str, body: Value) -> (StatusCode, Value) {
    send(app, Method::POST, path, Some(body), None).await
}

async fn patch(app: &Router, path: &str, body: Value) -> (StatusCode, Value) {
    send(app, Method::PATCH, path, Some(body), None).await
}

fn proposal(key: &str) -> Value {
    json!({"key": key, "title": "One-page checkout", "owner": "Ana", "team": "Checkout",
           "hypothesis": "fewer steps convert better", "surface": "checkout", "tags": ["speed", "q4"]})
}

pub(crate) async fn create(app: &Router, key: &str) -> Value {
    let (status, body) = post(app, "/api/v1/experiments", proposal(key)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

fn metric(name: &str) -> Value {
    json!({"name": name, "event": format!("{name}_event"), "kind": "proportion", "direction": "increase"})
}

/// Everything the ready and launch gates ask for; `engine` picks the test.
fn complete_brief(engine: &str) -> Value {
    let today = Utc::now().date_naive();
    json!({
        "hypothesis": {"change": "the checkout", "from": "three steps", "to": "one page",
                       "because": "every step loses buyers"},
        "primary": metric("purchase"),
        "secondary": [metric("refund"), metric("support_ticket")],
        "baseline_rate": 0.1, "mde": 0.05, "alpha": 0.05, "power": 0.8,
        "arms": [{"name": "control", "weight": 0.5}, {"name": "one_page", "weight": 0.5}],
        "daily_traffic": 10000, "window_days": 14,
        "planned_start": today.to_string(),
        "planned_end": (today + Duration::days(14)).to_string(),
        "rule": {"min_lift": 0.02, "max_guardrail_drop": 0.01, "engine": engine, "correction": "holm"}
    })
}

/// A clear win for `one_page` on the primary metric, guardrails flat.
pub(crate) fn counts() -> Value {
    let pair = |a: u64, b: u64| json!([{"conversions": a}, {"conversions": b}]);
    json!({
        "arms": [{"name": "control", "users": 60000}, {"name": "one_page", "users": 60000}],
        "metrics": [
            {"metric": "purchase", "values": pair(6000, 6900)},
            {"metric": "refund", "values": pair(600, 600)},
            {"metric": "support_ticket", "values": pair(300, 300)}
        ]
    })
}

/// Creates `key`, completes its brief with `engine`, and launches it.
pub(crate) async fn running(app: &Router, key: &str, engine: &str) {
    launched(app, key, complete_brief(engine)).await
}

/// Creates `key` with `brief` and launches it.
async fn launched(app: &Router, key: &str, brief: Value) {
    let exp = create(app, key).await;
    let path = format!("/api/v1/experiments/{key}");
    let (status, body) = patch(
        app,
        &path,
        json!({"version": exp["version"], "brief": brief}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ready = json!({"to": "ready", "note": ""});
    let (status, body) = post(app, &format!("{path}/transition"), ready).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Launch needs the three sign-offs (workspace default); the API has no route for them yet.
    let version = body["experiment"]["version"].clone();
    for role in ["product", "engineering", "design"] {
        let sign = json!({"key": key, "version": version, "role": role});
        let (status, body) = call(app, "sign_off", sign).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let launch = json!({"to": "running", "note": "go"});
    let (status, body) = post(app, &format!("{path}/transition"), launch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn primary_comparisons(analysis: &Value) -> &Vec<Value> {
    analysis["analysis"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "primary")
        .unwrap()["comparisons"]
        .as_array()
        .unwrap()
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn creating_an_experiment_answers_201_with_the_experiment(pool: SqlitePool) {
    let app = app(pool.clone());

    let body = create(&app, "one_page_checkout").await;

    assert_eq!(body["key"], "one_page_checkout");
    assert_eq!(body["status"], "proposed");
    assert_eq!(body["tags"], json!(["q4", "speed"]));
    assert_eq!(
        body["brief"]["hypothesis"]["draft"],
        "fewer steps convert better"
    );
    let (status, read) = get(&app, "/api/v1/experiments/one_page_checkout").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, body);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_proposal_missing_fields_is_a_400_naming_every_field(pool: SqlitePool) {
    let app = app(pool.clone());

    let (status, body) = post(&app, "/api/v1/experiments", json!({"key": "Bad Key"})).await;

    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "owner", "team", "hypothesis", "key"]);
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("Title is required"));
    assert_eq!(app::db::experiments::count(&pool).await.unwrap(), 0);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn malformed_json_is_a_400_naming_the_field_and_the_position(pool: SqlitePool) {
    let app = app(pool);

    let (status, body) = post(&app, "/api/v1/experiments", json!({"title": 5})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["fields"][0]["field"], "title", "{body}");
    assert!(body["error"].as_str().unwrap().contains("column"), "{body}");

    let request = Request::post("/api/v1/experiments")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(body["error"].as_str().unwrap().contains("line 1"), "{body}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_duplicate_key_is_a_409(pool: SqlitePool) {
    let app = app(pool);
    create(&app, "checkout_copy").await;

    let (status, body) = post(&app, "/api/v1/experiments", proposal("checkout_copy")).await;

    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().contains("already taken"));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_patch_merges_into_the_stored_brief_and_bumps_the_version(pool: SqlitePool) {
    let app = app(pool);
    let exp = create(&app, "merge_me").await;

    let (status, body) = patch(
        &app,
        "/api/v1/experiments/merge_me",
        json!({"version": exp["version"], "brief": {"notes": "see the design doc", "mde": 0.05}}),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], exp["version"].as_i64().unwrap() + 1);
    assert_eq!(body["brief"]["notes"], "see the design doc");
    assert_eq!(body["brief"]["mde"], 0.05);
    assert_eq!(
        body["brief"]["hypothesis"]["draft"], "fewer steps convert better",
        "fields left out keep their value"
    );
    let (status, body) = patch(
        &app,
        "/api/v1/experiments/merge_me",
        json!({"version": body["version"], "brief": {"arms": [{"name": "control", "weight": "half"}]}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["fields"][0]["field"], "brief.arms[0].weight", "{body}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_stale_patch_is_a_409_and_the_stored_brief_is_unchanged(pool: SqlitePool) {
    let app = app(pool.clone());
    let exp = create(&app, "two_editors").await;
    let version = exp["version"].clone();
    let first = json!({"version": version, "brief": {"notes": "first"}});
    let (status, _) = patch(&app, "/api/v1/experiments/two_editors", first).await;
    assert_eq!(status, StatusCode::OK);

    let stale = json!({"version": version, "brief": {"notes": "second"}});
    let (status, body) = patch(&app, "/api/v1/experiments/two_editors", stale).await;

    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("someone else saved"));
    let stored = app::db::experiments::by_key(&pool, "two_editors")
        .await
        .unwrap();
    assert_eq!(stored.brief.notes, "first");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn marking_ready_without_a_complete_brief_is_a_422_listing_every_reason(pool: SqlitePool) {
    let app = app(pool.clone());
    create(&app, "incomplete").await;

    let (status, body) = post(
        &app,
        "/api/v1/experiments/incomplete/transition",
        json!({"to": "ready"}),
    )
    .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let reasons: Vec<&str> = body["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let exp = app::db::experiments::by_key(&pool, "incomplete")
        .await
        .unwrap();
    let expected: Vec<String> = exp
        .brief
        .validate()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(reasons, expected, "every reason of the UI's gate");
    assert!(reasons.len() > 5);
    assert_eq!(exp.status, app::domain::lifecycle::Status::Proposed);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_experiment_goes_from_ready_to_running_to_results_to_done(pool: SqlitePool) {
    let app = app(pool);
    running(&app, "checkout", "frequentist").await;
    let path = "/api/v1/experiments/checkout";

    let (status, snapshot) = post(&app, &format!("{path}/results"), counts()).await;
    assert_eq!(status, StatusCode::CREATED, "{snapshot}");
    assert_eq!(snapshot["source"], "manual");
    assert_eq!(snapshot["counts"]["arms"][1]["users"], 60000);

    let (status, analysis) = get(&app, &format!("{path}/analysis")).await;
    assert_eq!(status, StatusCode::OK, "{analysis}");
    assert_eq!(analysis["snapshot"]["id"], snapshot["id"]);
    assert_eq!(analysis["analysis"]["srm"]["status"], "healthy");

    let close = json!({
        "to": "done", "verdict": "ship", "ship_arm": "one_page",
        "summary": "one page wins", "stop_reason": "clear result",
        "override_reason": "shipping before the end date",
        "post_mortem": {"lessons": "fewer steps help"}
    });
    let (status, moved) = post(&app, &format!("{path}/transition"), close).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["experiment"]["status"], "done");
    assert_eq!(
        moved["experiment"]["conclusion"]["summary"],
        "one page wins"
    );

    let (status, verdict) = get(&app, &format!("{path}/verdict")).await;
    assert_eq!(status, StatusCode::OK, "{verdict}");
    assert_eq!(
        verdict["conclusion"]["verdict"],
        moved["experiment"]["conclusion"]["verdict"]
    );
    assert!(verdict["decision"].is_object(), "{verdict}");
    let (_, analysis) = get(&app, &format!("{path}/analysis")).await;
    assert!(analysis["blind_until"].is_null());
    assert!(
        !primary_comparisons(&analysis).is_empty(),
        "done: nothing hidden"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_running_fixed_horizon_test_hides_its_primary_result_until_the_planned_end(
    pool: SqlitePool,
) {
    let app = app(pool);
    running(&app, "fixed", "frequentist").await;
    running(&app, "sequential", "sequential").await;
    for key in ["fixed", "sequential"] {
        let (status, _) = post(
            &app,
            &format!("/api/v1/experiments/{key}/results"),
            counts(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }

    let (_, fixed) = get(&app, "/api/v1/experiments/fixed/analysis").await;
    let (_, fixed_verdict) = get(&app, "/api/v1/experiments/fixed/verdict").await;
    let (_, sequential) = get(&app, "/api/v1/experiments/sequential/analysis").await;

    let end = (Utc::now().date_naive() + Duration::days(14)).to_string();
    assert_eq!(fixed["blind_until"], end.as_str(), "{fixed}");
    assert!(primary_comparisons(&fixed).is_empty(), "{fixed}");
    assert_eq!(fixed["lift_history"], json!([]));
    let guardrails = fixed["analysis"]["metrics"].as_array().unwrap();
    assert!(guardrails
        .iter()
        .filter(|m| m["role"] == "secondary")
        .all(|m| !m["comparisons"].as_array().unwrap().is_empty()));
    assert!(fixed_verdict["decision"].is_null(), "{fixed_verdict}");
    assert!(sequential["blind_until"].is_null());
    assert!(
        !primary_comparisons(&sequential).is_empty(),
        "sequential tests show every look"
    );
}

/// The experiment page's results section arrives drawn (HTML, not the analysis): the no-peeking
/// rule holds in it as in the analysis, and the hand-entry form starts from the latest counts.
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_drawn_results_section_hides_a_blind_primary_lift_and_shows_a_sequential_one(
    pool: SqlitePool,
) {
    let app = app(pool);
    running(&app, "fixed", "frequentist").await;
    running(&app, "sequential", "sequential").await;
    for key in ["fixed", "sequential"] {
        let path = format!("/api/v1/experiments/{key}/results");
        assert_eq!(post(&app, &path, counts()).await.0, StatusCode::CREATED);
    }
    let section = |key: &'static str| {
        let app = app.clone();
        async move {
            let (status, body) = call(&app, "get_results_section", json!({ "key": key })).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            serde_json::from_str::<Value>(&body).unwrap()
        }
    };
    let (fixed, sequential) = (section("fixed").await, section("sequential").await);
    let (fixed_html, sequential_html) = (
        fixed["panel_html"].as_str().unwrap(),
        sequential["panel_html"].as_str().unwrap(),
    );

    let end = (Utc::now().date_naive() + Duration::days(14)).to_string();
    assert!(
        fixed_html.contains(&format!("Blind until {end}.")),
        "{fixed_html}"
    );
    assert!(fixed_html.contains("Lift hidden until the planned end date."));
    // The primary metric's lift (6000 -> 6900 of 60000: +15.0%) is nowhere in the blind page,
    // while its guardrails' comparisons are.
    assert!(!fixed_html.contains("+15.0%"), "{fixed_html}");
    assert!(fixed_html.contains("Guardrail: refund"));
    assert!(fixed_html.contains("class=\"comparisons\""));
    assert!(!sequential_html.contains("Blind until"));
    assert!(sequential_html.contains("+15.0%"), "{sequential_html}");
    assert!(
        sequential_html.contains("<svg"),
        "the interval plots are drawn"
    );
    assert_eq!(fixed["latest_counts"]["arms"][1]["users"], 60000);
    assert_eq!(fixed["brief"]["rule"]["engine"], "frequentist");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_list_filters_like_the_board(pool: SqlitePool) {
    let app = app(pool);
    create(&app, "checkout_a").await;
    running(&app, "checkout_b", "frequentist").await;
    let other = json!({"key": "pricing_grid", "title": "Pricing grid", "owner": "Bo",
                       "team": "Pricing", "hypothesis": "h", "surface": "pricing", "tags": []});
    post(&app, "/api/v1/experiments", other).await;
    let keys = |v: Value| -> Vec<String> {
        let mut k: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].as_str().unwrap().to_owned())
            .collect();
        k.sort();
        k
    };

    let query = |q: &'static str| {
        let app = app.clone();
        async move {
            let (status, body) = get(&app, &format!("/api/v1/experiments{q}")).await;
            assert_eq!(status, StatusCode::OK, "{q}: {body}");
            keys(body)
        }
    };
    assert_eq!(
        query("").await,
        ["checkout_a", "checkout_b", "pricing_grid"]
    );
    assert_eq!(query("?status=running").await, ["checkout_b"]);
    assert_eq!(query("?team=Pricing").await, ["pricing_grid"]);
    assert_eq!(
        query("?surface=checkout&tag=q4").await,
        ["checkout_a", "checkout_b"]
    );
    assert_eq!(query("?owner=Bo").await, ["pricing_grid"]);
    assert_eq!(query("?q=grid").await, ["pricing_grid"]);
    assert!(query("?archived=true").await.is_empty());
    let (status, body) = get(&app, "/api/v1/experiments?status=paused").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().contains("paused"), "{body}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_viewer_token_reads_but_every_write_is_a_403(pool: SqlitePool) {
    let app = app(pool.clone());
    create(&app, "watched").await;
    let viewer = token(&pool, Role::Viewer).await;

    let (status, _) = send(
        &app,
        Method::GET,
        "/api/v1/experiments/watched",
        None,
        Some(&viewer),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let writes: Vec<_> = server::api_v1::route_list()
        .into_iter()
        .filter(|(method, path)| *method != Method::GET && !path.starts_with("/stats/"))
        .collect();
    assert!(writes.len() >= 4, "{writes:?}");
    for (method, path) in writes {
        let path = format!("/api/v1{}", path.replace("{key}", "watched"));
        let (status, body) =
            send(&app, method.clone(), &path, Some(json!({})), Some(&viewer)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {body}");
        assert!(body["error"].as_str().unwrap().contains("viewer"), "{body}");
    }
    let stored = app::db::experiments::by_key(&pool, "watched")
        .await
        .unwrap();
    assert_eq!(stored.version, 1, "nothing was written");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_viewer_token_works_on_every_read_and_on_the_stats(pool: SqlitePool) {
    let app = app(pool.clone());
    running(&app, "watched", "sequential").await;
    let viewer = token(&pool, Role::Viewer).await;

    for (method, path) in server::api_v1::route_list() {
        let path = format!("/api/v1{}", path.replace("{key}", "watched"));
        let body = match path.as_str() {
            "/api/v1/stats/sample-size" => json!({"kind": "proportion", "baseline_rate": 0.1,
                "mde_relative": 0.05, "alpha": 0.05, "power": 0.8, "arms": 2, "bonferroni": false}),
            "/api/v1/stats/analyze" => json!({"engine": "frequentist", "alpha": 0.05,
                "correction": "holm", "srm_threshold": 0.001,
                "arms": [{"name": "control", "users": 1000, "weight": 0.5},
                         {"name": "B", "users": 1000, "weight": 0.5}],
                "metrics": [{"name": "m", "role": "primary", "kind": "proportion",
                    "direction": "increase",
                    "values": {"control": {"conversions": 100}, "B": {"conversions": 120}}}]}),
            _ if method == Method::GET => Value::Null,
            _ => continue,
        };
        let body = (!body.is_null()).then_some(body);
        let (status, answer) = send(&app, method.clone(), &path, body, Some(&viewer)).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {answer}");
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn without_credentials_every_route_is_a_401_with_an_error(pool: SqlitePool) {
    let app = app(pool);
    create(&app, "private").await;

    for (method, path) in server::api_v1::route_list() {
        let path = format!("/api/v1{}", path.replace("{key}", "private"));
        let request = Request::builder()
            .method(method.clone())
            .uri(&path)
            .header("x-test-anonymous", "1")
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
        assert!(body["error"].is_string(), "{method} {path}: {body}");
    }
}

/// A well-formed body for a write route, so only the key can be wrong.
fn valid_body(path: &str) -> Value {
    if path.ends_with("/transition") {
        json!({"to": "ready"})
    } else if path.ends_with("/results") {
        counts()
    } else {
        json!({"version": 1, "brief": {}})
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn unknown_keys_are_404s(pool: SqlitePool) {
    let app = app(pool);
    for (method, path) in server::api_v1::route_list() {
        if !path.contains("{key}") {
            continue;
        }
        let path = format!("/api/v1{}", path.replace("{key}", "no_such_test"));
        let body = (method != Method::GET).then(|| valid_body(&path));
        let (status, answer) = send(&app, method.clone(), &path, body, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("no_such_test"),
            "{answer}"
        );
    }
    let (status, body) = get(&app, "/api/v1/no_such_route").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["error"].is_string(),
        "JSON even for unknown routes: {body}"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_openapi_document_lists_every_route_the_bearer_scheme_and_the_error_shape(
    pool: SqlitePool,
) {
    let app = app(pool);

    let (status, doc) = get(&app, "/api/v1/openapi.json").await;

    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (method, path) in server::api_v1::route_list() {
        let full = format!("/api/v1{path}");
        let operation = &doc["paths"][&full][method.as_str().to_lowercase()];
        assert!(operation.is_object(), "{method} {full} is not documented");
        if full != "/api/v1/openapi.json" {
            assert!(operation["responses"]["403"].is_object(), "{method} {full}");
        }
    }
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        server::api_v1::route_list().len(),
        "no phantom routes"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(doc["security"], json!([{"bearer": []}]));
    let error = &doc["components"]["schemas"]["ErrorBody"]["properties"];
    for field in ["error", "fields", "reasons"] {
        assert!(error[field].is_object(), "ErrorBody.{field}");
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn every_schema_reference_in_the_document_resolves(pool: SqlitePool) {
    let (_, doc) = get(&app(pool), "/api/v1/openapi.json").await;
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} does not resolve"
        );
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_documented_experiment_has_exactly_the_fields_of_a_real_one(pool: SqlitePool) {
    let app = app(pool);
    let exp = create(&app, "schema_check").await;
    let (_, doc) = get(&app, "/api/v1/openapi.json").await;

    let mut documented: Vec<&String> = doc["components"]["schemas"]["Experiment"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let mut real: Vec<&String> = exp.as_object().unwrap().keys().collect();
    documented.sort();
    real.sort();

    assert_eq!(documented, real);
}

/// Counts whose arms already differed before exposure on the primary metric (20% vs 26% had
/// purchased in the pre-period), with an `$os` breakdown.
fn counts_with_pre_period_and_segments() -> Value {
    let mut c = counts();
    c["metrics"][0]["covariates"] = json!([
        {"sum": 12000.0, "sum_squares": 12000.0, "cross_sum": 2400.0},
        {"sum": 15600.0, "sum_squares": 15600.0, "cross_sum": 3120.0}
    ]);
    let pair = |a: u64, b: u64| json!([{"conversions": a}, {"conversions": b}]);
    let segment = |value: &str, users: u64, purchases: [u64; 2]| {
        json!({"property": "$os", "value": value,
               "arms": [{"name": "control", "users": users}, {"name": "one_page", "users": users}],
               "metrics": [
                   {"metric": "purchase", "values": pair(purchases[0], purchases[1])},
                   {"metric": "refund", "values": pair(users / 100, users / 100)},
                   {"metric": "support_ticket", "values": pair(users / 200, users / 200)}]})
    };
    c["segments"] = json!([
        segment("iOS", 30000, [3000, 3500]),
        segment("Android", 30000, [3000, 3400])
    ]);
    c
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_analysis_has_the_pre_period_check_and_segments_and_the_rule_lists_the_imbalance(
    pool: SqlitePool,
) {
    let app = app(pool.clone());
    let mut brief = complete_brief("sequential");
    brief["cuped"] = json!({"enabled": false, "lookback_days": 14});
    brief["segments"] = json!(["$os"]);
    launched(&app, "retro_aa", brief).await;
    let (status, body) = post(
        &app,
        "/api/v1/experiments/retro_aa/results",
        counts_with_pre_period_and_segments(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, analysis) = get(&app, "/api/v1/experiments/retro_aa/analysis").await;
    assert_eq!(status, StatusCode::OK);
    let check = &analysis["pre_period"];
    assert_eq!(check["cuped"], false);
    let primary = &check["metrics"][0];
    assert_eq!(primary["metric"], "purchase");
    assert!(
        primary["arms"][0]["p_value"].as_f64().unwrap() < 0.001,
        "{check}"
    );
    assert!(
        primary["arms"][0]["narrowed"].is_null(),
        "CUPED off: nothing narrowed"
    );
    let os = &analysis["segments"][0];
    assert_eq!(os["property"], "$os");
    let values: Vec<&str> = os["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["Android", "iOS"], "equal sizes: by name");
    assert_eq!(os["values"][1]["analysis"]["srm"]["status"], "healthy");

    let (_, verdict) = get(&app, "/api/v1/experiments/retro_aa/verdict").await;
    let conditions = verdict["decision"]["conditions"].as_array().unwrap();
    let balance = conditions
        .iter()
        .find(|c| c["name"] == "No pre-existing imbalance on the primary metric")
        .expect("the rule lists the pre-period condition");
    assert_eq!(balance["met"], false, "{balance}");
    assert_eq!(
        verdict["decision"]["verdict"]["kind"], "inconclusive",
        "{verdict}"
    );

    // A segment the brief does not name is refused, naming it; nothing is stored.
    let mut bad = counts_with_pre_period_and_segments();
    bad["segments"][1]["property"] = json!("mp_country_code");
    let (status, body) = post(&app, "/api/v1/experiments/retro_aa/results", bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.to_string()
            .contains("'mp_country_code' is not a segment property of the brief"),
        "{body}"
    );
}

/// Three days of hourly pulls (73 readings) chart the last reading of every three hours, say
/// so above the chart, and end with the latest; the REST analysis says how many readings
/// there are. A table row per reading had made such a page megabytes long.
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn hourly_readings_chart_one_point_per_period_and_say_so(pool: SqlitePool) {
    use app::domain::results::{Counts, Source};
    let app = app(pool.clone());
    running(&app, "hourly", "sequential").await;
    let exp = app::db::experiments::by_key(&pool, "hourly").await.unwrap();
    let counts: Counts = serde_json::from_value(counts()).unwrap();
    let last = Utc::now() - Duration::minutes(5);
    for hours_ago in (0..73).rev() {
        let at = last - Duration::hours(hours_ago);
        let who = app::domain::account::Identity::system("hourly pull");
        let insert = app::db::results::insert(&pool, exp.id, Source::Mixpanel, &counts, 1, 0, at);
        app::auth::acting_as(who, insert).await.unwrap();
    }

    let (status, body) = call(&app, "get_results_section", json!({ "key": "hourly" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let section: Value = serde_json::from_str(&body).unwrap();
    let html = section["panel_html"].as_str().unwrap();
    let chart = &html[html.find("class=\"lift-history\"").expect("a lift chart")..];
    let chart = &chart[..chart.find("</section>").unwrap()];
    let rows = chart.matches("<tr").count();
    assert!((20..=30).contains(&rows), "{rows} rows: {chart}");
    assert!(
        chart.contains(&format!(
            "Showing the last reading of every 3 hours: {rows} of 73 readings."
        )),
        "{chart}"
    );

    let (_, analysis) = get(&app, "/api/v1/experiments/hourly/analysis").await;
    assert_eq!(analysis["readings"], 73);
    let history = analysis["lift_history"].as_array().unwrap();
    assert_eq!(history.len(), rows, "one treatment arm: a point per row");
    assert_eq!(
        history.last().unwrap()["at"],
        analysis["snapshot"]["taken_at"],
        "the chart ends with the latest reading"
    );
}
