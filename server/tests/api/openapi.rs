//! The OpenAPI document of /api/v1 is a valid OpenAPI 3.1 document, and what the API really
//! sends and accepts validates against the schemas it documents (derived from the domain types).

use jsonschema::{Draft, Resource, Validator};
use serde_json::{json, Value};
use sqlx::SqlitePool;

use crate::helpers::app;
use crate::rest_v1::{counts, create, get, post, running};

/// The OpenAPI Initiative's JSON Schema for 3.1 documents (spec.openapis.org/oas/3.1/schema/
/// 2022-10-07, Apache-2.0), as bundled by openapi-spec-validator.
const OAS_3_1: &str = include_str!("testdata/openapi-3.1.schema.json");

/// A validator for the document's component schema `name`.
fn component(doc: &Value, name: &str) -> Validator {
    let root = "urn:verdict:openapi";
    let resource = Resource::from_contents(doc.clone()).expect("the document is a resource");
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_resource(root, resource)
        .build(&json!({ "$ref": format!("{root}#/components/schemas/{name}") }))
        .unwrap_or_else(|e| panic!("the {name} schema does not compile: {e}"))
}

/// Every way `instance` breaks the schema, one per line (empty when it validates).
fn problems(validator: &Validator, instance: &Value) -> String {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_valid(doc: &Value, name: &str, instance: &Value) {
    let found = problems(&component(doc, name), instance);
    assert!(
        found.is_empty(),
        "{name} does not match its schema:\n{found}\n{instance:#}"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_document_is_valid_openapi_3_1(pool: SqlitePool) {
    let (_, doc) = get(&app(pool), "/api/v1/openapi.json").await;
    let meta: Value = serde_json::from_str(OAS_3_1).unwrap();
    let validator = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .build(&meta)
        .expect("the OpenAPI 3.1 schema compiles");
    let found = problems(&validator, &doc);
    assert!(found.is_empty(), "{found}");
    // The check can fail: a document without its required `info` is refused.
    let mut broken = doc.clone();
    broken.as_object_mut().unwrap().remove("info");
    assert!(!validator.is_valid(&broken));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_domain_types_are_documented_field_by_field(pool: SqlitePool) {
    let (_, doc) = get(&app(pool), "/api/v1/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    for (name, field) in [
        ("Brief", "hypothesis"),
        ("Brief", "rule"),
        ("DecisionRule", "engine"),
        ("Decision", "conditions"),
        ("Condition", "met"),
        ("AnalyzeRequest", "metrics"),
        ("MetricInput", "values"),
        ("AnalyzeResponse", "srm"),
        ("Comparison", "p_value_adjusted"),
        ("SampleSizeRequest", "mde_relative"),
        ("Experiment", "brief"),
        ("Snapshot", "counts"),
    ] {
        // A flattened type (`#[serde(flatten)]`) lists its parts under `allOf`.
        let schema = &schemas[name];
        let parts = std::iter::once(schema).chain(schema["allOf"].as_array().into_iter().flatten());
        assert!(
            parts
                .into_iter()
                .any(|p| p["properties"][field].is_object()),
            "{name}.{field} is not documented: {schema:#}"
        );
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn real_requests_and_answers_validate_against_the_document(pool: SqlitePool) {
    let app = app(pool);
    let (_, doc) = get(&app, "/api/v1/openapi.json").await;

    // A proposal, and a running experiment with a reading, its analysis and its verdict.
    let proposed = create(&app, "just_an_idea").await;
    assert_valid(&doc, "Experiment", &proposed);
    running(&app, "checkout", "frequentist").await;
    let path = "/api/v1/experiments/checkout";
    let (_, experiment) = get(&app, path).await;
    assert_valid(&doc, "Experiment", &experiment);
    assert_valid(&doc, "Counts", &counts());
    let (_, snapshot) = post(&app, &format!("{path}/results"), counts()).await;
    assert_valid(&doc, "Snapshot", &snapshot);
    let (_, analysis) = get(&app, &format!("{path}/analysis")).await;
    assert_valid(&doc, "Analysis", &analysis);
    let (_, verdict) = get(&app, &format!("{path}/verdict")).await;
    assert_valid(&doc, "VerdictView", &verdict);
    let (_, list) = get(&app, "/api/v1/experiments").await;
    for experiment in list.as_array().unwrap() {
        assert_valid(&doc, "Experiment", experiment);
    }

    // The statistics engine, with a comparison that has no result (an empty control).
    let plan = json!({"kind": "proportion", "baseline_rate": 0.1, "mde_relative": 0.05,
                      "daily_traffic": 2000});
    assert_valid(&doc, "SampleSizeRequest", &plan);
    let (_, needed) = post(&app, "/api/v1/stats/sample-size", plan).await;
    assert_valid(&doc, "SampleSizeResponse", &needed);
    let request = json!({
        "engine": "frequentist",
        "arms": [{"name": "A", "users": 0}, {"name": "B", "users": 1000}],
        "metrics": [{"name": "signup", "role": "primary", "kind": "proportion",
                     "values": {"A": {"conversions": 0}, "B": {"conversions": 120}}}]
    });
    assert_valid(&doc, "AnalyzeRequest", &request);
    let (_, analyzed) = post(&app, "/api/v1/stats/analyze", request).await;
    assert!(
        analyzed["metrics"][0]["comparisons"][0]["error"].is_string(),
        "{analyzed}"
    );
    assert_valid(&doc, "AnalyzeResponse", &analyzed);

    // The check can fail: a status the lifecycle does not have is refused.
    let mut wrong = experiment.clone();
    wrong["status"] = json!("shipped");
    assert!(!problems(&component(&doc, "Experiment"), &wrong).is_empty());
}
