//! The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.
//!
//! Why utoipa: it builds the document at compile time from `#[utoipa::path]` on the handlers and
//! `ToSchema` on the request and response types they really use, so the document cannot drift
//! from the code the way a hand-kept YAML file does; it is well kept, pure Rust, and only in the
//! server crate (never in the wasm bundle). The domain types live in `app`, which also compiles to
//! wasm, so rather than teach them utoipa their schemas are written here by hand (`domain`):
//! the experiment and the counts field by field (a test checks the experiment against a real
//! response), the statistics and decision types as documented objects.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::{error, experiments, results, stats};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Verdict REST API",
        version = "1",
        description = "The A/B-experiment program: experiments, their briefs and lifecycle, results, \
            analysis and verdicts, and the statistics engine. Every route takes \
            `Authorization: Bearer <token>` (or the browser's session cookie); reads need the \
            viewer role, writes the editor role. Every error is `ErrorBody`."
    ),
    paths(
        stats::sample_size,
        stats::analyze,
        experiments::list,
        experiments::create,
        experiments::get,
        experiments::patch,
        experiments::transition,
        results::record,
        results::analysis,
        results::verdict,
        serve,
    ),
    components(schemas(error::ErrorBody, error::FieldProblem, domain::Status)),
    modifiers(&Security),
    tags(
        (name = "experiments", description = "The backlog and the lifecycle"),
        (name = "results", description = "Readings, analysis (no peeking) and verdicts"),
        (name = "stats", description = "The statistics engine, STATISTICS.md section 7"),
    )
)]
pub struct ApiDoc;

/// The bearer scheme, required everywhere, and the 401 / 403 every operation can answer.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token made on the tokens page"))
                    .build(),
            ),
        );
        doc.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for item in doc.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in operations.into_iter().flatten() {
                let responses = &mut op.responses.responses;
                // Any operation: a path the server refuses before routing (`..`, control
                // characters, encoded slashes) or a query it cannot read.
                responses
                    .entry("400".into())
                    .or_insert_with(|| error("the path, query or body is malformed").into());
                responses
                    .entry("401".into())
                    .or_insert_with(|| error("no session or token").into());
                responses
                    .entry("403".into())
                    .or_insert_with(|| error("the role does not allow this").into());
            }
        }
    }
}

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .expect("the OpenAPI document serialises")
    })
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "the OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json())
}

/// Hand-written schemas for the `app` domain types the API sends and receives.
pub mod domain {
    use serde::Serialize;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    use utoipa::openapi::RefOr;
    use utoipa::ToSchema;

    // `Serialize` only so utoipa reads the `serde` attributes; these types are never sent.
    /// A lifecycle status.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Status {
        Proposed,
        Ready,
        Running,
        Done,
    }

    /// An experiment as stored; `version` is what a PATCH carries back.
    #[derive(ToSchema)]
    pub struct Experiment {
        pub id: i64,
        pub key: String,
        pub title: String,
        pub owner: String,
        pub team: String,
        pub surface: String,
        pub tags: Vec<String>,
        pub status: Status,
        pub archived: bool,
        /// Every write bumps it; a write from an older version is a 409.
        pub version: i64,
        pub brief: Brief,
        #[schema(format = DateTime)]
        pub started_at: Option<String>,
        #[schema(format = DateTime)]
        pub ended_at: Option<String>,
        pub conclusion: Option<Conclusion>,
        /// The key of the experiment whose post-mortem proposed this one.
        pub follows: Option<String>,
        #[schema(format = DateTime)]
        pub created_at: String,
        #[schema(format = DateTime)]
        pub updated_at: String,
    }

    /// One reading of an experiment, in the brief's arm and metric order.
    #[derive(ToSchema)]
    pub struct Counts {
        pub arms: Vec<ArmCount>,
        pub metrics: Vec<MetricCounts>,
        /// Users exposed to two or more arms (attributed sources only; default 0).
        pub multi_arm_users: Option<u64>,
    }

    #[derive(ToSchema)]
    pub struct ArmCount {
        pub name: String,
        pub users: u64,
    }

    #[derive(ToSchema)]
    pub struct MetricCounts {
        /// The brief's metric name.
        pub metric: String,
        /// One per arm, in arm order.
        pub values: Vec<Observed>,
    }

    /// A proportion metric's conversions, or a mean metric's n, sum and sum of squares.
    #[derive(Serialize, ToSchema)]
    #[serde(untagged)]
    pub enum Observed {
        Proportion { conversions: u64 },
        Mean { n: u64, sum: f64, sum_squares: f64 },
    }

    /// Domain types documented as objects: their fields are listed where the description says.
    macro_rules! documented_object {
        ($($name:ident: $description:expr;)*) => {$(
            #[doc = $description]
            pub struct $name;

            impl utoipa::PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    ObjectBuilder::new()
                        .schema_type(Type::Object)
                        .description(Some($description))
                        .into()
                }
            }

            impl ToSchema for $name {}
        )*};
    }

    documented_object! {
        Brief: "The experiment brief (hypothesis, metrics, baseline, MDE, arms, traffic, dates, \
            decision rule, exposure convention, notes); the fields of `app::domain::brief::Brief`.";
        Conclusion: "The recorded verdict, summary, stop reason, computed verdict, override \
            reason and post-mortem of a done experiment.";
        Snapshot: "One immutable reading: `id`, `taken_at`, `source`, `counts` (see Counts), \
            `lines`, `skipped_lines`.";
        LiftPoint: "The primary lift at one reading: `at`, `arm`, `lift`, `low`, `high`.";
        Decision: "The decision rule's conditions (met / not met, with their numbers) and the \
            verdict it gives.";
        SampleSizeRequest: "STATISTICS.md section 7: kind, baseline, mde_relative, alpha, power, \
            arms, bonferroni, optional daily_traffic.";
        SampleSizeResponse: "n_per_arm, total_users, and with traffic days_needed and \
            recommended_days.";
        AnalyzeRequest: "STATISTICS.md section 7: engine, alpha, correction, srm_threshold, arms, \
            metrics with values per arm.";
        AnalyzeResponse: "STATISTICS.md section 7: srm and, per metric, each arm's comparison \
            with the control (lift, interval, p-value or chance to win, or why there is none).";
    }
}
