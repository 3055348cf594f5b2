//! The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.
//!
//! Why utoipa: it builds the document at compile time from `#[utoipa::path]` on the handlers and
//! `ToSchema` on the request and response types they really use, so the document cannot drift
//! from the code the way a hand-kept YAML file does; it is well kept, pure Rust, and only in the
//! server crate's document (never in the wasm bundle). The domain types in `app` derive their
//! schemas behind `cfg_attr(feature = "ssr", derive(utoipa::ToSchema))`, reading the same `serde`
//! attributes that shape their JSON, so the brief, the decision and the statistics request and
//! response are documented field by field; the tests validate the document against the OpenAPI
//! 3.1 schema and real responses against the document.

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
    components(schemas(error::ErrorBody, error::FieldProblem)),
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
